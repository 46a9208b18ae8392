"""Yield points: where a long run may stop for a while, or for good, between two pieces of work.

A print at 4096 px takes minutes and one of its steps tens of seconds, so whoever runs it may want
it to stand aside (other work goes first) or to end (a cancel) long before a step is over. A run
installs a hook for its own thread (`hooked`); the engine's loops call `point()` between steps and
between the windows of a tiled step (tiles.py), where nothing is half done. What the hook does
(wait, raise Cancelled) is the caller's business: the engine knows nothing of why.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from nst_engine.errors import Cancelled

Hook = Callable[[], None]

# One hook per thread: a run is one thread's work, and runs on other threads have their own.
_installed = threading.local()


@contextmanager
def hooked(hook: Hook) -> Iterator[None]:
    """Call `hook` at every yield point this thread reaches until the block ends."""
    before = getattr(_installed, "hook", None)
    _installed.hook = hook
    try:
        yield
    finally:
        _installed.hook = before


def point() -> None:
    """A yield point: the current thread's hook, if it has one."""
    hook = getattr(_installed, "hook", None)
    if hook is not None:
        hook()


def standing_aside(
    lock: threading.Lock, cancel: threading.Event | None, pause: Hook | None
) -> Hook:
    """An engine run's hook (the run holds `lock`, its Engine's): stop if cancelled, and stand
    aside while `pause` blocks, with the lock let go so that another run can take the Engine."""

    def point() -> None:
        if pause is not None:
            lock.release()
            try:
                pause()
            finally:
                lock.acquire()
        if cancel is not None and cancel.is_set():
            raise Cancelled("stylization cancelled")

    return point
