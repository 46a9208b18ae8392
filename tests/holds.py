"""The test's side of bot/jobs/hold.py: jobs held after their first step, for as long as a test
needs them in flight, in this process, in `python -m bot` and in `nst-worker` alike.

    job_hold.close()                  # from now on a job's main run waits after its first step
    await job_hold.until_held(2)      # two jobs are waiting (their progress bars are out)
    ...                               # cancel, kill -9, break Redis: the jobs are still running
    job_hold.open()                   # they go on, and so does every later one

The bot or worker learns the folder from NST_TEST_HOLD (Config.test_hold). A test that forgets
to open it does not keep the next test waiting: the fixtures open it when a test ends.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.jobs.hold import CLOSED

LOOK_EVERY_S = 0.02


class JobHold:
    """A hold folder: close() holds the jobs that reach their first step, open() lets them go."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder

    def close(self) -> None:
        (self.folder / CLOSED).touch()

    def open(self) -> None:
        (self.folder / CLOSED).unlink(missing_ok=True)

    def held(self) -> int:
        """Jobs waiting now; one whose process was killed while it waited is not counted."""
        return sum(1 for marker in self.folder.glob("held-*") if _alive(marker))

    async def until_held(self, count: int = 1, within: float = 120.0) -> None:
        """Until `count` jobs wait at once (`within` bounds only a failure)."""
        deadline = time.monotonic() + within
        while self.held() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.held()} job(s) held, not {count}, within {within} s")
            await asyncio.sleep(LOOK_EVERY_S)


def _alive(marker: Path) -> bool:
    """Whether the process that wrote held-<pid>-<n> still runs."""
    pid = int(marker.name.split("-")[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def job_hold(tmp_path: Path) -> Iterator[JobHold]:
    """A hold folder for this test's bots (test_hold=job_hold.folder, or NST_TEST_HOLD)."""
    hold = JobHold(tmp_path / "hold")
    try:
        yield hold
    finally:
        hold.open()
