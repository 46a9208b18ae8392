"""For operators: /stats, answered only in admins' chats; anyone else gets "unknown command"."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update
from telegram.ext import ContextTypes

from bot.chat.common import say, svc, who_is


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins only; anyone else gets exactly the unknown-command answer, so nothing leaks."""
    who = await who_is(update, context)
    if who.user_id not in svc(context).config.admin_ids:
        await say(context, who, "unknown_command")
        return
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stats = await svc(context).store.stats(since=midnight.timestamp())
    capacity = await svc(context).dispatcher.capacity()
    await say(
        context,
        who,
        "stats",
        users=stats.users,
        jobs=stats.jobs,
        queue=stats.queue_length,
        wait=_seconds(stats.avg_wait_s),
        run=_seconds(stats.avg_run_s),
        failures=stats.failures,
        engines=capacity.engines,
        busy=capacity.busy,
    )


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"
