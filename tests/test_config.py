"""Config.from_env: defaults, parsing, and one clear line for a malformed value."""

from pathlib import Path
from typing import Any

import pytest

from bot.config import Config, ConfigError, WorkerConfig, deprecated_settings

TOKEN = {"TELEGRAM_BOT_TOKEN": "1:x"}


def test_defaults_need_only_the_token() -> None:
    config = Config.from_env(TOKEN)
    assert (config.concurrent_jobs, config.daily_limit, config.precision) == (1, 20, "auto")
    assert config.base_url == "https://api.telegram.org/bot"


def test_nst_workers_is_the_old_name_of_concurrent_jobs() -> None:
    old = {**TOKEN, "NST_WORKERS": "3"}
    assert Config.from_env(old).concurrent_jobs == 3
    assert Config.from_env({**old, "NST_CONCURRENT_JOBS": "2"}).concurrent_jobs == 2
    assert deprecated_settings(old) == [
        "NST_WORKERS is deprecated: set NST_CONCURRENT_JOBS instead (same meaning)"
    ]
    assert deprecated_settings({**TOKEN, "NST_CONCURRENT_JOBS": "2"}) == []


@pytest.mark.parametrize("raw", ["auto", "float32", "bfloat16", "float16"])
def test_precision_is_one_of_the_engines_choices(raw: str) -> None:
    assert Config.from_env({**TOKEN, "NST_PRECISION": raw}).precision == raw


def test_a_malformed_precision_says_what_it_takes() -> None:
    with pytest.raises(ConfigError, match="NST_PRECISION must be one of auto, float32, bfloat16"):
        Config.from_env({**TOKEN, "NST_PRECISION": "half"})


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


def test_production_settings_are_off_by_default() -> None:
    config = Config.from_env(TOKEN)
    assert (config.webhook_url, config.metrics_port, config.log_format) == (None, None, "text")


def test_webhook_and_metrics_settings_are_parsed() -> None:
    config = Config.from_env(
        {
            **TOKEN,
            "NST_WEBHOOK_URL": "https://bot.example.org/hook",
            "NST_WEBHOOK_PORT": "8443",
            "NST_WEBHOOK_SECRET": "s3cret_-X",
            "NST_METRICS_PORT": "9100",
            "LOG_FORMAT": "JSON",
        }
    )
    assert config.webhook_url == "https://bot.example.org/hook"
    assert (config.webhook_port, config.webhook_secret) == (8443, "s3cret_-X")
    assert (config.metrics_port, config.log_format) == (9100, "json")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NST_WEBHOOK_URL", "bot.example.org/hook", "must be the bot's public https:// URL"),
        ("NST_WEBHOOK_SECRET", "no spaces allowed", "may hold only A-Z"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of text, json, not 'xml'"),
    ],
)
def test_malformed_production_settings_say_what_they_take(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env({**TOKEN, name: value})


def test_quality_steps_reach_the_engine_settings() -> None:
    from bot.jobs.engine_settings import engine_settings
    from bot.models import UserSettings

    default = engine_settings(UserSettings(), Config.from_env(TOKEN), fast_available=True)
    assert default.steps is None  # the engine's own budget
    fewer = Config.from_env({**TOKEN, "NST_QUALITY_STEPS": "40"})
    assert engine_settings(UserSettings(), fewer, fast_available=True).steps == 40


def test_the_engines_compile_for_the_qualities_and_keep_programs_in_the_data_folder() -> None:
    config = Config.from_env({**TOKEN, "NST_DATA_DIR": "/srv/nst", "NST_HIGH_SIDE": "1024"})
    options = config.engine_options
    assert options.compilation_cache == Path("/srv/nst/compiled")
    assert options.warm_sides == (512, 1024)
    moved = Config.from_env({**TOKEN, "NST_COMPILATION_CACHE": "/var/cache/nst"})
    assert moved.engine_options.compilation_cache == Path("/var/cache/nst")


def test_a_worker_compiles_for_the_sides_the_bot_uses() -> None:
    env = {"NST_REDIS_URL": "redis://r:6379/0", "NST_STANDARD_SIDE": "640"}
    options = WorkerConfig.from_env(env).engine
    assert options.warm_sides == (640, 768) and options.compilation_cache is None
    assert (options.fast_side, options.print_sides) == (1024, (2048, 4096))
    smaller = {**env, "NST_FAST_SIDE": "256", "NST_PRINT_SIDES": "2048"}
    assert WorkerConfig.from_env(smaller).engine.print_sides == (2048,)
    assert WorkerConfig.from_env(smaller).engine.fast_side == 256
    # The bot measures its in-process engine's pace at the same sides.
    ours = Config.from_env({**TOKEN, **smaller}).engine_options
    theirs = WorkerConfig.from_env(smaller).engine
    sides = ("warm_sides", "fast_side", "print_sides")
    assert [getattr(ours, n) for n in sides] == [getattr(theirs, n) for n in sides]


def test_lanes_and_a_persons_jobs_at_once_are_set_and_checked() -> None:
    config = Config.from_env(TOKEN)
    assert (config.concurrent_prints, config.jobs_per_person) == (1, 3)
    env = {**TOKEN, "NST_CONCURRENT_PRINTS": "2", "NST_JOBS_PER_PERSON": "1"}
    assert (Config.from_env(env).concurrent_prints, Config.from_env(env).jobs_per_person) == (2, 1)
    for name in ("NST_CONCURRENT_PRINTS", "NST_JOBS_PER_PERSON"):
        with pytest.raises(ConfigError, match=f"{name} must be at least 1"):
            Config.from_env({**TOKEN, name: "0"})


MODELS = {
    "NST_VGG19_WEIGHTS": "/models/vgg19.h5",
    "NST_FAST_MODELS_DIR": "/models/magenta",
    "NST_SEGMENTATION_MODEL": "/models/selfie.tflite",
    "NST_FACE_MODELS_DIR": "/models/faces",
}


@pytest.mark.parametrize(
    "options",
    [
        lambda env: Config.from_env({**TOKEN, **env}).engine_options,
        lambda env: WorkerConfig.from_env({"NST_REDIS_URL": "redis://r:6379/0", **env}).engine,
    ],
    ids=["bot", "worker"],
)
def test_the_models_paths_are_read_here_for_the_engines(options: Any) -> None:
    """The bot's and the worker's engines get their models' paths from the configuration, read
    with every other setting (None: the engine's download cache)."""
    paths = options(MODELS)
    assert (
        paths.vgg_weights,
        paths.fast_models_dir,
        paths.segmentation_model,
        paths.face_models_dir,
    ) == tuple(Path(value) for value in MODELS.values())
    unset = options({})
    assert unset.vgg_weights is unset.fast_models_dir is unset.segmentation_model is None


def test_print_sides_offer_2048_and_4096_or_fewer_or_none() -> None:
    assert Config.from_env(TOKEN).print_sides == (2048, 4096)
    assert Config.from_env({**TOKEN, "NST_PRINT_SIDES": "2048"}).print_sides == (2048,)
    assert Config.from_env({**TOKEN, "NST_PRINT_SIDES": ""}).print_sides == ()  # no button
    small = {**TOKEN, "NST_STANDARD_SIDE": "128", "NST_HIGH_SIDE": "192"}
    assert Config.from_env({**small, "NST_PRINT_SIDES": "256, 1024"}).print_sides == (256, 1024)


@pytest.mark.parametrize("raw", ["768", "5000", "2048,x"])
def test_a_print_side_not_above_the_paintings_or_over_4096_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="NST_PRINT_SIDES must"):
        Config.from_env({**TOKEN, "NST_PRINT_SIDES": raw})
