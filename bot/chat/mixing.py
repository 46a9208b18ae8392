"""Mixing and re-runs: the same photos again with one thing changed, or two paintings mixed."""

from __future__ import annotations

import secrets
from dataclasses import replace

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import Who, job_id, say, svc, who_is
from bot.chat.requests import again, submit_mix
from bot.jobs.buttons import PERSON_CHANGES
from bot.models import Brush, Conversation, JobRequest, Strength, UserSettings, Waiting
from bot.texts import t

STRENGTH_ORDER = list(Strength)
BRUSH_ORDER = list(Brush)


async def rerun_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Stronger] [Softer] [Bigger/Smaller brush] [Keep colours] [Variation] [Another style]:
    the same photos, one thing changed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    job = await svc(context).store.get_job(job_id(query.data))
    change = query.data.rsplit(":", 1)[1]
    if job is not None and job.request.user_id != who.user_id:  # in a group: someone else's
        await query.answer(t(who.language, "not_yours"), show_alert=True)
        return
    if job is None:
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
        mixing = Conversation(Waiting.MIX, mix_base=job.id)
        await svc(context).store.set_conversation(who.user_id, who.chat_id, mixing)
        await query.answer()
        markup = keyboards.presets_only_button(who.language)
        await say(context, who, "mix_send_painting", markup)
        return
    if change.startswith("mix"):  # [30 %] [50 %] [70 %] under a mixed result
        await query.answer()
        if request.extras.mix is None:
            await say(context, who, "rerun_gone")
            return
        mix = replace(request.extras.mix, share=int(change.removeprefix("mix")) / 100)
        await submit_mix(context, who, job.id, mix)
        return
    settings = _rerun_settings(request.settings, change)
    if settings is None:
        await query.answer(t(who.language, f"already_{change}"), show_alert=True)
        return
    await query.answer()
    await again(context, who, request, settings)


async def _keep_for_new_style(
    context: ContextTypes.DEFAULT_TYPE, who: Who, request: JobRequest
) -> None:
    """[Another painting]: the photo (or the clip) waits for its new painting."""
    waiting = Waiting.CLIP if request.extras.animation else Waiting.PHOTO
    conversation = Conversation(waiting, content=request.content)
    await svc(context).store.set_conversation(who.user_id, who.chat_id, conversation)


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
