"""Config.from_env: defaults, parsing, and one clear line for a malformed value."""

import pytest

from bot.config import Config, ConfigError

TOKEN = {"TELEGRAM_BOT_TOKEN": "1:x"}


def test_defaults_need_only_the_token() -> None:
    config = Config.from_env(TOKEN)
    assert (config.workers, config.daily_limit, config.mixed_precision) == (1, 20, False)
    assert config.base_url == "https://api.telegram.org/bot"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("on", True), ("0", False), ("", False)]
)
def test_mixed_precision_is_a_flag(raw: str, expected: bool) -> None:
    config = Config.from_env({**TOKEN, "NST_MIXED_PRECISION": raw})
    assert config.mixed_precision is expected


def test_a_malformed_flag_says_what_it_takes() -> None:
    with pytest.raises(ConfigError, match="NST_MIXED_PRECISION must be 1 or 0, not 'maybe'"):
        Config.from_env({**TOKEN, "NST_MIXED_PRECISION": "maybe"})


def test_admin_ids_are_parsed() -> None:
    config = Config.from_env({**TOKEN, "NST_ADMIN_IDS": "12, 34"})
    assert config.admin_ids == frozenset({12, 34})


def test_redis_url_chooses_remote_workers_and_is_checked() -> None:
    assert Config.from_env(TOKEN).redis_url is None  # make run: the engine in this process
    config = Config.from_env(
        {**TOKEN, "NST_REDIS_URL": " redis://redis:6379/0 ", "NST_LEASE_S": "5"}
    )
    assert (config.redis_url, config.lease_s) == ("redis://redis:6379/0", 5)
    with pytest.raises(ConfigError, match="NST_REDIS_URL must start with redis://"):
        Config.from_env({**TOKEN, "NST_REDIS_URL": "redis:6379"})
