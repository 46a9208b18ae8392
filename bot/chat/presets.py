"""Presets and the contact sheet: picking a shipped painting by button, name or /style, and /try."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot.chat import conversation, keyboards
from bot.chat.common import Who, say, svc, who_is
from bot.models import Waiting
from bot.presets import Preset
from bot.texts import t

CAPTION_LIMIT = 1024  # Telegram's longest photo caption, in characters


async def presets_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await show_presets(context, await who_is(update, context))


async def try_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await try_every_preset(context, await who_is(update, context))


async def style_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/style NAME picks a preset; without a name it shows them; a near miss gets a suggestion."""
    who = await who_is(update, context)
    name = " ".join(context.args or [])
    if not name:
        await show_presets(context, who)
    elif preset := svc(context).presets.find(name):
        await conversation.on_preset(context, who, preset)
    elif suggestion := svc(context).presets.suggest(name):
        markup = keyboards.pick_keyboard(who.language, suggestion)
        title = suggestion.title_in(who.language)
        await say(context, who, "preset_suggest", markup, name=name, title=title)
    else:
        await say(context, who, "preset_not_found", name=name)


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: a preset's name picks it (people type what they saw); anything else, a hint."""
    who = await who_is(update, context)
    assert update.effective_message is not None
    preset = svc(context).presets.find(update.effective_message.text or "")
    if preset:
        await conversation.on_preset(context, who, preset)
    else:
        await say(context, who, "text_hint")


async def show_presets(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """One collage of the paintings, numbered, with a numbered button each; sent once, reused."""
    library = svc(context).presets
    if not library.collage_file_ids:  # the first time, paintings may need fetching: show activity
        await context.bot.send_chat_action(who.chat_id, ChatAction.UPLOAD_PHOTO)
    ready, missing = await library.available()
    if not ready:
        await say(context, who, "presets_unavailable")
        return
    lines = [_preset_line(who.language, n, preset) for n, preset in enumerate(ready, start=1)]
    caption = t(who.language, "presets_caption", lines="\n".join(lines))
    if len(caption) > CAPTION_LIMIT:  # a long local manifest: the collage carries the titles
        caption = t(who.language, "presets_caption", lines="").rstrip()
    if missing:
        titles = ", ".join(preset.title_in(who.language) for preset in missing)
        caption += "\n\n" + t(who.language, "presets_missing", titles=titles)
    key = (who.language, *(preset.id for preset in ready))
    photo = library.collage_file_ids.get(key) or await library.collage(ready, who.language)
    sent = await context.bot.send_photo(
        who.chat_id,
        photo,
        caption=caption,
        reply_markup=keyboards.presets_keyboard(who.language, ready),
    )
    library.collage_file_ids[key] = sent.photo[-1].file_id


async def try_every_preset(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """The waiting photo in every preset, as one sheet drawn by the runner; a tap on a number
    then queues the full job (the photo stays waiting until then)."""
    found = svc(context)
    now = await found.store.conversation(who.user_id, who.chat_id)
    if now.waiting is not Waiting.PHOTO or now.content is None:
        await say(context, who, "try_needs_photo")
        return
    if not found.dispatcher.sheets_available():
        await say(context, who, "try_unavailable")
        return
    ready, _ = await found.presets.available()
    if not ready:
        await say(context, who, "presets_unavailable")
        return
    styles = [(preset.title_in(who.language), found.presets.path(preset)) for preset in ready]
    keyboard = keyboards.presets_keyboard(who.language, ready)
    if found.dispatcher.try_presets(
        who.chat_id, now.content, who.settings, who.language, styles, keyboard
    ):
        await say(context, who, "try_started", count=len(ready))
    else:
        await say(context, who, "try_busy")


def _preset_line(language: str, number: int, preset: Preset) -> str:
    title = preset.title_in(language)
    if preset.year is None:
        return t(language, "preset_line", number=number, title=title, artist=preset.artist)
    return t(
        language,
        "preset_line_year",
        number=number,
        title=title,
        artist=preset.artist,
        year=preset.year,
    )


async def preset_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await who_is(update, context)
    preset = svc(context).presets.get(query.data.split(":", 1)[1])
    await query.answer()
    if preset is None:  # a button from before the manifest changed
        await show_presets(context, who)
    else:
        await conversation.on_preset(context, who, preset)
