"""A fake Telegram Bot API server that a real python-telegram-bot Application talks to over HTTP.

Telegram is unreachable from our machines, so bot tests point PTB's `base_url`/`base_file_url` at
this aiohttp server on 127.0.0.1. It keeps just enough state to answer like Telegram (users and
their private chats, group chats with their members and admins, messages as currently edited,
replies, stored files, an update queue with getUpdates' offset semantics), records every call
with its decoded parameters and uploaded bytes so tests can assert on what the bot did, and
injects faults (errors, 429 with retry_after, slow answers) so tests can check the bot survives
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, ClientError, ClientSession, ClientTimeout, hdrs, web

from tests.fakebot import media
from tests.fakebot.user import FakeUser

JSON = dict[str, Any]
Handler = Callable[[JSON, dict[str, "Upload"]], Awaitable[Any]]

TOKEN = "123456789:AAFakeTokenForTestsOnly"
BOT_ID = 123456789
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files, as the real Bot API does
# Form fields PTB sends as raw strings; every other form value is JSON (numbers, booleans,
# keyboards), so decoding these would turn a text "42" into a number.
STRING_FIELDS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "file_id", "action", "url",
     "photo", "document", "language_code", "inline_message_id", "description", "title"}
)  # fmt: skip


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


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


@dataclass
class _Fault:
    method: str
    status: int | None  # None: only slow the answer down (or hold it)
    description: str
    retry_after: int | None
    delay: float
    times: int | None  # None: every call from now on
    gate: HeldCalls | None = None  # calls wait here until the test releases them


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

    async def _wait(self) -> None:
        self._reached.set()
        await self._released.wait()


@dataclass
class _Chat:
    json: JSON  # the chat as messages carry it
    messages: dict[int, JSON] = field(default_factory=dict)  # message_id -> message, as edited
    next_message_id: int = 1
    members: dict[int, str] = field(default_factory=dict)  # a group's: user id -> status
    bot_sees_all: bool = False  # a group where the bot is an admin: it gets every message

    @property
    def private(self) -> bool:
        return self.json["type"] == "private"


# What Telegram says an administrator may do (every field ChatMemberAdministrator requires).
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


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


def _check_limits(params: JSON) -> None:
    """Telegram's limits that bots do hit: text and caption length, callback_data size."""
    if len(params.get("text") or "") > 4096:
        raise ApiError(400, "Bad Request: message is too long")
    if len(params.get("caption") or "") > 1024:
        raise ApiError(400, "Bad Request: message caption is too long")
    markup = params.get("reply_markup")
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    data = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
    if any(not 1 <= len(d.encode()) <= 64 for d in data):
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _matches(call: Call, method: str, ok: bool | None, chat: int | None, match: JSON) -> bool:
    if call.method != method or (ok is not None and call.ok != ok):
        return False
    if chat is not None and call.params.get("chat_id", chat) != chat:
        return False
    for key, expected in match.items():
        if key not in call.params:
            return False
        actual = call.params[key]
        if not (expected(actual) if callable(expected) else actual == expected):
            return False
    return True


class FakeTelegram:
    """The fake Bot API. Use as `async with FakeTelegram() as telegram:` (the `telegram` fixture).

    Point a bot at it with `telegram.token`, `telegram.base_url` and `telegram.base_file_url`;
    act as a person through `telegram.user(...)` (see FakeUser); assert on `telegram.calls` or
    `await telegram.wait_for(...)`; inject faults with `fail(...)` and `delay(...)`.
    """

    def __init__(self, token: str = TOKEN, port: int = 0) -> None:
        """port: 0 picks a free one; a fixed one lets a test start Telegram "late" on an address
        a bot is already trying, or bring it back after taking it down."""
        self.token = token
        self.bot = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Test Bot",
            "username": "test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.commands: dict[str, list[JSON]] = {}  # key: language_code ("" for the default)
        # Menus for other scopes: key (the scope's type, language_code).
        self.scoped_commands: dict[tuple[str, str], list[JSON]] = {}
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, JSON] = {}
        self._files: dict[str, StoredFile] = {}
        self._updates: list[JSON] = []
        self._faults: list[_Fault] = []
        self._open_queries: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._polls_waiting = 0
        self.webhook: JSON | None = None  # setWebhook's parameters while a webhook is set
        self.webhook_answers: list[int] = []  # the bot's HTTP status for each update pushed
        self._pusher: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.port = port
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "sendAnimation": self._send_animation,
                "sendMediaGroup": self._send_media_group,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageMedia": self._edit_message_media,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
                "getChatMember": self._get_chat_member,
            }.items()
        }

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
        async with self._changed:
            self._closing = True  # lets waiting long polls answer at once
            self._changed.notify_all()
        self.release_held()
        if self._pusher is not None:
            await self._pusher
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

    # -- what tests use ----------------------------------------------------------------------

    def user(
        self,
        first_name: str = "Alice",
        language_code: str | None = "en",
        user_id: int | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """A person with a private chat with the bot; send updates as them through the result."""
        if user_id is None:
            user_id = 1001 + len(self._users)
        if user_id in self._users:
            raise ValueError(f"user {user_id} exists already")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        self._chats[user_id] = _Chat(chat)
        return FakeUser(self, user)

    async def add_group(
        self,
        title: str,
        members: list[FakeUser],
        *,
        admins: tuple[FakeUser, ...] = (),
        bot_sees_all: bool = False,
    ) -> int:
        """A group of these people, into which the first member adds the bot (a my_chat_member
        update, as Telegram sends); its chat id. As with Telegram's privacy mode, the bot gets
        only commands and replies to its own messages from it, unless bot_sees_all (the bot is
        an admin there). Act in it through `member.in_group(chat_id)`."""
        chat_id = -100_000 - len(self._chats)
        chat = _Chat({"id": chat_id, "type": "group", "title": title}, bot_sees_all=bot_sees_all)
        admin_ids = {admin.id for admin in admins}
        chat.members = {m.id: "administrator" if m.id in admin_ids else "member" for m in members}
        self._chats[chat_id] = chat
        added: JSON = {"status": "administrator" if bot_sees_all else "member", "user": self.bot}
        if bot_sees_all:
            added.update(_ADMIN_RIGHTS)
        await self._queue_update(
            {
                "my_chat_member": {
                    "chat": chat.json,
                    "from": members[0].json,
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": self.bot},
                    "new_chat_member": added,
                }
            }
        )
        return chat_id

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
            hits = [c for c in self.calls[after:] if _matches(c, method, ok, chat, match)]
            return hits[nth - 1] if len(hits) >= nth else None

        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: found() is not None)
        except TimeoutError:
            raise AssertionError(
                f"no {method} call (#{nth}) matching {match} within {within} s; calls seen:\n"
                + self.describe_calls(after)
            ) from None
        call = found()
        assert call is not None
        return call

    async def wait_for_poll(self, within: float = 60.0) -> None:
        """Wait until a bot is connected and long-polling: it has started, or restarted."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: self._polls_waiting > 0)
        except TimeoutError:
            raise AssertionError(f"no bot polled for updates within {within} s") from None

    def describe_calls(self, after: int = 0) -> str:
        """The call record from `after` on, one line each, leaving out empty long polls."""
        lines = [
            c.describe()
            for c in self.calls[after:]
            if not (c.method == "getUpdates" and c.ok and not c.result)
        ]
        return "\n".join(lines) or "(none)"

    def messages(self, chat_id: int) -> list[JSON]:
        """The chat's messages (both sides) as currently edited, oldest first; deleted ones gone."""
        return [copy.deepcopy(m) for m in self._chats[chat_id].messages.values()]

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes stored under a file_id (any photo size, document, upload)."""
        return self._files[file_id].data

    def keep_file(self, file_id: str, file_unique_id: str, data: bytes) -> None:
        """Hold bytes under a file_id the test chooses: one that a database written earlier
        names (Telegram keeps a file_id valid across a bot's restarts and upgrades)."""
        path = f"documents/{file_unique_id}.jpg"
        self._files[file_id] = StoredFile(file_id, file_unique_id, path, data)

    # -- building updates for FakeUser -------------------------------------------------------

    async def add_user_message(self, user_id: int, chat_id: int, content: JSON) -> JSON:
        """Store a message from the user (text, photo, ...) in the chat, and queue it as an
        update if the bot would get it (in a group: a command, or a reply to the bot)."""
        chat = self._chats[chat_id]
        message = self._new_message(chat, self._users[user_id], content)
        replied = content.get("reply_to_message") or {}
        for_the_bot = str(content.get("text", "")).startswith("/") or (
            replied.get("from", {}).get("id") == self.bot["id"]
        )
        if chat.private or chat.bot_sees_all or for_the_bot:
            await self._queue_update({"message": copy.deepcopy(message)})
        return copy.deepcopy(message)

    async def add_callback_query(self, user_id: int, message: JSON, data: str) -> JSON:
        """Queue a button press on `message`, carrying the message as it is now."""
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        query: JSON = {
            "id": query_id,
            "from": self._users[user_id],
            "message": copy.deepcopy(message),
            "chat_instance": str(-8_000_000_000_000_000_000 - user_id),
            "data": data,
        }
        self._open_queries.add(query_id)
        await self._queue_update({"callback_query": query})
        return copy.deepcopy(query)

    def store_photo(self, data: bytes) -> list[JSON]:
        """PhotoSize list for a decodable image, smallest first, the original (same bytes) last."""
        size = media.image_size(data)
        assert size is not None, "not an image"
        previews = [media.preview(data, side) for side in media.PREVIEW_SIDES if side < max(size)]
        result = []
        for blob in [*previews, data]:
            stored = self._store(blob, "photos", "jpg")
            width, height = media.image_size(blob) or size
            result.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(blob),
                    "width": width,
                    "height": height,
                }
            )
        return result

    def store_clip(self, data: bytes, folder: str, file_name: str, **stated: Any) -> JSON:
        """Animation or Video JSON for clip bytes: size, length and type as Telegram states them
        (read with PyAV where the bytes decode, else zeros); `stated` overrides, as a client's
        claims may (a test of the limits sends a long "video" without making one)."""
        stored = self._store(data, folder, file_name.rsplit(".", 1)[-1])
        clip: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
            "file_name": file_name,
            "mime_type": "image/gif" if file_name.endswith(".gif") else "video/mp4",
            **media.clip_info(data),
        }
        clip.update(stated)
        return clip

    def store_document(self, data: bytes, file_name: str | None, mime_type: str | None) -> JSON:
        """Document JSON for any bytes, as Telegram keeps them: unchanged, with name and type."""
        extension = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        stored = self._store(data, "documents", extension)
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }
        if file_name:
            document["file_name"] = file_name
        if mime_type:
            document["mime_type"] = mime_type
        return document

    # -- internals -----------------------------------------------------------------------------

    def _store(self, data: bytes, folder: str, extension: str) -> StoredFile:
        unique = hashlib.sha256(folder.encode() + data).hexdigest()[:16]
        for stored in self._files.values():
            if stored.file_unique_id == unique:
                return stored
        n = next(self._ids)
        stored = StoredFile(f"AgAC{unique}{n:08d}", unique, f"{folder}/file_{n}.{extension}", data)
        self._files[stored.file_id] = stored
        return stored

    def _chat(self, chat_id: Any) -> _Chat:
        """The chat a chat_id names (Telegram accepts it as a number or a string)."""
        try:
            return self._chats[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def _new_message(self, chat: _Chat, sender: JSON, content: JSON) -> JSON:
        message: JSON = {
            "message_id": chat.next_message_id,
            "from": sender,
            "chat": chat.json,
            "date": int(time.time()),
            **content,
        }
        chat.next_message_id += 1
        chat.messages[message["message_id"]] = message
        return message

    def _bot_message(self, params: JSON, content: JSON) -> JSON:
        chat = self._chat(params.get("chat_id"))
        _check_limits(params)
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            replied = chat.messages.get(reply.get("message_id", 0))
            if replied is None and not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
            if replied is not None:  # as Telegram, one level: the reply's own reply is left out
                content["reply_to_message"] = {
                    k: v for k, v in replied.items() if k != "reply_to_message"
                }
        if params.get("caption"):
            content["caption"] = params["caption"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup  # Telegram echoes only inline keyboards
        return copy.deepcopy(self._new_message(chat, self.bot, content))

    def _edited(self, params: JSON) -> JSON:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        message = self._chat(params.get("chat_id")).messages.get(params.get("message_id", 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _commit_edit(
        self, message: JSON, drop: tuple[str, ...], changes: JSON, params: JSON
    ) -> JSON:
        """Replace `drop` keys by `changes`; as on Telegram, no reply_markup drops the keyboard."""
        _check_limits(params)
        new = {k: v for k, v in message.items() if k not in ("reply_markup", "edit_date", *drop)}
        new.update(changes)
        if isinstance(params.get("reply_markup"), dict):
            new["reply_markup"] = params["reply_markup"]
        if new == {k: v for k, v in message.items() if k != "edit_date"}:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        new["edit_date"] = int(time.time())
        message.clear()
        message.update(new)
        return copy.deepcopy(message)

    def _input_file(self, value: Any, files: dict[str, Upload], field: str | None = None) -> Upload:
        """The bytes an input field refers to: an upload, an attach:// part or a known file_id."""
        if field in files:
            return files[field]
        if isinstance(value, str) and value.startswith("attach://"):
            if value.removeprefix("attach://") in files:
                return files[value.removeprefix("attach://")]
        elif isinstance(value, str) and value in self._files:
            return Upload(None, None, self._files[value].data)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _bot_photo(self, data: bytes) -> list[JSON]:
        """Photo sizes for a photo the bot sends, refused as Telegram refuses it."""
        size = media.image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if sum(size) > 10000 or max(size) > 20 * min(size):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self.store_photo(data)

    def _media_content(self, item: JSON, files: dict[str, Upload]) -> JSON:
        """Message content for an InputMedia item (sendMediaGroup, editMessageMedia)."""
        _check_limits(item)
        upload = self._input_file(item.get("media"), files)
        if item.get("type") == "photo":
            content: JSON = {"photo": self._bot_photo(upload.data)}
        elif item.get("type") == "document":
            content = {
                "document": self.store_document(upload.data, upload.filename, upload.mime_type)
            }
        else:
            raise ApiError(
                400, f"Bad Request: media type {item.get('type')!r} not supported by the fake"
            )
        if item.get("caption"):
            content["caption"] = item["caption"]
        return content

    async def _queue_update(self, update: JSON) -> None:
        async with self._changed:
            self._updates.append({"update_id": next(self._ids), **update})
            self._changed.notify_all()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _apply_faults(self, method: str) -> None:
        for fault in [f for f in self._faults if f.method == method and f.times != 0]:
            if fault.times is not None:
                fault.times -= 1
            await asyncio.sleep(fault.delay)
            if fault.gate is not None:
                await fault.gate._wait()
            if fault.status is not None:
                raise ApiError(fault.status, fault.description, fault.retry_after)

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
            await self._apply_faults(method)
            if action is None:
                raise ApiError(404, "Not Found")
            result = await action(params, files)
        except ApiError as error:
            status, description, retry_after = error.status, error.description, error.retry_after
        call = Call(
            len(self.calls), method, params, files, status, result, description, received,
            time.monotonic(), retry_after,
        )  # fmt: skip
        await self._record(call)
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
            for stored in self._files.values():
                if stored.file_path == path:
                    return stored.data
            raise ApiError(404, "Not Found")

        call = await self._answer(
            "download", request.match_info["token"], {"file_path": path}, {}, download
        )
        if call.ok:
            return web.Response(body=call.result, content_type="application/octet-stream")
        return web.json_response(
            {"ok": False, "error_code": call.status, "description": call.description},
            status=call.status,
        )

    # -- Bot API methods -----------------------------------------------------------------------

    async def _true(self, params: JSON, files: dict[str, Upload]) -> bool:
        return True

    async def _get_me(self, params: JSON, files: dict[str, Upload]) -> JSON:
        return self.bot

    async def _set_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        """From now on updates are POSTed to params["url"], as Telegram does, until delivered."""
        async with self._changed:
            self.webhook = dict(params)
            if params.get("drop_pending_updates"):
                self._updates.clear()
            if self._pusher is None:
                self._pusher = asyncio.create_task(self._push_updates())
            self._changed.notify_all()
        return True

    async def _delete_webhook(self, params: JSON, files: dict[str, Upload]) -> bool:
        async with self._changed:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self._updates.clear()
            self._changed.notify_all()
        return True

    async def _push_updates(self) -> None:
        """Webhook delivery: the oldest update first, again and again until the bot answers 200
        (a bot that is down or refuses gets it later), so no update is lost."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                async with self._changed:
                    await self._changed.wait_for(
                        lambda: self._closing or bool(self.webhook and self._updates)
                    )
                    if self._closing:
                        return
                    assert self.webhook is not None
                    update, hook = self._updates[0], self.webhook
                secret = hook.get("secret_token")
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as reply:
                        status = reply.status
                except (ClientError, TimeoutError):
                    status = 0  # nobody listening
                if status:
                    self.webhook_answers.append(status)
                async with self._changed:
                    if status == HTTPStatus.OK:
                        self._updates = [u for u in self._updates if u is not update]
                        self._changed.notify_all()
                    else:  # as Telegram, try again a little later
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(0.2):
                                await self._changed.wait_for(lambda: self._closing)

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

    async def _set_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        scope = (params.get("scope") or {}).get("type", "default")
        if scope == "default":
            self.commands[params.get("language_code", "")] = params["commands"]
        else:
            self.scoped_commands[scope, params.get("language_code", "")] = params["commands"]
        return True

    async def _get_my_commands(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        return self.commands.get(params.get("language_code", ""), [])

    async def _delete_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        self.commands.pop(params.get("language_code", ""), None)
        return True

    async def _send_message(self, params: JSON, files: dict[str, Upload]) -> JSON:
        if not str(params.get("text", "")).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._bot_message(params, {"text": params["text"]})

    async def _send_photo(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._input_file(params.get("photo"), files, "photo")
        return self._bot_message(params, {"photo": self._bot_photo(upload.data)})

    async def _send_document(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._input_file(params.get("document"), files, "document")
        document = self.store_document(upload.data, upload.filename, upload.mime_type)
        return self._bot_message(params, {"document": document})

    async def _send_animation(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._input_file(params.get("animation"), files, "animation")
        clip = self.store_clip(upload.data, "animations", upload.filename or "animation.mp4")
        return self._bot_message(params, {"animation": clip, "document": clip})

    async def _send_media_group(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album (2 to 10)")
        self._chat(params.get("chat_id"))
        group = str(13_000_000_000_000_000 + next(self._ids))
        contents = [self._media_content(item, files) for item in items]
        return [
            self._bot_message({"chat_id": params["chat_id"]}, {**c, "media_group_id": group})
            for c in contents
        ]

    async def _send_chat_action(self, params: JSON, files: dict[str, Upload]) -> bool:
        self._chat(params.get("chat_id"))
        return True

    async def _edit_message_text(self, params: JSON, files: dict[str, Upload]) -> JSON:
        message = self._edited(params)
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._commit_edit(message, ("text",), {"text": params.get("text", "")}, params)

    async def _edit_message_caption(self, params: JSON, files: dict[str, Upload]) -> JSON:
        message = self._edited(params)
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = {"caption": params["caption"]} if params.get("caption") else {}
        return self._commit_edit(message, ("caption",), caption, params)

    async def _edit_message_media(self, params: JSON, files: dict[str, Upload]) -> JSON:
        message = self._edited(params)
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no media in the message to edit")
        item = params.get("media")
        if not isinstance(item, dict):
            raise ApiError(400, "Bad Request: media is required")
        content = self._media_content(item, files)
        return self._commit_edit(message, ("photo", "document", "caption", "text"), content, params)

    async def _edit_message_reply_markup(self, params: JSON, files: dict[str, Upload]) -> JSON:
        return self._commit_edit(self._edited(params), (), {}, params)

    async def _delete_message(self, params: JSON, files: dict[str, Upload]) -> bool:
        chat = self._chat(params.get("chat_id"))
        if chat.messages.pop(params.get("message_id", 0), None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    async def _answer_callback_query(self, params: JSON, files: dict[str, Upload]) -> bool:
        """Each query can be answered once, as on Telegram."""
        if params.get("callback_query_id") not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_queries.remove(params["callback_query_id"])
        return True

    async def _get_chat_member(self, params: JSON, files: dict[str, Upload]) -> JSON:
        chat = self._chat(params.get("chat_id"))
        user_id = int(params.get("user_id", 0))
        if user_id not in self._users:
            raise ApiError(400, "Bad Request: user not found")
        status = "member" if chat.private else chat.members.get(user_id, "left")
        member: JSON = {"status": status, "user": self._users[user_id]}
        if status == "administrator":
            member.update(_ADMIN_RIGHTS)
        return member

    async def _get_file(self, params: JSON, files: dict[str, Upload]) -> JSON:
        stored = self._files.get(params.get("file_id", ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
