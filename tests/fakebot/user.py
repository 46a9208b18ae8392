"""A person talking to the bot through the fake server: what tests write instead of raw updates.

Each action (message, photo, button press) moves the user's "since" point, so `wait_for` looks only
at what the bot did after it: `await user.send_message("/start")` then
`await user.wait_for("sendMessage")` cannot pick up an older reply.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.fakebot import media

if TYPE_CHECKING:
    from tests.fakebot.calls import JSON, Call
    from tests.fakebot.server import FakeTelegram


def _read(data: bytes | Path) -> bytes:
    return data.read_bytes() if isinstance(data, Path) else data


class FakeUser:
    """One Telegram user talking to the bot: in their private chat (made by `FakeTelegram.user`),
    or in a group (`in_group`)."""

    def __init__(self, telegram: FakeTelegram, user: JSON, chat_id: int | None = None) -> None:
        self.telegram = telegram
        self.json = user
        self.id: int = user["id"]
        self.chat_id: int = user["id"] if chat_id is None else chat_id
        self.since = telegram.mark()

    def in_group(self, chat_id: int) -> FakeUser:
        """The same person writing in a group (`FakeTelegram.add_group`); waits look there."""
        return FakeUser(self.telegram, self.json, chat_id)

    async def send_message(self, text: str, reply_to: JSON | None = None) -> JSON:
        """A text message; a leading /command gets the bot_command entity CommandHandler needs.
        reply_to: the message it answers (Telegram carries it, one level deep)."""
        content: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            content["reply_to_message"] = {
                k: v for k, v in reply_to.items() if k != "reply_to_message"
            }
        return await self._send(content)

    async def send_photo(self, photo: bytes | Path, caption: str | None = None) -> JSON:
        """A photo (several sizes, the original bytes last), as Telegram delivers one."""
        return await self._send(self._photo(photo, caption))

    async def send_document(
        self, data: bytes | Path, filename: str, mime_type: str, caption: str | None = None
    ) -> JSON:
        """A file sent "as a file": any bytes, so tests can send corrupt or non-image files."""
        content: JSON = {"document": self.telegram.store_document(_read(data), filename, mime_type)}
        if caption is not None:
            content["caption"] = caption
        return await self._send(content)

    async def send_animation(
        self, data: bytes | Path, caption: str | None = None, **stated: Any
    ) -> JSON:
        """A GIF or silent MP4 as Telegram delivers it: an animation that is also a document."""
        clip = self.telegram.store_clip(_read(data), "animations", "animation.mp4", **stated)
        content: JSON = {"animation": clip, "document": clip}
        if caption is not None:
            content["caption"] = caption
        return await self._send(content)

    async def send_video(
        self, data: bytes | Path, caption: str | None = None, **stated: Any
    ) -> JSON:
        """A video message (not a round video note)."""
        content: JSON = {
            "video": self.telegram.store_clip(_read(data), "videos", "video.mp4", **stated)
        }
        if caption is not None:
            content["caption"] = caption
        return await self._send(content)

    async def send_video_note(self, data: bytes | Path, **stated: Any) -> JSON:
        """A round video message: no caption, a length (side) instead of width and height."""
        clip = self.telegram.store_clip(_read(data), "video_notes", "video_note.mp4", **stated)
        note: JSON = {
            key: clip[key] for key in ("file_id", "file_unique_id", "file_size", "duration")
        }
        note["length"] = clip["width"]
        return await self._send({"video_note": note})

    async def send_album(
        self, photos: Sequence[bytes | Path], caption: str | None = None
    ) -> list[JSON]:
        """Photos sent together: one update each, sharing a media_group_id, caption on the first."""
        group = str(uuid.uuid4().int % 10**17)
        since = self.telegram.mark()
        messages = []
        for i, photo in enumerate(photos):
            content = self._photo(photo, caption if i == 0 else None)
            messages.append(await self._send({**content, "media_group_id": group}))
        self.since = since
        return messages

    async def press(self, button: str, message: JSON | None = None) -> JSON:
        """Press an inline button, found by text or callback_data; returns the callback query.

        The button is looked for on `message` (as it is now) or else on the bot's latest message
        that has an inline keyboard, which is where a person would press it.
        """
        if message is not None:
            current = [m for m in self.chat if m["message_id"] == message["message_id"]]
            if not current:
                raise AssertionError(f"message {message['message_id']} is gone (deleted)")
            target = current[0]
        else:
            with_keyboard = [m for m in self.chat if "reply_markup" in m]
            if not with_keyboard:
                raise AssertionError(f"no bot message with an inline keyboard in {self.chat}")
            target = with_keyboard[-1]
        buttons = [
            b for row in target.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        for b in buttons:
            if button in (b.get("text"), b.get("callback_data")) and "callback_data" in b:
                self.since = self.telegram.mark()
                return await self.telegram.add_callback_query(self.id, target, b["callback_data"])
        raise AssertionError(f"no button {button!r} on message {target['message_id']}: {buttons}")

    async def wait_for(
        self,
        method: str,
        *,
        nth: int = 1,
        ok: bool | None = True,
        after: int | None = None,
        within: float = 60.0,
        **match: Any,
    ) -> Call:
        """The bot's `nth` `method` call in this chat since this user's last action.

        See `FakeTelegram.wait_for` for matching; `after` overrides the starting point.
        """
        return await self.telegram.wait_for(
            method,
            after=self.since if after is None else after,
            nth=nth,
            ok=ok,
            chat=self.chat_id,
            within=within,
            **match,
        )

    async def receive_photo(self, within: float = 60.0, **match: Any) -> bytes:
        """Wait for the bot's next photo (sendPhoto) and return its full-size bytes."""
        call = await self.wait_for("sendPhoto", within=within, **match)
        return self.telegram.file_bytes(call.result["photo"][-1]["file_id"])

    @property
    def chat(self) -> list[JSON]:
        """The bot's messages in this chat as currently edited, oldest first, deleted ones gone."""
        return [m for m in self.telegram.messages(self.chat_id) if m["from"]["is_bot"]]

    def _photo(self, photo: bytes | Path, caption: str | None) -> JSON:
        data = _read(photo)
        if media.image_size(data) is None:
            raise ValueError("Telegram takes only decodable images as photos; use send_document")
        content: JSON = {"photo": self.telegram.store_photo(data)}
        if caption is not None:
            content["caption"] = caption
        return content

    async def _send(self, content: JSON) -> JSON:
        self.since = self.telegram.mark()
        return await self.telegram.add_user_message(self.id, self.chat_id, content)
