"""Webhooks: setWebhook and deleteWebhook, and pushing queued updates to the bot's URL.

Telegram POSTs each update to the webhook, oldest first, and keeps it until the bot answers 200;
the fake does the same from one background task, so a bot that is down or refuses gets the update
later and none is lost.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from aiohttp import ClientError, ClientSession, ClientTimeout

from tests.fakebot.calls import JSON, Handler, Upload
from tests.fakebot.updates import UpdateQueue


class Webhooks:
    """The webhook of one fake server: set on the update queue, pushed from here."""

    def __init__(self, queue: UpdateQueue) -> None:
        self.answers: list[int] = []  # the bot's HTTP status for each update pushed
        self._queue = queue
        self._pusher: asyncio.Task[None] | None = None

    def methods(self) -> dict[str, Handler]:
        return {"setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook}

    async def stop(self) -> None:
        """Until the pusher has ended (it ends when the queue closes)."""
        if self._pusher is not None:
            await self._pusher

    async def _set_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        """From now on updates are POSTed to params["url"], as Telegram does, until delivered."""
        await self._queue.send_to(dict(params), bool(params.get("drop_pending_updates")))
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push_updates())
        return True

    async def _delete_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        await self._queue.send_to(None, bool(params.get("drop_pending_updates")))
        return True

    async def _push_updates(self) -> None:
        """Webhook delivery: the oldest update first, again and again until the bot answers 200
        (a bot that is down or refuses gets it later), so no update is lost."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while (next_push := await self._queue.next_for_webhook()) is not None:
                update, hook = next_push
                secret = hook.get("secret_token")
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as reply:
                        status = reply.status
                except (ClientError, TimeoutError):
                    status = 0  # nobody listening
                if status:
                    self.answers.append(status)
                if status == HTTPStatus.OK:
                    await self._queue.delivered(update)
                else:  # as Telegram, try again a little later
                    await self._queue.pause(0.2)
