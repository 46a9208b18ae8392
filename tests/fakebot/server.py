"""A fake Telegram Bot API server that a real python-telegram-bot Application talks to over HTTP.

Telegram is unreachable from our machines, so bot tests point PTB's `base_url`/`base_file_url` at
this aiohttp server on 127.0.0.1. It keeps just enough state to answer like Telegram, one area per
module: people and chats (chats.py), command menus (commands.py), stored files (files.py),
messages (messages.py), the update queue and long polling (updates.py) and webhooks
(webhooks.py). This module is the server itself: it decodes each request, runs it through the
faults a test injected (faults.py) and the area's method, and records every call with its
decoded parameters and uploaded bytes (calls.py) so tests can assert on what the bot did.
"""

from __future__ import annotations

import itertools
import json
import time
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from tests.fakebot.calls import JSON, ApiError, Area, Call, CallRecord, Handler, Upload
from tests.fakebot.chats import Chats
from tests.fakebot.commands import CommandMenus
from tests.fakebot.faults import Faults
from tests.fakebot.files import Files
from tests.fakebot.messages import Messages
from tests.fakebot.updates import UpdateQueue
from tests.fakebot.user import FakeUser
from tests.fakebot.webhooks import Webhooks

TOKEN = "123456789:AAFakeTokenForTestsOnly"
# Form fields PTB sends as raw strings; every other form value is JSON (numbers, booleans,
# keyboards), so decoding these would turn a text "42" into a number.
STRING_FIELDS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "file_id", "action", "url",
     "photo", "document", "language_code", "inline_message_id", "description", "title"}
)  # fmt: skip


def _decode_form_value(name: str, value: str) -> Any:
    if name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _read_request(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """Parameters and uploads from a query string, JSON body, url-encoded or multipart form."""
    params: JSON = {k: _decode_form_value(k, v) for k, v in request.query.items()}
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is None:
                params[part.name] = _decode_form_value(part.name, await part.text())
            else:
                data = bytes(await part.read())
                files[part.name] = Upload(part.filename, part.headers.get(hdrs.CONTENT_TYPE), data)
    elif request.can_read_body:
        form = await request.post()
        params.update({k: _decode_form_value(k, v) for k, v in form.items() if isinstance(v, str)})
    return params, files


class FakeTelegram:
    """The fake Bot API. Use as `async with FakeTelegram() as telegram:` (the `telegram` fixture).

    Point a bot at it with `telegram.token`, `telegram.base_url` and `telegram.base_file_url`;
    act as a person through `telegram.user(...)` (see FakeUser); assert on `telegram.calls` or
    `await telegram.wait_for(...)`; inject faults with `fail(...)`, `delay(...)` and `hold(...)`.
    The rest of what tests use is named in `__init__`, each from the module that does it.
    """

    def __init__(self, token: str = TOKEN, port: int = 0) -> None:
        """port: 0 picks a free one; a fixed one lets a test start Telegram "late" on an address
        a bot is already trying, or bring it back after taking it down."""
        self.token = token
        self.port = port
        self._runner: web.AppRunner | None = None
        ids = itertools.count(1)  # one numbering: update_ids, file ids, albums, button presses
        self._record = CallRecord()
        self._faults = Faults()
        self._updates = UpdateQueue(ids)
        self._webhooks = Webhooks(self._updates)
        self._chats = Chats(self._updates)
        self._files = Files(ids)
        menus = CommandMenus()
        messages = Messages(self._chats, self._files, self._updates, ids)
        areas: tuple[Area, ...] = (
            self._updates,
            self._webhooks,
            self._chats,
            menus,
            self._files,
            messages,
        )
        # Every Bot API method, found by its name in any case, as Telegram finds it.
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for area in areas
            for name, handler in area.methods().items()
        }

        # What tests use, from the module that does it. The call record (calls.py):
        self.calls = self._record.calls
        self.mark = self._record.mark
        self.wait_for = self._record.wait_for
        self.describe_calls = self._record.describe_calls
        # Faults (faults.py):
        self.fail = self._faults.fail
        self.delay = self._faults.delay
        self.hold = self._faults.hold
        self.release_held = self._faults.release_held
        # Updates, webhooks and command menus (updates.py, webhooks.py, commands.py):
        self.wait_for_poll = self._updates.wait_for_poll
        self.webhook_answers = self._webhooks.answers
        self.commands = menus.commands
        self.scoped_commands = menus.scoped_commands
        # People, chats and messages (chats.py, messages.py; `user` and `webhook` are below):
        self.bot = self._chats.bot
        self.add_group = self._chats.add_group
        self.messages = messages.messages
        self.add_user_message = messages.add_user_message
        self.add_callback_query = messages.add_callback_query
        # Files (files.py):
        self.file_bytes = self._files.file_bytes
        self.keep_file = self._files.keep_file
        self.store_photo = self._files.store_photo
        self.store_clip = self._files.store_clip
        self.store_document = self._files.store_document

    def user(
        self,
        first_name: str = "Alice",
        language_code: str | None = "en",
        user_id: int | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """A person with a private chat with the bot; send updates as them through the result."""
        return FakeUser(self, self._chats.add_user(first_name, language_code, user_id, username))

    @property
    def webhook(self) -> JSON | None:
        """setWebhook's parameters while a webhook is set."""
        return self._updates.webhook

    # -- lifecycle and addresses -------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_download)
        # handler_cancellation: a long poll whose client went away (bot stopped or killed) ends.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._updates.close()  # lets waiting long polls answer at once
        self._faults.release_held()
        await self._webhooks.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder.base_url`: PTB appends the token itself."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For `ApplicationBuilder.base_file_url`: PTB appends token and file_path."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- the request/answer cycle ------------------------------------------------------------

    async def _answer(
        self,
        method: str,
        token: str,
        params: JSON,
        files: dict[str, Upload],
        action: Handler | None,
    ) -> Call:
        """Run one request through token check, faults and the method; record and return it."""
        received = time.monotonic()
        status, result, description, retry_after = 200, None, None, None
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            await self._faults.apply(method)
            if action is None:
                raise ApiError(404, "Not Found")
            result = await action(params, files)
        except ApiError as error:
            status, description, retry_after = error.status, error.description, error.retry_after
        call = Call(
            len(self.calls), method, params, files, status, result, description, received,
            time.monotonic(), retry_after,
        )  # fmt: skip
        await self._record.add(call)
        return call

    async def _handle_api(self, request: web.Request) -> web.Response:
        params, files = await _read_request(request)
        name, handler = self._methods.get(
            request.match_info["method"].lower(), (request.match_info["method"], None)
        )
        call = await self._answer(name, request.match_info["token"], params, files, handler)
        if call.ok:
            return web.json_response({"ok": True, "result": call.result})
        body: JSON = {"ok": False, "error_code": call.status, "description": call.description}
        if call.retry_after is not None:
            body["parameters"] = {"retry_after": call.retry_after}
        return web.json_response(body, status=call.status)

    async def _handle_download(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]

        async def download(params: JSON, files: dict[str, Upload]) -> bytes:
            return self._files.download(path)

        call = await self._answer(
            "download", request.match_info["token"], {"file_path": path}, {}, download
        )
        if call.ok:
            return web.Response(body=call.result, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": call.status, "description": call.description},
            status=call.status,
        )
