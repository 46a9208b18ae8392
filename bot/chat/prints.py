"""[🖨 Print size] under a result: the same painting painted on at 2048 or 4096 px, sent as a file
to print.

A press offers the sizes (NST_PRINT_SIDES), each with about how long it takes; a size queues the
print, a job like any other (the queue, the daily limit, one at a time, its status message and
[Cancel]). The painting to paint on is the result as Telegram keeps what the bot sent (the PNG
file, else the photo), since the bot deletes its own copy once sent; a print's own message (only
shown again when its delivery was uncertain) offers the sizes of the painting it painted on.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import Who, job_id, say, svc, who_is
from bot.chat.requests import again
from bot.models import FileRef, Job, PrintSize
from bot.texts import t


async def print_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[🖨 Print size] (print:<job>) offers the sizes, each with about how long it takes (learned
    here, else the engines' measured pace); a size (print:<job>:<side>) queues that print."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    found = await _printable(query, context, who)
    if found is None:
        return
    job, painting = found
    sides = svc(context).config.print_sides
    chosen = query.data.split(":")[2:]
    if not chosen:
        await query.answer()
        dispatcher = svc(context).dispatcher
        waits = {side: await dispatcher.expected_s(job.request.settings, side) for side in sides}
        markup = keyboards.print_sizes_keyboard(who.language, job.id, waits)
        await say(context, who, "print_offer", markup)
        return
    side = int(chosen[0])
    if side not in sides:  # the operator changed the sizes since
        await query.answer(t(who.language, "button_stale"), show_alert=True)
        return
    await query.answer()
    request = job.request
    await again(
        context, who, request, request.settings, request.extras.mix, PrintSize(side, painting)
    )


async def _printable(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, who: Who
) -> tuple[Job, FileRef] | None:
    """The job whose painting the button prints, and that painting; None (the query answered
    with why) when there is nothing to print."""
    assert query.data is not None
    if not svc(context).config.print_sides:
        await query.answer(t(who.language, "print_off"), show_alert=True)
        return None
    job = await svc(context).store.get_job(job_id(query.data))
    if job is not None and job.request.user_id != who.user_id:  # in a group: someone else's
        await query.answer(t(who.language, "not_yours"), show_alert=True)
        return None
    if job is None:
        await query.answer()
        await say(context, who, "rerun_gone")
        return None
    # The one a print painted on, or the result as Telegram keeps it: none when its delivery
    # was uncertain, or it was sent before print sizes.
    print_size = job.request.extras.print_size
    painting = print_size.result if print_size else job.sent_result
    if painting is None:
        await query.answer()
        await say(context, who, "print_unavailable")
        return None
    return job, painting
