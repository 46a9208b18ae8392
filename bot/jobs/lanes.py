"""The print lane in a painting process (the bot with its engines, or an nst-worker): prints run
on threads of their own and stand aside at their yield points while regular work runs.

TensorFlow runs every engine's ops on one process-wide thread pool, so a print beside a painting
takes half the cores from it whatever the threads' priorities (benchmarks/lanes_engine.py
measures what that costs). So regular runs (pictures, previews, clips, contact sheets) say they
are under way, and a print's pause hook (nst_engine/pauses.py) waits, its state in memory and its
engine free, until none has been for GRACE_S: a job's preview and its main run come a moment
apart, and the print should not take the engine back in between.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot.jobs.threads import lower_priority

T = TypeVar("T")

GRACE_S = 1.0
# How often a print standing aside looks at its cancel event.
LOOK_EVERY_S = 0.1


class PrintLane:
    """Up to `prints` prints at once, on threads of their own, behind any regular work."""

    def __init__(self, prints: int) -> None:
        self._executor = ThreadPoolExecutor(
            prints, thread_name_prefix="nst-print", initializer=lower_priority
        )
        self._changed = threading.Condition()
        self._regular = 0
        self._last_ended = -math.inf

    def under_way(self, work: Callable[[], T]) -> T:
        """Regular work (on any thread): prints stand aside until it and the grace are over."""
        with self._changed:
            self._regular += 1
        try:
            return work()
        finally:
            with self._changed:
                self._regular -= 1
                self._last_ended = time.monotonic()
                self._changed.notify_all()

    async def run(
        self,
        paint: Callable[[Callable[[], None]], None],
        cancel: threading.Event,
        paused: Callable[[bool], None],
        held: Callable[[], None],
    ) -> None:
        """paint(pause) on a print thread; pause is its yield points' hook. held: a test's hold
        (bot/jobs/hold.py), called at each yield point once the print has reported, so that a
        held print leaves its engine free as one standing aside does."""

        def pause() -> None:
            held()
            self._stand_aside(cancel, paused)

        await asyncio.get_running_loop().run_in_executor(self._executor, paint, pause)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _stand_aside(self, cancel: threading.Event, paused: Callable[[bool], None]) -> None:
        """Wait while regular work goes on, or until cancel is set; paused(True) as the wait
        starts, paused(False) as the print goes on."""
        with self._changed:
            if self._left() <= 0:
                return
        paused(True)
        try:
            with self._changed:
                while (left := self._left()) > 0 and not cancel.is_set():
                    self._changed.wait(min(left, LOOK_EVERY_S))
        finally:
            paused(False)

    def _left(self) -> float:
        """Seconds still to stand aside: all the time while a regular run is under way."""
        if self._regular:
            return math.inf
        return self._last_ended + GRACE_S - time.monotonic()
