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
from bot.chat.requests import submit_print
from bot.models import FileRef, Job, PrintSize, print_expected_s
from bot.texts import t


async def print_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[🖨 Print size]: the sizes on offer, each with its wait (measured here, else a guess)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    job = await _printable(query, context, who)
    if job is None:
        return
    await query.answer()
    store = svc(context).store
    waits = {
        side: await store.average_run_s(None, side) or print_expected_s(side)
        for side in svc(context).config.print_sides
    }
    await say(
        context, who, "print_offer", keyboards.print_sizes_keyboard(who.language, job.id, waits)
    )


async def print_size_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[2048 px · 17 cm · ~3 min]: that print queued."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    job = await _printable(query, context, who)
    if job is None:
        return
    side = int(query.data.rsplit(":", 1)[1])
    if side not in svc(context).config.print_sides:  # the operator changed the sizes since
        await query.answer(t(who.language, "button_stale"), show_alert=True)
        return
    await query.answer()
    painting = _painting(job)
    assert painting is not None  # _printable checked
    await submit_print(context, who, job.request, PrintSize(side, painting))


async def _printable(
    query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE, who: Who
) -> Job | None:
    """The job whose painting the button prints, if it can be printed; else the query is
    answered with why not."""
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
    if _painting(job) is None:  # its delivery was uncertain, or it predates print sizes
        await query.answer()
        await say(context, who, "print_unavailable")
        return None
    return job


def _painting(job: Job) -> FileRef | None:
    """The finished painting a print of this job paints on: the one a print painted on, or the
    result as Telegram keeps it."""
    if job.request.print_size is not None:
        return job.request.print_size.result
    return job.sent_result
