"""What every handler starts from: who is asking, how to answer, and queueing a job."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.chat.services import Services, services
from bot.jobs.store import ActiveJobExists, DailyQuotaExceeded, QueueFull
from bot.models import FileRef, JobRequest, Mix, UserSettings
from bot.presets import Preset
from bot.texts import language_for, t

CHOSEN_PRESET = "chosen_preset"  # user_data key: a preset picked before any photo was sent
MIX_BASE = "mix_base"  # user_data key: the job whose [Mix with…] waits for a second painting
ANIMATION = "animation"  # user_data key: a clip waiting for its painting


@dataclass(frozen=True)
class Who:
    """The person an update is from: where to answer, in which language, with which settings."""

    user_id: int
    chat_id: int
    settings: UserSettings
    language: str


async def who_is(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    settings = await svc(context).store.get_settings(user.id)
    language = settings.language or language_for(user.language_code)
    return Who(user.id, chat.id, settings, language)


async def say(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    key: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    **values: object,
) -> Message:
    return await context.bot.send_message(
        who.chat_id, t(who.language, key, **values), reply_markup=reply_markup
    )


def svc(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return services(context.bot_data)


def wanted_preset(context: ContextTypes.DEFAULT_TYPE, message: Message) -> Preset | None:
    """The preset a photo or clip asks for: named in its caption, else picked before it came."""
    caption = (message.caption or "").strip().removeprefix("/style").strip()
    preset = svc(context).presets.find(caption) if caption else None
    chosen = context.user_data.pop(CHOSEN_PRESET, None) if context.user_data else None
    return preset or (svc(context).presets.get(chosen) if chosen else None)


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
) -> bool:
    """Queue a job (which consumes the pending photo); the dispatcher then owns its status message.

    A refusal leaves the pending photo in place, so the person only resends the painting.
    """
    request = JobRequest(
        user_id=who.user_id,
        chat_id=who.chat_id,
        content=content,
        style=style,
        preset_id=preset_id,
        settings=settings or who.settings,
        language=who.language,
        mix=mix,
        animation=animation,
    )
    try:
        await svc(context).dispatcher.submit(request)
    except ActiveJobExists:
        await say(context, who, "busy")
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
