"""Calls to the fake Bot API: how an area answers one, what is kept of it, and the record of all.

Every area of the fake (chats, files, messages, webhooks, the update queue) answers its methods
through the same `Handler` shape and refuses with an `ApiError`; the server keeps a `Call` for
every answer, so tests can assert on what the bot did and wait for it to do something.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol

JSON = dict[str, Any]
# A Bot API method: the call's parameters and uploads in, the answer's `result` out.
Handler = Callable[[JSON, dict[str, "Upload"]], Awaitable[Any]]


class Area(Protocol):
    """A part of the fake that answers some Bot API methods (see FakeTelegram's registry)."""

    def methods(self) -> dict[str, Handler]:
        """The methods it answers, by their Bot API names."""
        ...


class ApiError(Exception):
    """An error answer, shaped like Telegram's: HTTP status, description, maybe retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


@dataclass(frozen=True)
class Upload:
    """One uploaded multipart file: what the bot sent, byte for byte."""

    filename: str | None
    mime_type: str | None
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request the bot made, as answered; `result` is the answer's JSON on success."""

    index: int
    method: str
    params: JSON
    files: dict[str, Upload]
    status: int
    result: Any
    description: str | None
    received_at: float  # time.monotonic() when the request arrived
    answered_at: float  # ... and when the answer went out (after any injected delay)
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK

    def upload(self, name: str | None = None) -> Upload:
        """The file uploaded as `name`, or the only upload when no name is given."""
        if name is not None and name in self.files:
            return self.files[name]
        if name is None and len(self.files) == 1:
            return next(iter(self.files.values()))
        raise AssertionError(f"{self.method} call has no upload {name!r}: {list(self.files)}")

    def describe(self) -> str:
        """One readable line for failure messages."""
        shown = {
            k: (v if len(repr(v)) < 80 else repr(v)[:77] + "...") for k, v in self.params.items()
        }
        uploads = {k: f"{u.filename} {u.mime_type} {len(u.data)}B" for k, u in self.files.items()}
        answer = f"{self.status} {self.description}"
        if self.ok:
            answer = f"ok, {len(self.result)} items" if isinstance(self.result, list) else "ok"
        files = f" files={uploads}" if uploads else ""
        return f"#{self.index} {self.method} {shown}{files} -> {answer}"

    def matches(self, method: str, ok: bool | None, chat: int | None, match: JSON) -> bool:
        """Whether this is a `method` call with that outcome (None: any), for that chat (or
        none), whose params equal `match`'s values or pass them where they are callables."""
        if self.method != method or (ok is not None and self.ok != ok):
            return False
        if chat is not None and self.params.get("chat_id", chat) != chat:
            return False
        for key, expected in match.items():
            if key not in self.params:
                return False
            actual = self.params[key]
            if not (expected(actual) if callable(expected) else actual == expected):
                return False
        return True


class CallRecord:
    """Every call the server answered, in order, and waits for the bot to make one."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._added = asyncio.Condition()

    async def add(self, call: Call) -> None:
        async with self._added:
            self.calls.append(call)
            self._added.notify_all()

    def mark(self) -> int:
        """A point in the call record; pass it as `after=` to wait only for later calls."""
        return len(self.calls)

    async def wait_for(
        self,
        method: str,
        *,
        after: int = 0,
        nth: int = 1,
        ok: bool | None = True,
        chat: int | None = None,
        within: float = 60.0,
        **match: Any,
    ) -> Call:
        """The `nth` call of `method` at or after `after` whose params match, once it exists.

        `match` values are compared with == or, if callable, called with the param's value
        (`text=lambda t: "done" in t`). `ok=True` skips failed calls (None: any outcome); `chat`
        keeps calls for that chat or without a chat_id. `within` only bounds a failure, which is
        reported with every call seen since `after`.
        """

        def found() -> Call | None:
            hits = [c for c in self.calls[after:] if c.matches(method, ok, chat, match)]
            return hits[nth - 1] if len(hits) >= nth else None

        try:
            async with asyncio.timeout(within), self._added:
                await self._added.wait_for(lambda: found() is not None)
        except TimeoutError:
            raise AssertionError(
                f"no {method} call (#{nth}) matching {match} within {within} s; calls seen:\n"
                + self.describe_calls(after)
            ) from None
        call = found()
        assert call is not None
        return call

    def describe_calls(self, after: int = 0) -> str:
        """The call record from `after` on, one line each, leaving out empty long polls."""
        lines = [
            c.describe()
            for c in self.calls[after:]
            if not (c.method == "getUpdates" and c.ok and not c.result)
        ]
        return "\n".join(lines) or "(none)"
