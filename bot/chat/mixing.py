"""Mixing and re-runs: the same photos again with one thing changed, or two paintings mixed."""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import ANIMATION, MIX_BASE, Who, job_id, say, submit, svc, who_is
from bot.jobs.buttons import PERSON_CHANGES
from bot.models import Brush, JobRequest, Mix, Strength, UserSettings
from bot.presets import PresetUnavailable
from bot.texts import t

log = logging.getLogger(__name__)


STRENGTH_ORDER = list(Strength)
BRUSH_ORDER = list(Brush)


async def submit_mix(
    context: ContextTypes.DEFAULT_TYPE, who: Who, base_job_id: int, mix: Mix
) -> None:
    """The earlier job again (its photos and settings) with a second painting blended in."""
    found = svc(context)
    job = await found.store.get_job(base_job_id)
    if job is None or job.request.user_id != who.user_id:
        await say(context, who, "rerun_gone")
        return
    if mix.preset_id is not None:
        try:
            await found.presets.image_path(mix.preset_id)
        except PresetUnavailable as error:
            log.warning("preset unavailable: %s", error)
            await say(context, who, "preset_failed", title=found.presets.title(mix.preset_id))
            return
    await _again(context, who, job.request, job.request.settings, mix)


async def rerun_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Stronger] [Softer] [Bigger/Smaller brush] [Keep colours] [Variation] [Another style]:
    the same photos, one thing changed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    job = await svc(context).store.get_job(job_id(query.data))
    change = query.data.rsplit(":", 1)[1]
    if job is None or job.request.user_id != who.user_id:
        await query.answer()
        await say(context, who, "rerun_gone")
        return
    request = job.request
    if change == "style":
        await _keep_for_new_style(context, who, request)
        await query.answer()
        await say(context, who, "send_new_style", keyboards.presets_button(who.language))
        return
    if change == "mix":
        if context.user_data is not None:
            context.user_data[MIX_BASE] = job.id
        await query.answer()
        markup = keyboards.presets_only_button(who.language)
        await say(context, who, "mix_send_painting", markup)
        return
    if change.startswith("mix"):  # [30 %] [50 %] [70 %] under a mixed result
        await query.answer()
        if request.mix is None:
            await say(context, who, "rerun_gone")
            return
        mix = replace(request.mix, share=int(change.removeprefix("mix")) / 100)
        await submit_mix(context, who, job.id, mix)
        return
    settings = _rerun_settings(request.settings, change)
    if settings is None:
        await query.answer(t(who.language, f"already_{change}"), show_alert=True)
        return
    await query.answer()
    await _again(context, who, request, settings)


async def _keep_for_new_style(
    context: ContextTypes.DEFAULT_TYPE, who: Who, request: JobRequest
) -> None:
    """[Another painting]: the photo waits as the pending one, a clip as the waiting clip."""
    if not request.animation:
        await svc(context).store.set_pending_content(who.user_id, who.chat_id, request.content)
    elif context.user_data is not None:
        context.user_data[ANIMATION] = request.content


def _rerun_settings(settings: UserSettings, change: str) -> UserSettings | None:
    """The job's settings with one step changed; None when there is no further step."""
    if change in PERSON_CHANGES:  # [🧍 Keep me] [🏞 Keep the background] [🎨 Paint it all]
        return replace(settings, person=PERSON_CHANGES[change][0])
    if change == "colors":
        return replace(settings, preserve_colors=not settings.preserve_colors)
    if change == "variation":  # everything else kept: another take
        return replace(settings, seed=secrets.randbelow(2**31 - 1) + 1)
    if change in ("bigger", "smaller"):
        index = BRUSH_ORDER.index(settings.brush) + (1 if change == "bigger" else -1)
        if not 0 <= index < len(BRUSH_ORDER):
            return None
        return replace(settings, brush=BRUSH_ORDER[index])
    step = 1 if change == "stronger" else -1
    index = STRENGTH_ORDER.index(settings.strength) + step
    if not 0 <= index < len(STRENGTH_ORDER):
        return None
    return replace(settings, strength=STRENGTH_ORDER[index])


async def _again(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    request: JobRequest,
    settings: UserSettings,
    mix: Mix | None = None,
) -> None:
    """An earlier job's photo (or clip) and painting queued again, with these settings (and
    this mix)."""
    await submit(
        context,
        who,
        request.content,
        style=request.style,
        preset_id=request.preset_id,
        settings=settings,
        mix=mix,
        animation=request.animation,
    )
