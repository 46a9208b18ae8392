"""The test-only hold (bot/jobs/hold.py) that the in-flight tests stand on: a job waits after its
first step while the folder is closed, says so with a file, and goes on when opened or
cancelled; later steps and an open folder never wait."""

from __future__ import annotations

import threading

import pytest

from bot.jobs.hold import Hold, after_first
from tests.holds import JobHold


def held_run(hold: Hold, cancel: threading.Event, steps: int = 3) -> threading.Thread:
    """A run's reports (one per step) on a thread of their own, as an engine makes them."""
    on_report = after_first(hold, cancel)

    def run() -> None:
        for _ in range(steps):
            on_report()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("let_go", ["open", "cancel"])
async def test_a_closed_hold_keeps_the_run_after_its_first_step_until_let_go(
    job_hold: JobHold, let_go: str
) -> None:
    cancel = threading.Event()
    job_hold.close()
    run = held_run(Hold(job_hold.folder), cancel)
    await job_hold.until_held(1)
    assert run.is_alive() and job_hold.held() == 1
    if let_go == "open":
        job_hold.open()
    else:
        cancel.set()
    run.join(timeout=60)
    assert not run.is_alive() and job_hold.held() == 0


def test_an_open_hold_and_no_hold_never_wait(job_hold: JobHold) -> None:
    for hold in (Hold(job_hold.folder), None):
        on_report = after_first(hold, threading.Event())
        for _ in range(3):
            on_report()  # returns at once: the test would hang here otherwise
    assert job_hold.held() == 0


def test_only_the_first_report_of_a_run_is_held(job_hold: JobHold) -> None:
    on_report = after_first(Hold(job_hold.folder), threading.Event())
    on_report()  # the first step, while the folder is open
    job_hold.close()
    later = threading.Thread(target=lambda: [on_report() for _ in range(3)], daemon=True)
    later.start()
    later.join(timeout=60)
    assert not later.is_alive() and job_hold.held() == 0
