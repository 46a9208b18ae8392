"""The jobs a person can ask for beyond a photo and its painting: a photo with a preset, an earlier
job again (a re-run, a mix, a print), a clip. Each is checked first (the preset's painting on
disk, the earlier job theirs), said briefly if refused, then queued through common.submit; each
returns whether the job was queued."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.chat.common import Who, say, submit, svc
from bot.models import FileRef, JobRequest, Mix, PrintSize, UserSettings
from bot.presets import Preset, PresetUnavailable

log = logging.getLogger(__name__)


async def preset_ready(context: ContextTypes.DEFAULT_TYPE, who: Who, preset_id: str) -> bool:
    """Whether the preset's painting is on disk (fetched now if need be), so a missing one is
    said before anything is queued."""
    try:
        await svc(context).presets.image_path(preset_id)
    except PresetUnavailable as error:
        log.warning("preset unavailable: %s", error)
        title = svc(context).presets.title(preset_id, who.language)
        await say(context, who, "preset_failed", title=title)
        return False
    return True


async def submit_preset(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    content: FileRef,
    preset: Preset,
    full_size: bool = True,
) -> bool:
    """A photo painted in a preset."""
    if not await preset_ready(context, who, preset.id):
        return False
    return await submit(context, who, content, preset_id=preset.id, full_size=full_size)


async def submit_clip(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    clip: FileRef,
    *,
    style: FileRef | None = None,
    preset_id: str | None = None,
) -> bool:
    """A clip with its painting: a photo, or a preset."""
    if preset_id is not None and not await preset_ready(context, who, preset_id):
        return False
    return await submit(context, who, clip, style=style, preset_id=preset_id, animation=True)


async def submit_mix(
    context: ContextTypes.DEFAULT_TYPE, who: Who, base_job_id: int, mix: Mix
) -> bool:
    """The earlier job again (its photos and settings) with a second painting blended in."""
    job = await svc(context).store.get_job(base_job_id)
    if job is None or job.request.user_id != who.user_id:
        await say(context, who, "rerun_gone")
        return False
    if mix.preset_id is not None and not await preset_ready(context, who, mix.preset_id):
        return False
    return await again(context, who, job.request, job.request.settings, mix)


async def again(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    request: JobRequest,
    settings: UserSettings,
    mix: Mix | None = None,
    print_size: PrintSize | None = None,
) -> bool:
    """An earlier job's photo (or clip) and painting queued again, with these settings (and
    this mix; at this print size, painting on its finished painting)."""
    return await submit(
        context,
        who,
        request.content,
        style=request.style,
        preset_id=request.preset_id,
        settings=settings,
        mix=mix,
        animation=request.extras.animation,
        full_size=request.extras.full_size,
        print_size=print_size,
    )
