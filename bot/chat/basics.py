"""The everyday: /start, /help, /status, /cancel, the menu buttons, what the bot cannot use."""

from __future__ import annotations

import logging
import time
import traceback

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import job_id, say, svc, who_is
from bot.chat.presets import show_presets, try_every_preset
from bot.chat.settings import show_settings
from bot.jobs.runner import Capacity
from bot.jobs.status import duration_text
from bot.models import ACTIVE_STATUSES, Waiting
from bot.texts import language_for, t

log = logging.getLogger(__name__)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await who_is(update, context)
    await say(context, who, "start", keyboards.start_keyboard(who.language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(context, await who_is(update, context), "help")


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Each job's place in the queue or progress, then what waits for the next step (if any)."""
    who = await who_is(update, context)
    views = await svc(context).dispatcher.status(who.user_id)
    lines = [view.describe(who.language) for view in views]
    markup = None
    now = await svc(context).store.conversation(who.user_id, who.chat_id)
    if now.waiting is Waiting.PRESET and now.preset_id is not None:
        title = svc(context).presets.title(now.preset_id, who.language)
        lines.append(t(who.language, "status_preset_chosen", title=title))
    elif now.waiting is Waiting.PHOTO:
        lines.append(t(who.language, "status_photo"))
        markup = keyboards.presets_button(who.language)  # with [Try every preset]
    elif now.waiting is not Waiting.NOTHING:  # a mix or a clip waits for its painting
        lines.append(t(who.language, f"status_{now.waiting}"))
        markup = keyboards.presets_only_button(who.language)
    lines = lines or [t(who.language, "status_idle")]
    capacity = await svc(context).dispatcher.capacity()
    if capacity.remote:  # with workers on other machines, whether any is there is news
        lines.append(await _engines_text(context, who.language, capacity))
    await context.bot.send_message(who.chat_id, "\n\n".join(lines), reply_markup=markup)


async def _engines_text(
    context: ContextTypes.DEFAULT_TYPE, language: str, capacity: Capacity
) -> str:
    """How many engines are online, "painters" to people (or that none is and pictures wait
    for one), and how long the first in line has waited."""
    store = svc(context).store
    queued, _ = await store.queue_counts()
    if capacity.online:
        busy = capacity.busy
        text = t(language, "status_capacity", engines=capacity.engines, busy=busy, queue=queued)
    else:
        text = t(language, "status_offline", queue=queued)
    oldest = await store.oldest_queued_at()
    if oldest is not None:
        text += "\n" + t(
            language, "status_oldest", wait=duration_text(language, time.time() - oldest)
        )
    return text


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job, if one is queued or running, and whatever waits in the conversation."""
    who = await who_is(update, context)
    waited = await svc(context).store.clear_conversation(who.user_id, who.chat_id)
    if await svc(context).dispatcher.cancel(who.user_id):
        await say(context, who, "cancelled_job")
    elif waited.waiting is not Waiting.NOTHING:
        await say(context, who, "cancelled_pending")
    else:
        await say(context, who, "nothing_to_cancel")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(context, await who_is(update, context), "unknown_command")


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, videos, voice notes…: say what the bot can use instead."""
    await say(context, await who_is(update, context), "bad_not_image")


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Presets] [Try every preset] [Settings] [Help]: the same as the commands."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    who = await who_is(update, context)
    choice = query.data.split(":", 1)[1]
    if choice == "presets":
        await show_presets(context, who)
    elif choice == "try":
        await try_every_preset(context, who)
    elif choice == "settings":
        await show_settings(context, who)
    else:
        await say(context, who, "help")


async def cancel_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Cancel] under a status message; the dispatcher then edits that message to say so."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    job = await svc(context).store.get_job(job_id(query.data))
    if job is not None and job.request.user_id != who.user_id:  # in a group: someone else's
        await query.answer(t(who.language, "not_yours"), show_alert=True)
        return
    if job is None or job.status not in ACTIVE_STATUSES:
        await query.answer(t(who.language, "cancel_too_late"))
        return
    await svc(context).dispatcher.cancel_job(job)
    await query.answer(t(who.language, "cancel_done"))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button this version does not know (from an old message): stop its spinner, say so."""
    query = update.callback_query
    assert query is not None
    who = await who_is(update, context)
    await query.answer(t(who.language, "button_stale"))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (never the token, never image bytes) and tell the person briefly."""
    error = context.error
    if error is None:
        return
    trace = "".join(traceback.format_exception(error)).replace(context.bot.token, "<token>")
    log.error("an update failed: %s", trace)
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        language = language_for(update.effective_user.language_code)
        try:
            await context.bot.send_message(update.effective_chat.id, t(language, "error"))
        except TelegramError:
            log.warning("could not tell the user about the error")
