"""The job side's Telegram end: a job's status message, its photos in and its result out.

Every call survives flood control (429: wait retry_after, as often as Telegram asks) and brief
network trouble (retried with backoff). Sending a result is the one call that is not repeated
when its outcome is unknown (a timeout): a repeat could deliver it twice, so the caller is told
the delivery is uncertain instead. Progress edits are throttled per chat, and the status board
skips texts a message already shows, so a long job costs Telegram a handful of edits.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import TypeVar

from telegram import Bot, Document, InlineKeyboardMarkup, Message, PhotoSize, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.models import FileRef

log = logging.getLogger(__name__)

# Bots may download files up to this size (Bot API getFile).
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024
# At most one progress edit per chat this often; Telegram itself allows about one a second.
EDIT_INTERVAL_S = 3.0
NETWORK_RETRIES = 5
MAX_BACKOFF_S = 30.0
# Uploads of a full-size PNG on a slow link take a while; a timeout makes a delivery uncertain.
UPLOAD_TIMEOUT_S = 120.0

T = TypeVar("T")


class InputTooBig(Exception):
    """The file is over Telegram's bot download limit; nobody could fetch it."""


class InputUnavailable(Exception):
    """Telegram no longer has the file (or never did): the user must send it again."""


class Sent(Enum):
    """How sending a result went."""

    OK = "ok"
    UNCERTAIN = "uncertain"  # timed out: it may or may not have arrived
    UNREACHABLE = "unreachable"  # the chat is gone or refuses us: nothing will ever arrive


def retry_after_s(error: RetryAfter) -> float:
    """Seconds Telegram asks us to wait (a timedelta: the bot opts in with PTB_TIMEDELTA)."""
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def telegram_call(action: Callable[[], Awaitable[T]], *, repeatable: bool = True) -> T:
    """action() until it succeeds: flood waits are waited out, network errors retried a few times.

    repeatable=False (sending a result): network errors are raised at once, so the caller can
    record that nothing is under way before it waits and tries again. BadRequest, Forbidden and
    the like are always raised: trying again would not help.
    """
    failures = 0
    while True:
        try:
            return await action()
        except RetryAfter as error:  # Telegram did not carry it out; it says when to come back
            await asyncio.sleep(retry_after_s(error) + 0.1)
        except NetworkError as error:  # BadRequest and TimedOut are NetworkErrors too
            failures += 1
            if isinstance(error, BadRequest) or not repeatable or failures > NETWORK_RETRIES:
                raise
            await asyncio.sleep(min(2.0**failures, MAX_BACKOFF_S))


def reply_parameters(reply_to: int | None) -> ReplyParameters | None:
    """A reply to that message (in a group: the request), sent anyway if it was deleted."""
    if reply_to is None:
        return None
    return ReplyParameters(reply_to, allow_sending_without_reply=True)


def status_digest(text: str, keyboard: InlineKeyboardMarkup | None) -> str:
    """A short fingerprint of a status message's text and buttons, kept with its job."""
    buttons = json.dumps(keyboard.to_dict() if keyboard else None, sort_keys=True)
    return hashlib.sha256(f"{text}\0{buttons}".encode()).hexdigest()[:16]


class Messenger:
    """Sends and edits the job side's messages through one Bot."""

    def __init__(self, bot: Bot, clock: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self._clock = clock
        self._last_edit: dict[int, float] = {}  # chat_id -> when its last progress edit went

    async def send_status(
        self,
        chat_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None,
        reply_to: int | None = None,
    ) -> int | None:
        """A new status message (a reply to reply_to, if given); its id, or None if the chat
        cannot be written to."""
        reply = reply_parameters(reply_to)
        try:
            message = await telegram_call(
                lambda: self.bot.send_message(
                    chat_id, text, reply_markup=keyboard, reply_parameters=reply
                )
            )
        except TelegramError as error:
            log.warning("status message to chat %s failed: %s", chat_id, error)
            return None
        return message.message_id

    async def edit_status(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
        *,
        progress: bool = False,
    ) -> bool:
        """Show text in the status message; True once the message is settled (edited, already
        showing it, or gone), False when skipped or Telegram could not be reached.

        progress=True: skipped when this chat was edited less than EDIT_INTERVAL_S ago. The
        caller skips texts already shown (status_digest), across restarts too.
        """
        now = self._clock()
        if progress and now - self._last_edit.get(chat_id, -EDIT_INTERVAL_S) < EDIT_INTERVAL_S:
            return False
        self._last_edit[chat_id] = now
        try:
            await telegram_call(
                lambda: self.bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard
                )
            )
        except BadRequest as error:
            if "not modified" not in str(error):
                # Deleted by the user, or too old to edit: the job goes on without it.
                log.info("status message %s in chat %s not edited: %s", message_id, chat_id, error)
        except TelegramError as error:
            log.warning("status message %s in chat %s not edited: %s", message_id, chat_id, error)
            return False
        return True

    def forget_message(self, chat_id: int, message_id: int | None) -> None:
        """The job is over: stop remembering its chat, so memory follows the active jobs."""
        self._last_edit.pop(chat_id, None)

    async def chat_action(self, chat_id: int, action: ChatAction) -> None:
        """Best effort: "typing…" or "sending a photo…" under the chat's title."""
        try:
            await self.bot.send_chat_action(chat_id, action)
        except TelegramError as error:
            log.debug("chat action for chat %s failed: %s", chat_id, error)

    async def download(self, file: FileRef, target: Path) -> Path:
        """Fetch a user's file to target; refused before any download when it is too big."""
        if file.file_size is not None and file.file_size > TELEGRAM_DOWNLOAD_LIMIT:
            raise InputTooBig(file.file_unique_id)
        try:
            found = await telegram_call(lambda: self.bot.get_file(file.file_id))
            if found.file_size is not None and found.file_size > TELEGRAM_DOWNLOAD_LIMIT:
                raise InputTooBig(file.file_unique_id)
            return await telegram_call(lambda: found.download_to_drive(target))
        except BadRequest as error:
            if "too big" in str(error).lower():
                raise InputTooBig(file.file_unique_id) from error
            raise InputUnavailable(str(error)) from error

    async def send_photo(
        self,
        chat_id: int,
        path: Path,
        caption: str,
        keyboard: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """A photo with a caption (a preview, a contact sheet); False if it could not be sent."""
        await self.chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        try:
            await telegram_call(
                lambda: self.bot.send_photo(
                    chat_id,
                    path,
                    caption=caption,
                    reply_markup=keyboard,
                    write_timeout=UPLOAD_TIMEOUT_S,
                ),
                repeatable=False,
            )
        except TelegramError as error:
            log.warning("photo to chat %s not sent: %s", chat_id, error)
            return False
        return True

    async def send_animation(
        self,
        chat_id: int,
        path: Path,
        caption: str,
        keyboard: InlineKeyboardMarkup,
        reply_to: int | None = None,
    ) -> Sent:
        """A painted clip as a Telegram animation (silent MP4) with its re-run buttons; Sent and
        reply_to as for send_result.

        Raises NetworkError when Telegram could not be reached and nothing was sent.
        """
        await self.chat_action(chat_id, ChatAction.UPLOAD_VIDEO)
        return await self._send_once(
            "animation",
            chat_id,
            lambda: self.bot.send_animation(
                chat_id,
                path,
                caption=caption,
                reply_markup=keyboard,
                reply_parameters=reply_parameters(reply_to),
                filename=path.name,
                write_timeout=UPLOAD_TIMEOUT_S,
                read_timeout=UPLOAD_TIMEOUT_S,
            ),
        )

    async def send_print(
        self, chat_id: int, path: Path, caption: str, filename: str, reply_to: int | None = None
    ) -> Sent:
        """A print's file as a document, never a photo (Telegram shrinks photos to 1280 px);
        Sent, reply_to and errors as for send_animation."""
        await self.chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
        return await self._send_once(
            "print",
            chat_id,
            lambda: self.bot.send_document(
                chat_id,
                path,
                caption=caption,
                filename=filename,
                reply_parameters=reply_parameters(reply_to),
                write_timeout=UPLOAD_TIMEOUT_S,
                read_timeout=UPLOAD_TIMEOUT_S,
            ),
        )

    async def _send_once(
        self, what: str, chat_id: int, send: Callable[[], Awaitable[Message]]
    ) -> Sent:
        """One result message, never repeated: a timeout is UNCERTAIN, a refusal UNREACHABLE."""
        try:
            await telegram_call(send, repeatable=False)
        except TimedOut:
            return Sent.UNCERTAIN
        except (Forbidden, BadRequest) as error:
            log.warning("%s to chat %s cannot be delivered: %s", what, chat_id, error)
            return Sent.UNREACHABLE
        return Sent.OK

    async def send_result(
        self,
        chat_id: int,
        path: Path,
        caption: str,
        keyboard: InlineKeyboardMarkup,
        filename: str | None,
        reply_to: int | None = None,
    ) -> tuple[Sent, FileRef | None]:
        """The result as a photo (caption and buttons) and as the full-resolution PNG file named
        filename (None: no file; a photo Telegram refuses is still sent as one), both replies to
        reply_to if given. With Sent comes the result as Telegram keeps it now: the file, else
        the photo's largest size (None when nothing surely arrived).

        Once the photo is out the result counts as delivered, whatever happens to the file.
        Raises NetworkError when Telegram could not be reached or failed, and nothing was sent,
        so the caller may try again later; a timeout is UNCERTAIN instead.
        """
        await self.chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        reply = reply_parameters(reply_to)
        photo_sent = False
        kept: FileRef | None = None
        try:
            try:
                photo = await telegram_call(
                    lambda: self.bot.send_photo(
                        chat_id,
                        path,
                        caption=caption,
                        reply_markup=keyboard,
                        reply_parameters=reply,
                        write_timeout=UPLOAD_TIMEOUT_S,
                        read_timeout=UPLOAD_TIMEOUT_S,
                    ),
                    repeatable=False,
                )
                photo_sent = True
                kept = _file_ref(photo.photo[-1]) if photo.photo else None
            except BadRequest as error:  # e.g. proportions Telegram refuses for a photo
                log.warning("result photo to chat %s refused, sending the file: %s", chat_id, error)
            if photo_sent and filename is None:
                return Sent.OK, kept
            document = await telegram_call(
                lambda: self.bot.send_document(
                    chat_id,
                    path,
                    filename=filename or path.name,
                    reply_parameters=reply,
                    write_timeout=UPLOAD_TIMEOUT_S,
                    read_timeout=UPLOAD_TIMEOUT_S,
                ),
                repeatable=False,
            )
            kept = _file_ref(document.document) if document.document else kept
        except TelegramError as error:
            if photo_sent:
                log.warning("result file to chat %s not sent: %s", chat_id, error)
                return Sent.OK, kept
            if isinstance(error, TimedOut):
                return Sent.UNCERTAIN, None
            if isinstance(error, Forbidden | BadRequest):
                log.warning("result to chat %s cannot be delivered: %s", chat_id, error)
                return Sent.UNREACHABLE, None
            raise
        return Sent.OK, kept


def _file_ref(file: PhotoSize | Document) -> FileRef:
    return FileRef(file.file_id, file.file_unique_id, file.file_size)
