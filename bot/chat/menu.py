"""The / command menu, in each language; admins' own chats also list /stats, groups only /paint
and /help."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from bot.chat.common import Who, svc
from bot.chat.services import services
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, t

log = logging.getLogger(__name__)


MENU = (
    "start",
    "presets",
    "try",
    "style",
    "settings",
    "status",
    "cancel",
    "help",
    "privacy",
    "forget",
)
ADMIN_MENU = (*MENU, "stats")
GROUP_MENU = ("paint", "help")


def _commands(language: str, names: tuple[str, ...]) -> list[BotCommand]:
    return [BotCommand(name, t(language, f"cmd_{name}")) for name in names]


async def set_commands(application: Application) -> None:
    """The / menu in each language; admins' own chats also list /stats (others never see it);
    groups, /paint and /help."""
    await _set_menu(application.bot, MENU)
    await _set_menu(application.bot, GROUP_MENU, BotCommandScopeAllGroupChats())
    for admin_id in services(application.bot_data).config.admin_ids:
        try:
            await _set_menu(application.bot, ADMIN_MENU, BotCommandScopeChat(admin_id))
        except BadRequest as error:  # the admin has not opened a chat with the bot yet
            log.warning("no admin command menu for %s: %s", admin_id, error)


async def _set_menu(
    bot: Bot,
    names: tuple[str, ...],
    scope: BotCommandScope | None = None,
    language: str | None = None,
) -> None:
    """The menu for a scope: the default language without a language_code (Telegram's fallback),
    then each other language; or, given a language, that one for every language_code."""
    await bot.set_my_commands(_commands(language or DEFAULT_LANGUAGE, names), scope=scope)
    for code in LANGUAGES:
        if code != DEFAULT_LANGUAGE:
            commands = _commands(language or code, names)
            await bot.set_my_commands(commands, scope=scope, language_code=code)


async def set_chat_commands(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """After a language change, show this chat's / menu in the chosen language too."""
    names = ADMIN_MENU if who.user_id in svc(context).config.admin_ids else MENU
    scope = BotCommandScopeChat(who.chat_id)
    try:
        await _set_menu(context.bot, names, scope, who.language)
    except TelegramError as error:
        log.warning("could not set the chat's command menu: %s", error)
