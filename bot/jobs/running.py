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
    claimed: float = field(default_factory=time.monotonic)
    cancel: threading.Event = field(default_factory=threading.Event)
    expected_s: float = 0.0  # what it was expected to take when claimed (estimates.py)
    reason: StopReason | None = None
    progress: float = 0.0
    run_started: float | None = None  # time.monotonic() when the main run began
    last_report: float = -math.inf
    reporting: asyncio.Task[None] | None = None
    report_again: asyncio.TimerHandle | None = None  # a progress edit that was not shown yet
    result_ready: bool = False
    paused_since: float | None = None  # a print standing aside for regular work, since when
    paused_s: float = 0.0  # its earlier pauses, in all
    time_limit: asyncio.TimerHandle | None = None

    def stop(self, reason: StopReason) -> None:
        """Ask the engine to stop within one step; the first reason given is the one kept."""
        if self.reason is None:
            self.reason = reason
        self.cancel.set()

    def paused(self, now: bool) -> float:
        """A print stands aside (now=True) or goes on: how long the pause that ends took (0 for
        one that starts). Its pauses do not count as its work."""
        if now and self.paused_since is None:
            self.paused_since = time.monotonic()
        elif not now and self.paused_since is not None:
            ended = time.monotonic() - self.paused_since
            self.paused_s += ended
            self.paused_since = None
            return ended
        return 0.0

    def paused_for(self) -> float:
        """Seconds spent standing aside so far, the pause under way included."""
        if self.paused_since is None:
            return self.paused_s
        return self.paused_s + time.monotonic() - self.paused_since

    def time_left(self) -> float:
        """Seconds until the result, from the progress so far (the expected time before it);
        its pauses are neither work done nor work to come."""
        if self.run_started is None or self.progress < 0.02:
            return self.expected_s
        worked = time.monotonic() - self.run_started - self.paused_for()
        return worked * (1 - self.progress) / self.progress

    def limit_time(self, seconds: float) -> None:
        """Stop it (TIMEOUT) once it has worked `seconds`: time spent standing aside is added
        on, as the job could do nothing meanwhile."""
        loop = asyncio.get_running_loop()

        def check(credited: float) -> None:
            paused = self.paused_for()
            if paused > credited:
                self.time_limit = loop.call_later(paused - credited, check, paused)
            else:
                self.stop(StopReason.TIMEOUT)

        self.time_limit = loop.call_later(seconds, check, 0.0)

    def end_time_limit(self) -> None:
        if self.time_limit is not None:
            self.time_limit.cancel()
