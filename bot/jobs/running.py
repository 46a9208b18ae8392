"""A job this process is working on, and why it may be asked to stop."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

from bot.models import Job


class StopReason(Enum):
    USER = "user"  # /cancel or [Cancel]
    TIMEOUT = "timeout"  # NST_JOB_TIMEOUT passed
    SHUTDOWN = "shutdown"  # the bot is stopping; the job goes back to the queue
    GONE = "gone"  # the row disappeared: the user asked to be forgotten


@dataclass
class Running:
    """A claimed job: what the engine thread, the dispatcher and the handlers share about it."""

    job: Job
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: StopReason | None = None
    progress: float = 0.0
    run_started: float | None = None  # time.monotonic() when the main run began
    last_report: float = -math.inf
    reporting: asyncio.Task[None] | None = None
    report_again: asyncio.TimerHandle | None = None  # a progress edit that was not shown yet
    result_ready: bool = False

    def stop(self, reason: StopReason) -> None:
        """Ask the engine to stop within one step; the first reason given is the one kept."""
        if self.reason is None:
            self.reason = reason
        self.cancel.set()

    def time_left(self) -> float:
        """Seconds until the result, from the progress so far (the expected time before it)."""
        if self.run_started is None or self.progress < 0.02:
            return self.job.request.expected_s()
        elapsed = time.monotonic() - self.run_started
        return elapsed * (1 - self.progress) / self.progress
