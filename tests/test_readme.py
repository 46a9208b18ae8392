"""The README's settings tables list exactly the environment variables that Config and
WorkerConfig read: a setting added to one and not the other fails here."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from bot.config import RENAMED, Config, WorkerConfig, deprecated_settings
from tests.conftest import REPO_ROOT

# Read by Keras itself, not by the bot: the README lists it beside the bot's own.
READ_BY_KERAS = {"KERAS_BACKEND"}
# Tests only (bot/jobs/hold.py), so not in the README.
TEST_ONLY = {"NST_TEST_HOLD"}


class Reading(Mapping[str, str]):
    """An environment that notes each name looked up in it."""

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            self.asked.add(name)
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def readme_table(header: str) -> set[str]:
    """The backticked names in the first column of the README table under `header`."""
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    start = lines.index(header) + 2
    names: set[str] = set()
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_the_bots_table_lists_what_config_reads() -> None:
    env = Reading({"TELEGRAM_BOT_TOKEN": "1:x"})
    Config.from_env(env)
    deprecated_settings(env)
    listed = readme_table("| variable | default | meaning |")
    # An old name is mentioned in its new name's row, not given one of its own.
    assert listed == (env.asked - TEST_ONLY - set(RENAMED)) | READ_BY_KERAS


def test_the_workers_table_lists_what_worker_config_reads() -> None:
    env = Reading({"NST_REDIS_URL": "redis://127.0.0.1:6379/0"})
    WorkerConfig.from_env(env)
    listed = readme_table("| variable (worker) | default | meaning |")
    assert listed == (env.asked - TEST_ONLY) | READ_BY_KERAS
