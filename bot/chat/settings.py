"""/settings: one menu, each button changes one setting and redraws the menu in place."""

from __future__ import annotations

from dataclasses import replace

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.chat import keyboards
from bot.chat.common import Who, svc, who_is
from bot.chat.menu import set_chat_commands
from bot.models import (
    Brush,
    PersonMode,
    Quality,
    Strength,
    UserSettings,
    brush_extra_s,
)
from bot.texts import LANGUAGES, language_for, t


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_settings(context, await who_is(update, context))


async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Change one setting, save it, and redraw the menu in place (in the new language, if so)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    _, name, value = query.data.split(":", 2)
    if name == "person" and not svc(context).dispatcher.person_available():
        await query.answer(t(who.language, "person_unavailable"), show_alert=True)
        return
    changed = _changed(who.settings, name, value)
    if changed is None or changed == who.settings:
        await query.answer()
        return
    await svc(context).store.save_settings(who.user_id, changed)
    assert update.effective_user is not None
    language = changed.language or language_for(update.effective_user.language_code)
    who = Who(who.user_id, who.chat_id, changed, language)
    await query.answer(t(language, "settings_saved"))
    await query.edit_message_text(
        _settings_text(who), reply_markup=await _settings_keyboard(context, who)
    )
    if name == "lang":
        await set_chat_commands(context, who)


def _changed(settings: UserSettings, name: str, value: str) -> UserSettings | None:
    """The settings with one field set from a button's data; None for data we do not know."""
    try:
        match name:
            case "quality":
                return replace(settings, quality=Quality(value))
            case "strength":
                return replace(settings, strength=Strength(value))
            case "brush":
                return replace(settings, brush=Brush(value))
            case "colors":
                return replace(settings, preserve_colors=value == "on")
            case "preview":
                return replace(settings, preview=value == "on")
            case "person":
                return replace(settings, person=PersonMode(value))
            case "lang" if value in LANGUAGES:
                return replace(settings, language=value)
    except ValueError:
        pass
    return None


async def show_settings(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    markup = await _settings_keyboard(context, who)
    await context.bot.send_message(who.chat_id, _settings_text(who), reply_markup=markup)


def _settings_text(who: Who) -> str:
    s, lang = who.settings, who.language
    return t(
        lang,
        "settings",
        quality=t(lang, f"quality_{s.quality}"),
        strength=t(lang, f"strength_{s.strength}"),
        brush=t(lang, f"brush_{s.brush}"),
        colors=t(lang, "on" if s.preserve_colors else "off"),
        preview=t(lang, "on" if s.preview else "off"),
        person=t(lang, f"person_{s.person}"),
        language_name=t(lang, "language_name"),
    )


async def _settings_keyboard(context: ContextTypes.DEFAULT_TYPE, who: Who) -> InlineKeyboardMarkup:
    """The menu, with each quality's wait as learned on this machine (else as its engines'
    measured pace says)."""
    config, dispatcher = svc(context).config, svc(context).dispatcher
    sides = {
        Quality.FAST: config.fast_side,
        Quality.STANDARD: config.standard_side,
        Quality.HIGH: config.high_side,
    }
    waits = {q: await dispatcher.expected_s(replace(who.settings, quality=q)) for q in Quality}
    quality = who.settings.quality
    extra = {b: brush_extra_s(quality, b, waits[quality]) for b in Brush}
    return keyboards.settings_keyboard(
        who.language,
        who.settings,
        sides,
        waits,
        dispatcher.preview_available(),
        extra,
        dispatcher.person_available(),
    )
