"""A test's hand on the clock: a job held after its first step until the test lets it go.

Tests need a job in flight (its progress bar on screen, then a cancel, a kill -9 or a Redis fault)
on every machine, whatever the engine's speed. With NST_TEST_HOLD naming a folder, a job's main
run (a quality picture, a print or a clip; never a preview) stops after its first progress report
while that folder holds a file named `closed`. It says so with a file `held-<pid>-<n>` there and
goes on once `closed` is gone or the job is cancelled (a [Cancel], a lost lease, a shutdown).
Only the clock is in the test's hand: the engine, the processes and Redis stay real. Unset (in
production) nothing here runs. The test's side of the folder is tests/holds.py.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from pathlib import Path

CLOSED = "closed"
# How often a held job looks whether the test has let it go; a cancel ends the wait at once.
LOOK_EVERY_S = 0.02

_numbers = itertools.count(1)


class Hold:
    """The folder a test holds jobs with (NST_TEST_HOLD)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def wait(self, cancel: threading.Event) -> None:
        """On the engine's thread: wait here while the folder is closed and the job is wanted."""
        closed = self.folder / CLOSED
        if not closed.exists():
            return
        held = self.folder / f"held-{os.getpid()}-{next(_numbers)}"
        held.touch()
        try:
            while closed.exists() and not cancel.wait(LOOK_EVERY_S):
                pass
        finally:
            held.unlink(missing_ok=True)


def after_first(hold: Hold | None, cancel: threading.Event) -> Callable[[], None]:
    """A callable for each progress report of one run: it holds at the first, never again."""
    reports = itertools.count()

    def on_report() -> None:
        if hold is not None and next(reports) == 0:
            hold.wait(cancel)

    return on_report
