"""Privacy: what is kept and for how long, and /forget, which deletes all of it."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import say, svc, who_is
from bot.texts import t


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await who_is(update, context)
    await say(context, who, "privacy", days=svc(context).config.retention_days)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await who_is(update, context)
    await say(context, who, "forget_confirm", keyboards.forget_keyboard(who.language))


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Yes: stop any job, then delete everything stored about the user. No: nothing happens."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    await query.answer()
    if query.data != "forget:yes":
        await query.edit_message_text(t(who.language, "forget_kept"))
        return
    await svc(context).dispatcher.cancel(who.user_id)
    await svc(context).store.forget_user(who.user_id)
    await query.edit_message_text(t(who.language, "forgotten"))
