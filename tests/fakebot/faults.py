"""Faults the test injects into the fake Bot API: errors, slow answers, and calls held waiting.

A test checks that the bot survives what Telegram does to it (a 429 with retry_after, a 400, an
answer that comes late) and acts while a call is in flight (a job held in its download).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

from tests.fakebot.calls import ApiError


class HeldCalls:
    """Calls of one method that the fake server keeps waiting until the test lets them go:
    `held = telegram.hold("getFile")`, then `await held.reached()`, act, `held.release()`."""

    def __init__(self, method: str) -> None:
        self.method = method
        self._reached = asyncio.Event()
        self._released = asyncio.Event()

    async def reached(self, within: float = 60.0) -> None:
        """Until a call is waiting here (within bounds only a failure)."""
        try:
            await asyncio.wait_for(self._reached.wait(), within)
        except TimeoutError:
            raise AssertionError(f"no {self.method} call was held within {within} s") from None

    def release(self) -> None:
        """Let every held call, and every later one, through."""
        self._released.set()

    async def wait_here(self) -> None:
        """Where a held call waits (the server's side)."""
        self._reached.set()
        await self._released.wait()


@dataclass
class _Fault:
    method: str
    status: int | None  # None: only slow the answer down (or hold it)
    description: str
    retry_after: int | None
    delay: float
    times: int | None  # None: every call from now on
    gate: HeldCalls | None = None  # calls wait here until the test releases them


class Faults:
    """The faults in force, by method ("download" names the file downloads)."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []

    def fail(
        self,
        method: str,
        status: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (None: all) with an error, like Telegram.

        A 429 gets `retry_after` 1 s unless told otherwise. `method` may also be "download".
        """
        if status == HTTPStatus.TOO_MANY_REQUESTS and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == HTTPStatus.TOO_MANY_REQUESTS
                else HTTPStatus(status).phrase
            )
        self._faults.append(_Fault(method, status, description, retry_after, 0.0, times))

    def delay(self, method: str, seconds: float, times: int | None = None) -> None:
        """Answer the next `times` calls of `method` (None: all) `seconds` late."""
        self._faults.append(_Fault(method, None, "", None, seconds, times))

    def hold(self, method: str, times: int | None = 1) -> HeldCalls:
        """Keep the next `times` calls of `method` (None: all; "download" too) unanswered until
        the returned HeldCalls is released: a job held in its download, as long as a test needs.
        Every hold is released when the server stops."""
        gate = HeldCalls(method)
        self._faults.append(_Fault(method, None, "", None, 0.0, times, gate))
        return gate

    def release_held(self) -> None:
        """Let every held call go (a bot stopping, or the server, must not wait on one)."""
        for fault in self._faults:
            if fault.gate is not None:
                fault.gate.release()

    async def apply(self, method: str) -> None:
        """What the faults in force do to this call: wait, hold it, or raise its error."""
        for fault in [f for f in self._faults if f.method == method and f.times != 0]:
            if fault.times is not None:
                fault.times -= 1
            await asyncio.sleep(fault.delay)
            if fault.gate is not None:
                await fault.gate.wait_here()
            if fault.status is not None:
                raise ApiError(fault.status, fault.description, fault.retry_after)
