"""The threads a painting process's work runs on, beside its event loop: at a lower priority, so
the chat always wins a contended core, and reporting back to the loop thread-safely.

Apart from engines.py, which imports the engine (TensorFlow), so that a bot whose engines are
remote workers runs its fast service's thread without it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Engine threads run this much nicer than the event loop: under load the scheduler gives the loop
# the CPU first, so answering a message never waits for an optimisation step.
ENGINE_NICENESS = 10


def lower_priority() -> None:
    """Make the calling thread (and threads it starts, such as TensorFlow's) yield the CPU.

    On Linux nice() applies to the calling thread only; elsewhere it would slow the whole
    process, event loop included, so it is left alone there.
    """
    if sys.platform == "linux":
        os.nice(ENGINE_NICENESS)


def from_thread(
    loop: asyncio.AbstractEventLoop, report: Callable[[T], None]
) -> Callable[[T], None]:
    """`report` for an engine thread to call: it runs on `loop`, or nowhere once that closed."""

    def on_loop(value: T) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            loop.call_soon_threadsafe(report, value)

    return on_loop
