"""Photos and image files: checked, then handed to the conversation (conversation.py); albums.

A photo's metadata is enough to check it; a file's bytes decide what it is (a picture, or a clip
for animations.py). groups.py checks the picture a /paint replies to with the same functions.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Document, Message, PhotoSize, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import metrics
from bot.chat import conversation, imagecheck
from bot.chat.animations import clip_too_big, take_clip
from bot.chat.common import Who, caption_preset, say, submit, svc, who_is
from bot.chat.imagecheck import ImageRejected, Problem
from bot.models import Conversation, FileRef, Mix, Waiting

log = logging.getLogger(__name__)


ALBUMS = "albums"  # bot_data key: album items collected so far, by media_group_id
ALBUM_WAIT_S = 1.0  # an album's items arrive within milliseconds; wait this long after the last


@dataclass(frozen=True)
class Checked:
    """A file that passed the checks: a picture, or a clip of this many seconds."""

    ref: FileRef
    clip_seconds: float | None = None


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None
    if (ref := await check_photo(context, who, message.photo[-1])) is not None:
        await _take_image(context, who, message, ref)


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    checked = await check_document(context, who, message.document)
    if checked is None:
        return
    if checked.clip_seconds is not None:
        await take_clip(context, who, message, checked.ref, checked.clip_seconds)
    else:
        await _take_image(context, who, message, checked.ref)


async def check_photo(
    context: ContextTypes.DEFAULT_TYPE, who: Who, photo: PhotoSize
) -> FileRef | None:
    """A Telegram photo: a valid JPEG whose sizes are in the metadata, so nothing to download.
    None when refused (and said)."""
    try:
        imagecheck.check_dimensions(photo.width, photo.height, photo.file_size)
    except ImageRejected as rejected:
        await _refuse(context, who, rejected)
        return None
    return FileRef(photo.file_id, photo.file_unique_id, photo.file_size)


async def check_document(
    context: ContextTypes.DEFAULT_TYPE, who: Who, document: Document
) -> Checked | None:
    """A file: refused from metadata only when too big or a sound; else its bytes decide: a clip
    (GIF, MP4, WebM, MOV ...), or a picture in any format Pillow (and pillow-heif) reads. None
    when refused (and said).

    The download is async and the whole file (at most 20 MB, Telegram's limit for bots) is
    sniffed and decoded on a thread of its own, so the event loop never waits for either."""
    ref = FileRef(document.file_id, document.file_unique_id, document.file_size)
    try:
        imagecheck.check_document(document.mime_type, document.file_size)
        data = bytes(await (await document.get_file()).download_as_bytearray())
        if (seconds := await asyncio.to_thread(imagecheck.clip_seconds, data)) is not None:
            return Checked(ref, seconds)
        animated = await asyncio.to_thread(
            imagecheck.inspect, data, document.mime_type, document.file_name
        )
    except ImageRejected as rejected:
        if rejected.problem is Problem.TOO_BIG_BYTES and _clip_type(document.mime_type):
            await clip_too_big(context, who)
        else:
            await _refuse(context, who, rejected)
        return None
    except TelegramError as error:
        log.warning("downloading a document failed: %s", error)
        await say(context, who, "download_failed")
        return None
    if animated:  # frames the animation path cannot paint (an animated WebP)
        await say(context, who, "first_frame")
    return Checked(ref)


def _clip_type(mime_type: str | None) -> bool:
    return (mime_type or "").lower().startswith(imagecheck.CLIP_MIME_PREFIXES)


async def _refuse(context: ContextTypes.DEFAULT_TYPE, who: Who, rejected: ImageRejected) -> None:
    metrics.download_refused(rejected.problem.name.lower())
    await say(
        context,
        who,
        rejected.problem.value,
        max_mp=imagecheck.MAX_PIXELS // 1_000_000,
        min_side=imagecheck.MIN_SIDE,
        max_mb=imagecheck.MAX_FILE_BYTES // (1024 * 1024),
    )


async def _take_image(
    context: ContextTypes.DEFAULT_TYPE, who: Who, message: Message, ref: FileRef
) -> None:
    """An album's item waits for the rest; any other picture goes to the conversation."""
    if message.media_group_id:
        _collect_album_item(context, who, message, ref)
    else:
        await conversation.on_picture(context, who, ref, caption_preset(context, message))


# --- Albums: items arrive as separate updates sharing a media_group_id ------------------------


@dataclass
class _Album:
    who: Who
    items: list[tuple[int, FileRef]]  # (message_id, file), put in order when the album is used


def _collect_album_item(
    context: ContextTypes.DEFAULT_TYPE, who: Who, message: Message, ref: FileRef
) -> None:
    """Keep the item and (re)start a short timer; when no item has come for a moment, use them."""
    group = str(message.media_group_id)
    album = context.bot_data.setdefault(ALBUMS, {}).setdefault(group, _Album(who, []))
    album.items.append((message.message_id, ref))
    assert context.job_queue is not None
    for job in context.job_queue.get_jobs_by_name(f"album:{group}"):
        job.schedule_removal()
    context.job_queue.run_once(
        album_ready,
        ALBUM_WAIT_S,
        data=group,
        name=f"album:{group}",
        chat_id=who.chat_id,
        user_id=who.user_id,
    )


async def album_ready(context: ContextTypes.DEFAULT_TYPE) -> None:
    """First picture = the photo, second = the painting (a third: a second painting to mix);
    one picture alone is like a photo. The album brings its own painting, so whatever waited
    gives way to its photo."""
    assert context.job is not None
    album: _Album = context.bot_data[ALBUMS].pop(context.job.data)
    who = album.who
    refs = [ref for _, ref in sorted(album.items, key=lambda item: item[0])]
    if len(refs) == 1:
        await conversation.on_picture(context, who, refs[0])
        return
    photo = Conversation(Waiting.PHOTO, content=refs[0])
    before = await svc(context).store.set_conversation(who.user_id, who.chat_id, photo)
    if before.waiting is Waiting.PHOTO:
        await say(context, who, "replaced_content")
    if len(refs) > 3:
        await say(context, who, "album_extra")
    mix = Mix(style=refs[2]) if len(refs) > 2 else None  # photo, painting A, painting B
    await submit(context, who, refs[0], style=refs[1], mix=mix)
