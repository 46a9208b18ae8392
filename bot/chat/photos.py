"""Photos and paintings: the first picture is the photo, the next its painting; or an album."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import metrics
from bot.chat import imagecheck, keyboards
from bot.chat.animations import clip_too_big, submit_animation, take_clip
from bot.chat.common import (
    ANIMATION,
    CHOSEN_PRESET,
    MIX_BASE,
    Who,
    say,
    submit,
    svc,
    wanted_preset,
    who_is,
)
from bot.chat.imagecheck import ImageRejected, Problem
from bot.chat.mixing import submit_mix
from bot.chat.presets import submit_preset
from bot.models import FileRef, Mix

log = logging.getLogger(__name__)


ALBUMS = "albums"  # bot_data key: album items collected so far, by media_group_id
ALBUM_WAIT_S = 1.0  # an album's items arrive within milliseconds; wait this long after the last


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Telegram photo: a valid JPEG whose sizes are in the metadata, so nothing to download."""
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None
    photo = message.photo[-1]
    try:
        imagecheck.check_dimensions(photo.width, photo.height, photo.file_size)
    except ImageRejected as rejected:
        await _refuse(context, who, rejected)
        return
    ref = FileRef(photo.file_id, photo.file_unique_id, photo.file_size)
    await _take_image(context, who, message, ref)


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: refused from metadata only when too big or a sound; else its bytes decide, a
    clip (GIF, MP4, WebM, MOV ...) going to the animations, a picture becoming a photo.

    The download is async and the whole file (at most 20 MB, Telegram's limit for bots) is
    sniffed and decoded on a thread of its own, so the event loop never waits for either."""
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    ref = FileRef(document.file_id, document.file_unique_id, document.file_size)
    try:
        imagecheck.check_document(document.mime_type, document.file_size)
        data = bytes(await (await document.get_file()).download_as_bytearray())
        if (seconds := await asyncio.to_thread(imagecheck.clip_seconds, data)) is not None:
            await take_clip(context, who, message, ref, seconds)
            return
        animated = await asyncio.to_thread(
            imagecheck.inspect, data, document.mime_type, document.file_name
        )
    except ImageRejected as rejected:
        if rejected.problem is Problem.TOO_BIG_BYTES and _clip_type(document.mime_type):
            await clip_too_big(context, who)
        else:
            await _refuse(context, who, rejected)
        return
    except TelegramError as error:
        log.warning("downloading a document failed: %s", error)
        await say(context, who, "download_failed")
        return
    if animated:  # frames the animation path cannot paint (an animated WebP)
        await say(context, who, "first_frame")
    await _take_image(context, who, message, ref)


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
    """Route a checked image: album item, photo captioned with a preset, content, or style."""
    if message.media_group_id:
        _collect_album_item(context, who, message, ref)
        return
    if mix_base := (context.user_data or {}).pop(MIX_BASE, None):
        await submit_mix(context, who, mix_base, Mix(style=ref))
        return
    if clip := (context.user_data or {}).pop(ANIMATION, None):
        await submit_animation(context, who, clip, style=ref)
        return
    preset = wanted_preset(context, message)
    if preset:
        if not await submit_preset(context, who, ref, preset):
            # Keep the photo, so picking the painting again is all it takes later.
            await svc(context).store.set_pending_content(who.user_id, who.chat_id, ref)
    else:
        await _take_single(context, who, ref)


async def _take_single(context: ContextTypes.DEFAULT_TYPE, who: Who, ref: FileRef) -> None:
    """The first photo becomes the content; the next one is its style and starts the job."""
    store = svc(context).store
    pending = await store.get_pending_content(who.user_id)
    if pending is None:
        await store.set_pending_content(who.user_id, who.chat_id, ref)
        await say(context, who, "got_content", keyboards.presets_button(who.language))
    elif pending.file_unique_id == ref.file_unique_id:
        await say(context, who, "same_photo", keyboards.presets_button(who.language))
    else:
        await submit(context, who, pending, style=ref)


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
    """First picture = the photo, second = the painting; one picture alone is like a photo."""
    assert context.job is not None
    album: _Album = context.bot_data[ALBUMS].pop(context.job.data)
    who = album.who
    refs = [ref for _, ref in sorted(album.items, key=lambda item: item[0])]
    if context.user_data:  # the album brings its own painting
        context.user_data.pop(CHOSEN_PRESET, None)
    if len(refs) == 1:
        await _take_single(context, who, refs[0])
        return
    if await svc(context).store.set_pending_content(who.user_id, who.chat_id, refs[0]):
        await say(context, who, "replaced_content")
    if len(refs) > 3:
        await say(context, who, "album_extra")
    mix = Mix(style=refs[2]) if len(refs) > 2 else None  # photo, painting A, painting B
    await submit(context, who, refs[0], style=refs[1], mix=mix)
