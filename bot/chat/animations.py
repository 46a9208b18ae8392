"""Animations: a GIF or a video, painted frame by frame and sent back as a clip."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat import imagecheck, keyboards
from bot.chat.common import ANIMATION, CHOSEN_PRESET, Who, say, submit, svc, who_is
from bot.models import FileRef
from bot.presets import PresetUnavailable
from nst_engine.animation import MAX_SECONDS as MAX_CLIP_SECONDS

log = logging.getLogger(__name__)


async def animation_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A GIF, an animation or a video: checked against the limits from Telegram's figures, then
    painted with the caption's preset, a chosen one, or the next painting or preset."""
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None
    clip = message.animation or message.video
    assert clip is not None
    duration = clip.duration
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    max_s, max_mb = round(MAX_CLIP_SECONDS), imagecheck.MAX_FILE_BYTES // 2**20
    if clip.file_size is not None and clip.file_size > imagecheck.MAX_FILE_BYTES:
        await say(context, who, "animation_too_big", max_s=max_s, max_mb=max_mb)
        return
    if seconds > MAX_CLIP_SECONDS:
        await say(
            context, who, "animation_too_long", seconds=round(seconds), max_s=max_s, max_mb=max_mb
        )
        return
    ref = FileRef(clip.file_id, clip.file_unique_id, clip.file_size)
    caption = (message.caption or "").strip().removeprefix("/style").strip()
    preset = svc(context).presets.find(caption) if caption else None
    chosen = context.user_data.pop(CHOSEN_PRESET, None) if context.user_data else None
    preset = preset or (svc(context).presets.get(chosen) if chosen else None)
    if preset:
        await submit_animation(context, who, ref, preset_id=preset.id)
        return
    if context.user_data is not None:
        context.user_data[ANIMATION] = ref
    await say(context, who, "got_animation", keyboards.presets_only_button(who.language))


async def submit_animation(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    clip: FileRef,
    *,
    style: FileRef | None = None,
    preset_id: str | None = None,
) -> None:
    """Queue a clip with its painting: a photo, or a preset (checked to be on disk first)."""
    if preset_id is not None:
        try:
            await svc(context).presets.image_path(preset_id)
        except PresetUnavailable as error:
            log.warning("preset unavailable: %s", error)
            title = svc(context).presets.title(preset_id, who.language)
            await say(context, who, "preset_failed", title=title)
            return
    await submit(context, who, clip, style=style, preset_id=preset_id, animation=True)
