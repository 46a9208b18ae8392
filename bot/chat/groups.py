"""Group chats: a reply to a photo with /paint [preset] paints that photo, threaded under the
request.

The bot sees only commands and replies to its own messages there (Telegram's privacy mode), and
even when it could see more (as a group admin) the wiring hands it nothing else from a group: no
other handler takes group updates, so nothing from ordinary messages is stored or logged. A job
asked for here is the requester's (their quota, their settings, no preview), and its buttons
answer only them (mixing.py, basics.py). An admin turns painting off with /paint off; the bot is
then silent in that group until /paint on.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.common import Who, say, svc, who_is
from bot.chat.photos import check_document, check_photo
from bot.chat.requests import submit_preset
from bot.models import FileRef
from bot.texts import language_for, t

ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
OUTSIDE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
FULL_SIZE_WORD = "png"  # `/paint starry night png`: the full-resolution file too


async def added_to_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot joined a group: one message saying how to use it, in the language of who added
    it."""
    change = update.my_chat_member
    assert change is not None
    joined = change.old_chat_member.status in OUTSIDE
    if not joined or change.new_chat_member.status in OUTSIDE:
        return
    language = language_for(change.from_user.language_code)
    default = svc(context).presets.default.title_in(language)
    await context.bot.send_message(change.chat.id, t(language, "group_intro", default=default))


async def group_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help or /start in a group: the introduction again, unless painting is off here."""
    who = await who_is(update, context)
    if await svc(context).store.painting_on(who.chat_id):
        default = svc(context).presets.default.title_in(who.language)
        await say(context, who, "group_intro", default=default)


async def paint_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/paint [preset] [png] as a reply to a picture; /paint off|on for the group's admins."""
    who = await who_is(update, context)
    message = update.effective_message
    assert message is not None
    words = [word.lower() for word in context.args or []]
    if words in (["off"], ["on"]):
        await _switch(context, who, words == ["on"])
        return
    if not await svc(context).store.painting_on(who.chat_id):
        return  # silenced by the group's admins
    target = message.reply_to_message
    if target is None or not (target.photo or target.document):
        await say(context, who, "paint_hint")
        return
    full_size = words[-1:] == [FULL_SIZE_WORD]
    name = " ".join((context.args or [])[: -1 if full_size else None])
    presets = svc(context).presets
    preset = presets.find(name) if name else presets.default
    if preset is None:
        await say(context, who, "paint_not_found", name=name)
        return
    picture = await _picture(context, who, target)
    if picture is not None:
        await submit_preset(context, who, picture, preset, full_size)


async def _picture(context: ContextTypes.DEFAULT_TYPE, who: Who, target: Message) -> FileRef | None:
    """The photo or image file the command replies to, checked; None once the refusal is said
    (a clip sent as a file gets the hint: in a group the bot paints pictures)."""
    if target.photo:
        return await check_photo(context, who, target.photo[-1])
    assert target.document is not None
    checked = await check_document(context, who, target.document)
    if checked is not None and checked.clip_seconds is not None:
        await say(context, who, "paint_hint")
        return None
    return checked.ref if checked else None


async def _switch(context: ContextTypes.DEFAULT_TYPE, who: Who, on: bool) -> None:
    try:
        member = await context.bot.get_chat_member(who.chat_id, who.user_id)
    except TelegramError:
        member = None
    if member is None or member.status not in ADMINS:
        await say(context, who, "paint_admins_only")
        return
    await svc(context).store.set_painting(who.chat_id, on)
    await say(context, who, "paint_on" if on else "paint_off")
