"""Messages: what people send, what the bot sends, edits and deletes, albums and button presses.

Telegram checks what bots send (text and caption length, callback_data size, the message replied
to or edited exists, an edit changes something, a button press is answered once) and echoes
only inline keyboards; the fake does the same, and in a group gives the bot only what privacy
mode lets through.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator

from tests.fakebot.calls import JSON, ApiError, Handler, Upload
from tests.fakebot.chats import Chats
from tests.fakebot.files import Files
from tests.fakebot.updates import UpdateQueue


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


class Messages:
    """The messages of every chat, both sides, and the button presses waiting for an answer."""

    def __init__(
        self, chats: Chats, files: Files, updates: UpdateQueue, ids: Iterator[int]
    ) -> None:
        """ids: the server's counter, shared with the other things it numbers."""
        self._chats = chats
        self._files = files
        self._updates = updates
        self._ids = ids
        self._open_queries: set[str] = set()

    def methods(self) -> dict[str, Handler]:
        return {
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
        }

    def messages(self, chat_id: int) -> list[JSON]:
        """The chat's messages (both sides) as currently edited, oldest first; deleted ones gone."""
        return [copy.deepcopy(m) for m in self._chats.chats[chat_id].messages.values()]

    # -- what people do (for FakeUser) ---------------------------------------------------------

    async def add_user_message(self, user_id: int, chat_id: int, content: JSON) -> JSON:
        """Store a message from the user (text, photo, ...) in the chat, and queue it as an
        update if the bot would get it (in a group: a command, or a reply to the bot)."""
        chat = self._chats.chats[chat_id]
        message = chat.post(self._chats.users[user_id], content)
        replied = content.get("reply_to_message") or {}
        for_the_bot = str(content.get("text", "")).startswith("/") or (
            replied.get("from", {}).get("id") == self._chats.bot["id"]
        )
        if chat.private or chat.bot_sees_all or for_the_bot:
            await self._updates.add({"message": copy.deepcopy(message)})
        return copy.deepcopy(message)

    async def add_callback_query(self, user_id: int, message: JSON, data: str) -> JSON:
        """Queue a button press on `message`, carrying the message as it is now."""
        query_id = str(4_000_000_000_000_000_000 + next(self._ids))
        query: JSON = {
            "id": query_id,
            "from": self._chats.users[user_id],
            "message": copy.deepcopy(message),
            "chat_instance": str(-8_000_000_000_000_000_000 - user_id),
            "data": data,
        }
        self._open_queries.add(query_id)
        await self._updates.add({"callback_query": query})
        return copy.deepcopy(query)

    # -- what the bot does -----------------------------------------------------------------------

    async def _send_message(self, params: JSON, files: dict[str, Upload]) -> JSON:
        if not str(params.get("text", "")).strip():
            raise ApiError(400, "Bad Request: message text is empty")
        return self._bot_message(params, {"text": params["text"]})

    async def _send_photo(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._files.input_file(params.get("photo"), files, "photo")
        return self._bot_message(params, {"photo": self._files.store_sent_photo(upload.data)})

    async def _send_document(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._files.input_file(params.get("document"), files, "document")
        document = self._files.store_document(upload.data, upload.filename, upload.mime_type)
        return self._bot_message(params, {"document": document})

    async def _send_animation(self, params: JSON, files: dict[str, Upload]) -> JSON:
        upload = self._files.input_file(params.get("animation"), files, "animation")
        clip = self._files.store_clip(upload.data, "animations", upload.filename or "animation.mp4")
        return self._bot_message(params, {"animation": clip, "document": clip})

    async def _send_media_group(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        items = params.get("media")
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album (2 to 10)")
        self._chats.chat(params.get("chat_id"))
        group = str(13_000_000_000_000_000 + next(self._ids))
        contents = [self._media_content(item, files) for item in items]
        return [
            self._bot_message({"chat_id": params["chat_id"]}, {**c, "media_group_id": group})
            for c in contents
        ]

    async def _send_chat_action(self, params: JSON, files: dict[str, Upload]) -> bool:
        self._chats.chat(params.get("chat_id"))
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
        chat = self._chats.chat(params.get("chat_id"))
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

    # -- how the bot's messages are made and edited ----------------------------------------------

    def _bot_message(self, params: JSON, content: JSON) -> JSON:
        chat = self._chats.chat(params.get("chat_id"))
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
        return copy.deepcopy(chat.post(self._chats.bot, content))

    def _edited(self, params: JSON) -> JSON:
        if "inline_message_id" in params:
            raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
        message = self._chats.chat(params.get("chat_id")).messages.get(params.get("message_id", 0))
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

    def _media_content(self, item: JSON, files: dict[str, Upload]) -> JSON:
        """Message content for an InputMedia item (sendMediaGroup, editMessageMedia)."""
        _check_limits(item)
        upload = self._files.input_file(item.get("media"), files)
        if item.get("type") == "photo":
            content: JSON = {"photo": self._files.store_sent_photo(upload.data)}
        elif item.get("type") == "document":
            content = {
                "document": self._files.store_document(
                    upload.data, upload.filename, upload.mime_type
                )
            }
        else:
            raise ApiError(
                400, f"Bad Request: media type {item.get('type')!r} not supported by the fake"
            )
        if item.get("caption"):
            content["caption"] = item["caption"]
        return content
