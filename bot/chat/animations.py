"""Animations: a GIF or a video, painted frame by frame and sent back as a clip.

Telegram hands a clip over as an animation, a video, a video note, or (sent "as a file") a
document; documents are told apart from pictures by their bytes in photos.check_document,
whose caller then comes here through take_clip. What the clip is for is the conversation's to
decide (conversation.py).
"""

from __future__ import annotations

from datetime import timedelta

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.chat import conversation, imagecheck
from bot.chat.common import Who, caption_preset, say, who_is
from bot.models import FileRef
from nst_engine.animation import MAX_SECONDS as MAX_CLIP_SECONDS


async def animation_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A GIF, an animation, a video or a round video note: checked against the limits from
    Telegram's figures, then painted like a clip sent as a file."""
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None
    clip = message.animation or message.video or message.video_note
    assert clip is not None
    if clip.file_size is not None and clip.file_size > imagecheck.MAX_FILE_BYTES:
        await clip_too_big(context, who)
        return
    duration = clip.duration
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    ref = FileRef(clip.file_id, clip.file_unique_id, clip.file_size)
    await take_clip(context, who, message, ref, seconds)


async def take_clip(
    context: ContextTypes.DEFAULT_TYPE, who: Who, message: Message, ref: FileRef, seconds: float
) -> None:
    """A clip of this length (however it came: animation, video or file), if within the limits,
    to the conversation with the preset its caption names."""
    if seconds > MAX_CLIP_SECONDS:
        max_s, max_mb = round(MAX_CLIP_SECONDS), imagecheck.MAX_FILE_BYTES // 2**20
        await say(
            context, who, "animation_too_long", seconds=round(seconds), max_s=max_s, max_mb=max_mb
        )
        return
    await conversation.on_clip(context, who, ref, caption_preset(context, message))


async def clip_too_big(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """Over Telegram's download limit for bots, said with both of a clip's limits."""
    max_s, max_mb = round(MAX_CLIP_SECONDS), imagecheck.MAX_FILE_BYTES // 2**20
    await say(context, who, "animation_too_big", max_s=max_s, max_mb=max_mb)
