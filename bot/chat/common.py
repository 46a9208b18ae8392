"""What every handler starts from: who is asking, how to answer, and queueing a job."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.chat.services import Services, services
from bot.jobs.messenger import reply_parameters
from bot.jobs.store import ActiveJobExists, DailyQuotaExceeded, QueueFull
from bot.models import FileRef, JobRequest, Mix, PrintSize, RequestExtras, UserSettings
from bot.presets import Preset
from bot.texts import language_for, t


@dataclass(frozen=True)
class Who:
    """The person an update is from: where to answer, in which language, with which settings.

    In a group the answers are replies to the message that asked (reply_to), and a job sends no
    preview: one request, one status message and one result, threaded under the request.
    """

    user_id: int
    chat_id: int
    settings: UserSettings
    language: str
    reply_to: int | None = None  # a group: the message the answers reply to


async def who_is(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    settings = await svc(context).store.get_settings(user.id)
    language = settings.language or language_for(user.language_code)
    if chat.type == ChatType.PRIVATE:
        return Who(user.id, chat.id, settings, language)
    message = update.effective_message
    reply_to = message.message_id if message else None
    return Who(user.id, chat.id, replace(settings, preview=False), language, reply_to)


async def say(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    key: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    **values: object,
) -> Message:
    return await context.bot.send_message(
        who.chat_id,
        t(who.language, key, **values),
        reply_markup=reply_markup,
        reply_parameters=reply_parameters(who.reply_to),
    )


def svc(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return services(context.bot_data)


def caption_preset(context: ContextTypes.DEFAULT_TYPE, message: Message) -> Preset | None:
    """The preset a photo's or clip's caption names ("Starry Night", "/style starry night")."""
    caption = (message.caption or "").strip().removeprefix("/style").strip()
    return svc(context).presets.find(caption) if caption else None


async def submit(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    content: FileRef,
    *,
    style: FileRef | None = None,
    preset_id: str | None = None,
    settings: UserSettings | None = None,
    mix: Mix | None = None,
    animation: bool = False,
    full_size: bool = True,
    print_size: PrintSize | None = None,
) -> bool:
    """Queue a job (which ends what waited in the conversation); the dispatcher then owns its
    status message. A refusal leaves the conversation as it was, so the person only repeats
    the last step."""
    request = JobRequest(
        user_id=who.user_id,
        chat_id=who.chat_id,
        content=content,
        style=style,
        preset_id=preset_id,
        settings=settings or who.settings,
        language=who.language,
        extras=RequestExtras(
            mix=mix,
            animation=animation,
            reply_to=who.reply_to,
            full_size=full_size,
            print_size=print_size,
        ),
    )
    try:
        await svc(context).dispatcher.submit(request)
    except ActiveJobExists:
        await say(context, who, "busy", limit=svc(context).config.jobs_per_person)
    except QueueFull as full:
        minutes = max(1, round(full.wait_s / 60))
        await say(context, who, "queue_full", queue=full.queue_length, minutes=minutes)
    except DailyQuotaExceeded as quota:
        await say(context, who, "quota", limit=quota.limit)
    else:
        return True
    return False


def job_id(data: str) -> int:
    return int(data.split(":")[1])
