"""The updates waiting for the bot, and long polling (getUpdates) with Telegram's offset rules.

An update stays queued until the bot confirms it: a long poll with a higher `offset`, or a 200
from the bot's webhook (webhooks.py). While a webhook is set, Telegram refuses getUpdates, so the
queue knows which way its updates leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Iterator

from tests.fakebot.calls import JSON, ApiError, Handler, Upload


class UpdateQueue:
    """Updates in order, each with its update_id, and whoever waits on them: long polls, the
    webhook's pusher, a test waiting for a poll (one condition wakes them all)."""

    def __init__(self, ids: Iterator[int]) -> None:
        """ids: the server's counter, shared with the other things it numbers."""
        self.webhook: JSON | None = None  # setWebhook's parameters while a webhook is set
        self._updates: list[JSON] = []
        self._ids = ids
        self._changed = asyncio.Condition()
        self._closing = False  # the server is stopping: waits end at once
        self._polls_waiting = 0

    def methods(self) -> dict[str, Handler]:
        return {"getUpdates": self._get_updates}

    async def add(self, update: JSON) -> None:
        """Queue an update (a message, a button press, a my_chat_member) for the bot."""
        async with self._changed:
            self._updates.append({"update_id": next(self._ids), **update})
            self._changed.notify_all()

    async def close(self) -> None:
        """Let waiting long polls answer now, and the webhook's pusher stop."""
        async with self._changed:
            self._closing = True
            self._changed.notify_all()

    async def send_to(self, webhook: JSON | None, drop_pending: bool) -> None:
        """From now on updates go to this webhook (setWebhook's parameters), or wait for
        getUpdates (None); `drop_pending` forgets the updates queued so far."""
        async with self._changed:
            self.webhook = webhook
            if drop_pending:
                self._updates.clear()
            self._changed.notify_all()

    async def next_for_webhook(self) -> tuple[JSON, JSON] | None:
        """The oldest update and the webhook to push it to, once both exist; None on closing."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._closing or bool(self.webhook and self._updates)
            )
            if self._closing:
                return None
            assert self.webhook is not None
            return self._updates[0], self.webhook

    async def delivered(self, update: JSON) -> None:
        """The webhook took it (answered 200): it leaves the queue."""
        async with self._changed:
            self._updates = [u for u in self._updates if u is not update]
            self._changed.notify_all()

    async def pause(self, seconds: float) -> None:
        """Until `seconds` have passed, or less if the server is closing."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._changed.wait_for(lambda: self._closing)

    async def wait_for_poll(self, within: float = 60.0) -> None:
        """Wait until a bot is connected and long-polling: it has started, or restarted."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: self._polls_waiting > 0)
        except TimeoutError:
            raise AssertionError(f"no bot polled for updates within {within} s") from None

    async def _get_updates(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        """Long polling: confirm updates below `offset`, then wait up to `timeout` for one."""
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._polls_waiting += 1
            self._changed.notify_all()
            try:
                async with asyncio.timeout(float(params.get("timeout") or 0)):
                    await self._changed.wait_for(lambda: bool(self._updates) or self._closing)
            except TimeoutError:
                pass
            finally:
                self._polls_waiting -= 1
            return copy.deepcopy(self._updates[:limit])
