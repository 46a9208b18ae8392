"""The conversation: every command, photo and button a person uses, one short handler each.

There is no ConversationHandler: the only state that matters (a photo waiting for its painting)
lives in the store, so it survives a restart and the back end can clear it on /cancel. A preset
picked before any photo is remembered in user_data, in memory, since losing it costs one tap.

Handlers send with context.bot.send_message(chat_id, ...) rather than replying, so the same code
serves commands, button presses and the album timer (which has no message to reply to).
All wiring is in register_handlers at the bottom.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import traceback
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import imagecheck, keyboards, metrics
from bot.imagecheck import ImageRejected
from bot.jobs.store import ActiveJobExists, DailyQuotaExceeded, QueueFull
from bot.models import (
    ACTIVE_STATUSES,
    QUALITY_EXPECTED_S,
    Brush,
    FileRef,
    JobRequest,
    Mix,
    Quality,
    Strength,
    UserSettings,
    brush_extra_s,
)
from bot.presets import Preset, PresetUnavailable
from bot.services import Services, services
from bot.texts import DEFAULT_LANGUAGE, LANGUAGES, language_for, t
from nst_engine.animation import MAX_SECONDS as MAX_CLIP_SECONDS

log = logging.getLogger(__name__)

CHOSEN_PRESET = "chosen_preset"  # user_data key: a preset picked before any photo was sent
MIX_BASE = "mix_base"  # user_data key: the job whose [Mix with…] waits for a second painting
ANIMATION = "animation"  # user_data key: a clip waiting for its painting
ALBUMS = "albums"  # bot_data key: album items collected so far, by media_group_id
ALBUM_WAIT_S = 1.0  # an album's items arrive within milliseconds; wait this long after the last
CAPTION_LIMIT = 1024  # Telegram's longest photo caption, in characters
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
STRENGTH_ORDER = list(Strength)
BRUSH_ORDER = list(Brush)


@dataclass(frozen=True)
class Who:
    """The person an update is from: where to answer, in which language, with which settings."""

    user_id: int
    chat_id: int
    settings: UserSettings
    language: str


async def _who(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Who:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    settings = await _svc(context).store.get_settings(user.id)
    language = settings.language or language_for(user.language_code)
    return Who(user.id, chat.id, settings, language)


async def _say(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    key: str,
    reply_markup: InlineKeyboardMarkup | None = None,
    **values: object,
) -> Message:
    return await context.bot.send_message(
        who.chat_id, t(who.language, key, **values), reply_markup=reply_markup
    )


def _svc(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return services(context.bot_data)


# --- Commands -------------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await _who(update, context)
    await _say(context, who, "start", keyboards.start_keyboard(who.language))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(context, await _who(update, context), "help")


async def presets_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _show_presets(context, await _who(update, context))


async def try_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _try_every_preset(context, await _who(update, context))


async def style_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/style NAME picks a preset; without a name it shows them; a near miss gets a suggestion."""
    who = await _who(update, context)
    name = " ".join(context.args or [])
    if not name:
        await _show_presets(context, who)
    elif preset := _svc(context).presets.find(name):
        await _pick_preset(context, who, preset)
    elif suggestion := _svc(context).presets.suggest(name):
        markup = keyboards.pick_keyboard(who.language, suggestion)
        title = suggestion.title_in(who.language)
        await _say(context, who, "preset_suggest", markup, name=name, title=title)
    else:
        await _say(context, who, "preset_not_found", name=name)


async def settings_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _show_settings(context, await _who(update, context))


async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The job's place in the queue or progress, then what waits for the next step (if any)."""
    who = await _who(update, context)
    lines = []
    markup = None
    if view := await _svc(context).worker.status(who.user_id):
        lines.append(view.describe(who.language))
    if await _svc(context).store.get_pending_content(who.user_id):
        lines.append(t(who.language, "status_pending"))
        markup = keyboards.presets_button(who.language)
    elif chosen := (context.user_data or {}).get(CHOSEN_PRESET):
        title = _svc(context).presets.title(chosen, who.language)
        lines.append(t(who.language, "status_preset_chosen", title=title))
    lines = lines or [t(who.language, "status_idle")]
    capacity = await _svc(context).worker.capacity()
    if capacity.remote:  # with workers on other machines, how many are there is news
        queued, _ = await _svc(context).store.queue_counts()
        busy = capacity.busy
        lines.append(
            t(who.language, "status_capacity", engines=capacity.workers, busy=busy, queue=queued)
        )
    await context.bot.send_message(who.chat_id, "\n\n".join(lines), reply_markup=markup)


async def cancel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await _who(update, context)
    had_pending = await _svc(context).store.get_pending_content(who.user_id) is not None
    had_preset = context.user_data is not None and context.user_data.pop(CHOSEN_PRESET, None)
    had_preset = had_preset or (context.user_data or {}).pop(MIX_BASE, None)
    had_preset = had_preset or (context.user_data or {}).pop(ANIMATION, None)
    if await _svc(context).worker.cancel(who.user_id):
        await _say(context, who, "cancelled_job")
    elif had_pending or had_preset:
        await _say(context, who, "cancelled_pending")
    else:
        await _say(context, who, "nothing_to_cancel")


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await _who(update, context)
    await _say(context, who, "privacy", days=_svc(context).config.retention_days)


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    who = await _who(update, context)
    await _say(context, who, "forget_confirm", keyboards.forget_keyboard(who.language))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Admins only; anyone else gets exactly the unknown-command answer, so nothing leaks."""
    who = await _who(update, context)
    if who.user_id not in _svc(context).config.admin_ids:
        await _say(context, who, "unknown_command")
        return
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stats = await _svc(context).store.stats(since=midnight.timestamp())
    capacity = await _svc(context).worker.capacity()
    await _say(
        context,
        who,
        "stats",
        users=stats.users,
        jobs=stats.jobs,
        queue=stats.queue_length,
        wait=_seconds(stats.avg_wait_s),
        run=_seconds(stats.avg_run_s),
        failures=stats.failures,
        engines=capacity.workers,
        busy=capacity.busy,
    )


def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(context, await _who(update, context), "unknown_command")


async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: a preset's name picks it (people type what they saw); anything else, a hint."""
    who = await _who(update, context)
    assert update.effective_message is not None
    preset = _svc(context).presets.find(update.effective_message.text or "")
    if preset:
        await _pick_preset(context, who, preset)
    else:
        await _say(context, who, "text_hint")


async def other_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, videos, voice notes…: say what the bot can use instead."""
    await _say(context, await _who(update, context), "bad_not_image")


# --- Photos and image files ---------------------------------------------------------------


async def photo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Telegram photo: a valid JPEG whose sizes are in the metadata, so nothing to download."""
    who = await _who(update, context)
    message = update.effective_message
    assert message is not None
    photo = message.photo[-1]
    try:
        imagecheck.check_dimensions(photo.width, photo.height, photo.file_size)
    except ImageRejected as rejected:
        await _refuse(context, who, rejected)
        return
    ref = FileRef(photo.file_id, photo.file_unique_id, photo.file_size)
    await _take_image(context, who, message, ref)


async def document_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: refused from metadata only when too big or a video; else its bytes decide."""
    who = await _who(update, context)
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    try:
        imagecheck.check_document(document.mime_type, document.file_size)
        data = await (await document.get_file()).download_as_bytearray()
        animated = await asyncio.to_thread(
            imagecheck.inspect, bytes(data), document.mime_type, document.file_name
        )
    except ImageRejected as rejected:
        await _refuse(context, who, rejected)
        return
    except TelegramError as error:
        log.warning("downloading a document failed: %s", error)
        await _say(context, who, "download_failed")
        return
    if animated:
        await _say(context, who, "first_frame")
    ref = FileRef(document.file_id, document.file_unique_id, document.file_size)
    await _take_image(context, who, message, ref)


async def animation_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A GIF, an animation or a video: checked against the limits from Telegram's figures, then
    painted with the caption's preset, a chosen one, or the next painting or preset."""
    who = await _who(update, context)
    message = update.effective_message
    assert message is not None
    clip = message.animation or message.video
    assert clip is not None
    duration = clip.duration
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    max_s, max_mb = round(MAX_CLIP_SECONDS), imagecheck.MAX_FILE_BYTES // 2**20
    if clip.file_size is not None and clip.file_size > imagecheck.MAX_FILE_BYTES:
        await _say(context, who, "animation_too_big", max_s=max_s, max_mb=max_mb)
        return
    if seconds > MAX_CLIP_SECONDS:
        await _say(
            context, who, "animation_too_long", seconds=round(seconds), max_s=max_s, max_mb=max_mb
        )
        return
    ref = FileRef(clip.file_id, clip.file_unique_id, clip.file_size)
    caption = (message.caption or "").strip().removeprefix("/style").strip()
    preset = _svc(context).presets.find(caption) if caption else None
    chosen = context.user_data.pop(CHOSEN_PRESET, None) if context.user_data else None
    preset = preset or (_svc(context).presets.get(chosen) if chosen else None)
    if preset:
        await _submit_animation(context, who, ref, preset_id=preset.id)
        return
    if context.user_data is not None:
        context.user_data[ANIMATION] = ref
    await _say(context, who, "got_animation", keyboards.presets_only_button(who.language))


async def _submit_animation(
    context: ContextTypes.DEFAULT_TYPE,
    who: Who,
    clip: FileRef,
    *,
    style: FileRef | None = None,
    preset_id: str | None = None,
) -> None:
    """Queue a clip with its painting: a photo, or a preset (checked to be on disk first)."""
    if preset_id is not None:
        try:
            await _svc(context).presets.image_path(preset_id)
        except PresetUnavailable as error:
            log.warning("preset unavailable: %s", error)
            title = _svc(context).presets.title(preset_id, who.language)
            await _say(context, who, "preset_failed", title=title)
            return
    await _submit(context, who, clip, style=style, preset_id=preset_id, animation=True)


async def _refuse(context: ContextTypes.DEFAULT_TYPE, who: Who, rejected: ImageRejected) -> None:
    metrics.download_refused(rejected.problem.name.lower())
    await _say(
        context,
        who,
        rejected.problem.value,
        max_mp=imagecheck.MAX_PIXELS // 1_000_000,
        min_side=imagecheck.MIN_SIDE,
        max_mb=imagecheck.MAX_FILE_BYTES // (1024 * 1024),
    )


async def _take_image(
    context: ContextTypes.DEFAULT_TYPE, who: Who, message: Message, ref: FileRef
) -> None:
    """Route a checked image: album item, photo captioned with a preset, content, or style."""
    if message.media_group_id:
        _collect_album_item(context, who, message, ref)
        return
    if mix_base := (context.user_data or {}).pop(MIX_BASE, None):
        await _submit_mix(context, who, mix_base, Mix(style=ref))
        return
    if clip := (context.user_data or {}).pop(ANIMATION, None):
        await _submit_animation(context, who, clip, style=ref)
        return
    caption = (message.caption or "").strip().removeprefix("/style").strip()
    preset = _svc(context).presets.find(caption) if caption else None
    chosen = context.user_data.pop(CHOSEN_PRESET, None) if context.user_data else None
    preset = preset or (_svc(context).presets.get(chosen) if chosen else None)
    if preset:
        if not await _submit_preset(context, who, ref, preset):
            # Keep the photo, so picking the painting again is all it takes later.
            await _svc(context).store.set_pending_content(who.user_id, who.chat_id, ref)
    else:
        await _take_single(context, who, ref)


async def _take_single(context: ContextTypes.DEFAULT_TYPE, who: Who, ref: FileRef) -> None:
    """The first photo becomes the content; the next one is its style and starts the job."""
    store = _svc(context).store
    pending = await store.get_pending_content(who.user_id)
    if pending is None:
        await store.set_pending_content(who.user_id, who.chat_id, ref)
        await _say(context, who, "got_content", keyboards.presets_button(who.language))
    elif pending.file_unique_id == ref.file_unique_id:
        await _say(context, who, "same_photo", keyboards.presets_button(who.language))
    else:
        await _submit(context, who, pending, style=ref)


# --- Albums: items arrive as separate updates sharing a media_group_id ------------------------


@dataclass
class _Album:
    who: Who
    items: list[tuple[int, FileRef]]  # (message_id, file), put in order when the album is used


def _collect_album_item(
    context: ContextTypes.DEFAULT_TYPE, who: Who, message: Message, ref: FileRef
) -> None:
    """Keep the item and (re)start a short timer; when no item has come for a moment, use them."""
    group = str(message.media_group_id)
    album = context.bot_data.setdefault(ALBUMS, {}).setdefault(group, _Album(who, []))
    album.items.append((message.message_id, ref))
    assert context.job_queue is not None
    for job in context.job_queue.get_jobs_by_name(f"album:{group}"):
        job.schedule_removal()
    context.job_queue.run_once(
        album_ready,
        ALBUM_WAIT_S,
        data=group,
        name=f"album:{group}",
        chat_id=who.chat_id,
        user_id=who.user_id,
    )


async def album_ready(context: ContextTypes.DEFAULT_TYPE) -> None:
    """First picture = the photo, second = the painting; one picture alone is like a photo."""
    assert context.job is not None
    album: _Album = context.bot_data[ALBUMS].pop(context.job.data)
    who = album.who
    refs = [ref for _, ref in sorted(album.items, key=lambda item: item[0])]
    if context.user_data:  # the album brings its own painting
        context.user_data.pop(CHOSEN_PRESET, None)
    if len(refs) == 1:
        await _take_single(context, who, refs[0])
        return
    if await _svc(context).store.set_pending_content(who.user_id, who.chat_id, refs[0]):
        await _say(context, who, "replaced_content")
    if len(refs) > 3:
        await _say(context, who, "album_extra")
    mix = Mix(style=refs[2]) if len(refs) > 2 else None  # photo, painting A, painting B
    await _submit(context, who, refs[0], style=refs[1], mix=mix)


# --- Presets ---------------------------------------------------------------------------------


async def _show_presets(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """One collage of the paintings, numbered, with a numbered button each; sent once, reused."""
    library = _svc(context).presets
    if not library.collage_file_ids:  # the first time, paintings may need fetching: show activity
        await context.bot.send_chat_action(who.chat_id, ChatAction.UPLOAD_PHOTO)
    ready, missing = await library.available()
    if not ready:
        await _say(context, who, "presets_unavailable")
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


async def _try_every_preset(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """The waiting photo in every preset, as one sheet drawn by the worker; a tap on a number
    then queues the full job (the photo stays waiting until then)."""
    svc = _svc(context)
    content = await svc.store.get_pending_content(who.user_id)
    if content is None:
        await _say(context, who, "try_needs_photo")
        return
    if not svc.worker.preview_available():
        await _say(context, who, "try_unavailable")
        return
    ready, _ = await svc.presets.available()
    if not ready:
        await _say(context, who, "presets_unavailable")
        return
    styles = [(preset.title_in(who.language), svc.presets.path(preset)) for preset in ready]
    keyboard = keyboards.presets_keyboard(who.language, ready)
    if svc.worker.try_presets(who.chat_id, content, who.settings, who.language, styles, keyboard):
        await _say(context, who, "try_started", count=len(ready))
    else:
        await _say(context, who, "try_busy")


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


async def _pick_preset(context: ContextTypes.DEFAULT_TYPE, who: Who, preset: Preset) -> None:
    """With a photo waiting, start the job; otherwise remember the choice for the next photo.

    After [Mix with…], the preset is the second painting for that result instead.
    """
    if mix_base := (context.user_data or {}).pop(MIX_BASE, None):
        await _submit_mix(context, who, mix_base, Mix(preset_id=preset.id))
        return
    if clip := (context.user_data or {}).pop(ANIMATION, None):
        await _submit_animation(context, who, clip, preset_id=preset.id)
        return
    pending = await _svc(context).store.get_pending_content(who.user_id)
    if pending:
        await _submit_preset(context, who, pending, preset)
        return
    if context.user_data is not None:
        context.user_data[CHOSEN_PRESET] = preset.id
    text = t(who.language, "preset_chosen", title=preset.title_in(who.language))
    if preset.strength is not who.settings.strength:
        strength = t(who.language, f"strength_{preset.strength}")
        text += "\n" + t(who.language, "preset_tip", strength=strength)
    await context.bot.send_message(who.chat_id, text)


async def _submit_preset(
    context: ContextTypes.DEFAULT_TYPE, who: Who, content: FileRef, preset: Preset
) -> bool:
    """Make sure the painting is on disk before queueing, so a missing one is said now."""
    try:
        await _svc(context).presets.image_path(preset.id)
    except PresetUnavailable as error:
        log.warning("preset unavailable: %s", error)
        await _say(context, who, "preset_failed", title=preset.title_in(who.language))
        return False
    return await _submit(context, who, content, preset_id=preset.id)


async def _submit_mix(
    context: ContextTypes.DEFAULT_TYPE, who: Who, base_job_id: int, mix: Mix
) -> None:
    """The earlier job again (its photos and settings) with a second painting blended in."""
    svc = _svc(context)
    job = await svc.store.get_job(base_job_id)
    if job is None or job.request.user_id != who.user_id:
        await _say(context, who, "rerun_gone")
        return
    if mix.preset_id is not None:
        try:
            await svc.presets.image_path(mix.preset_id)
        except PresetUnavailable as error:
            log.warning("preset unavailable: %s", error)
            await _say(context, who, "preset_failed", title=svc.presets.title(mix.preset_id))
            return
    request = job.request
    await _submit(
        context,
        who,
        request.content,
        style=request.style,
        preset_id=request.preset_id,
        settings=request.settings,
        mix=mix,
    )


async def _submit(
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
    """Queue a job (which consumes the pending photo); the worker then owns its status message.

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
        await _svc(context).worker.submit(request)
    except ActiveJobExists:
        await _say(context, who, "busy")
    except QueueFull as full:
        minutes = max(1, round(full.wait_s / 60))
        await _say(context, who, "queue_full", queue=full.queue_length, minutes=minutes)
    except DailyQuotaExceeded as quota:
        await _say(context, who, "quota", limit=quota.limit)
    else:
        return True
    return False


# --- Buttons ---------------------------------------------------------------------------------


async def menu_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Presets] [Try every preset] [Settings] [Help]: the same as the commands."""
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer()
    who = await _who(update, context)
    choice = query.data.split(":", 1)[1]
    if choice == "presets":
        await _show_presets(context, who)
    elif choice == "try":
        await _try_every_preset(context, who)
    elif choice == "settings":
        await _show_settings(context, who)
    else:
        await _say(context, who, "help")


async def preset_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await _who(update, context)
    preset = _svc(context).presets.get(query.data.split(":", 1)[1])
    await query.answer()
    if preset is None:  # a button from before the manifest changed
        await _show_presets(context, who)
    else:
        await _pick_preset(context, who, preset)


async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Change one setting, save it, and redraw the menu in place (in the new language, if so)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await _who(update, context)
    _, name, value = query.data.split(":", 2)
    changed = _changed(who.settings, name, value)
    if changed is None or changed == who.settings:
        await query.answer()
        return
    await _svc(context).store.save_settings(who.user_id, changed)
    assert update.effective_user is not None
    language = changed.language or language_for(update.effective_user.language_code)
    who = Who(who.user_id, who.chat_id, changed, language)
    await query.answer(t(language, "settings_saved"))
    await query.edit_message_text(
        _settings_text(who), reply_markup=await _settings_keyboard(context, who)
    )
    if name == "lang":
        await _set_chat_commands(context, who)


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
            case "lang" if value in LANGUAGES:
                return replace(settings, language=value)
    except ValueError:
        pass
    return None


async def _show_settings(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
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
        language_name=t(lang, "language_name"),
    )


async def _settings_keyboard(context: ContextTypes.DEFAULT_TYPE, who: Who) -> InlineKeyboardMarkup:
    """The menu, with each quality's wait as measured on this machine once there are runs."""
    config, store = _svc(context).config, _svc(context).store
    sides = {
        Quality.FAST: config.fast_side,
        Quality.STANDARD: config.standard_side,
        Quality.HIGH: config.high_side,
    }
    waits = {q: await store.average_run_s(q) or QUALITY_EXPECTED_S[q] for q in Quality}
    available = _svc(context).worker.preview_available()
    quality = who.settings.quality
    extra = {b: brush_extra_s(quality, b, waits[quality]) for b in Brush}
    return keyboards.settings_keyboard(who.language, who.settings, sides, waits, available, extra)


async def cancel_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Cancel] under a status message; the worker then edits that message to say so."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await _who(update, context)
    job = await _svc(context).store.get_job(_job_id(query.data))
    if job is None or job.request.user_id != who.user_id or job.status not in ACTIVE_STATUSES:
        await query.answer(t(who.language, "cancel_too_late"))
        return
    await _svc(context).worker.cancel(who.user_id)
    await query.answer(t(who.language, "cancel_done"))


async def rerun_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Stronger] [Softer] [Bigger/Smaller brush] [Keep colours] [Variation] [Another style]:
    the same photos, one thing changed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await _who(update, context)
    job = await _svc(context).store.get_job(_job_id(query.data))
    change = query.data.rsplit(":", 1)[1]
    if job is None or job.request.user_id != who.user_id:
        await query.answer()
        await _say(context, who, "rerun_gone")
        return
    request = job.request
    if change == "style":
        await _svc(context).store.set_pending_content(who.user_id, who.chat_id, request.content)
        await query.answer()
        await _say(context, who, "send_new_style", keyboards.presets_button(who.language))
        return
    if change == "mix":
        if context.user_data is not None:
            context.user_data[MIX_BASE] = job.id
        await query.answer()
        markup = keyboards.presets_only_button(who.language)
        await _say(context, who, "mix_send_painting", markup)
        return
    if change.startswith("mix"):  # [30 %] [50 %] [70 %] under a mixed result
        await query.answer()
        if request.mix is None:
            await _say(context, who, "rerun_gone")
            return
        mix = replace(request.mix, share=int(change.removeprefix("mix")) / 100)
        await _submit_mix(context, who, job.id, mix)
        return
    settings = _rerun_settings(request.settings, change)
    if settings is None:
        await query.answer(t(who.language, f"already_{change}"), show_alert=True)
        return
    await query.answer()
    await _submit(
        context,
        who,
        request.content,
        style=request.style,
        preset_id=request.preset_id,
        settings=settings,
    )


def _rerun_settings(settings: UserSettings, change: str) -> UserSettings | None:
    """The job's settings with one step changed; None when there is no further step."""
    if change == "colors":
        return replace(settings, preserve_colors=not settings.preserve_colors)
    if change == "variation":  # everything else kept: another take
        return replace(settings, seed=secrets.randbelow(2**31 - 1) + 1)
    if change in ("bigger", "smaller"):
        index = BRUSH_ORDER.index(settings.brush) + (1 if change == "bigger" else -1)
        if not 0 <= index < len(BRUSH_ORDER):
            return None
        return replace(settings, brush=BRUSH_ORDER[index])
    step = 1 if change == "stronger" else -1
    index = STRENGTH_ORDER.index(settings.strength) + step
    if not 0 <= index < len(STRENGTH_ORDER):
        return None
    return replace(settings, strength=STRENGTH_ORDER[index])


def _job_id(data: str) -> int:
    return int(data.split(":")[1])


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Yes: stop any job, then delete everything stored about the user. No: nothing happens."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await _who(update, context)
    await query.answer()
    if query.data != "forget:yes":
        await query.edit_message_text(t(who.language, "forget_kept"))
        return
    await _svc(context).worker.cancel(who.user_id)
    await _svc(context).store.forget_user(who.user_id)
    if context.user_data is not None:
        context.user_data.clear()
    await query.edit_message_text(t(who.language, "forgotten"))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button this version does not know (from an old message): stop its spinner, say so."""
    query = update.callback_query
    assert query is not None
    who = await _who(update, context)
    await query.answer(t(who.language, "button_stale"))


# --- Errors and the command menu --------------------------------------------------------------


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what failed (never the token, never image bytes) and tell the person briefly."""
    error = context.error
    if error is None:
        return
    trace = "".join(traceback.format_exception(error)).replace(context.bot.token, "<token>")
    log.error("an update failed: %s", trace)
    if isinstance(update, Update) and update.effective_chat and update.effective_user:
        language = language_for(update.effective_user.language_code)
        try:
            await context.bot.send_message(update.effective_chat.id, t(language, "error"))
        except TelegramError:
            log.warning("could not tell the user about the error")


def _commands(language: str, admin: bool) -> list[BotCommand]:
    names = (*MENU, "stats") if admin else MENU
    return [BotCommand(name, t(language, f"cmd_{name}")) for name in names]


async def set_commands(application: Application) -> None:
    """The / menu in each language; admins' own chats also list /stats (others never see it)."""
    await _set_menu(application.bot, admin=False)
    for admin_id in services(application.bot_data).config.admin_ids:
        try:
            await _set_menu(application.bot, admin=True, scope=BotCommandScopeChat(admin_id))
        except BadRequest as error:  # the admin has not opened a chat with the bot yet
            log.warning("no admin command menu for %s: %s", admin_id, error)


async def _set_menu(
    bot: Bot, admin: bool, scope: BotCommandScope | None = None, language: str | None = None
) -> None:
    """The menu for a scope: the default language without a language_code (Telegram's fallback),
    then each other language; or, given a language, that one for every language_code."""
    await bot.set_my_commands(_commands(language or DEFAULT_LANGUAGE, admin), scope=scope)
    for code in LANGUAGES:
        if code != DEFAULT_LANGUAGE:
            commands = _commands(language or code, admin)
            await bot.set_my_commands(commands, scope=scope, language_code=code)


async def _set_chat_commands(context: ContextTypes.DEFAULT_TYPE, who: Who) -> None:
    """After a language change, show this chat's / menu in the chosen language too."""
    admin = who.user_id in _svc(context).config.admin_ids
    scope = BotCommandScopeChat(who.chat_id)
    try:
        await _set_menu(context.bot, admin, scope, who.language)
    except TelegramError as error:
        log.warning("could not set the chat's command menu: %s", error)


def register_handlers(application: Application) -> None:
    """All wiring in one place. Edited messages are ignored: an edit must not start a job."""
    new = filters.UpdateType.MESSAGE
    commands = {
        "start": start,
        "help": help_command,
        "presets": presets_command,
        "try": try_command,
        "style": style_command,
        "settings": settings_command,
        "status": status_command,
        "cancel": cancel_command,
        "privacy": privacy_command,
        "forget": forget_command,
        "stats": stats_command,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(MessageHandler(new & filters.PHOTO, photo_message))
    # Before documents: Telegram sends an animation as a document too.
    application.add_handler(
        MessageHandler(new & (filters.ANIMATION | filters.VIDEO), animation_message)
    )
    application.add_handler(MessageHandler(new & filters.Document.ALL, document_message))
    application.add_handler(MessageHandler(new & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(new & filters.TEXT, text_message))
    application.add_handler(MessageHandler(new, other_message))
    buttons = {
        r"^menu:(presets|try|settings|help)$": menu_button,
        r"^preset:\w+$": preset_button,
        r"^set:\w+:\w+$": settings_button,
        r"^cancel:\d+$": cancel_button,
        r"^rerun:\d+:(stronger|softer|bigger|smaller|colors|variation|style|mix(30|50|70)?)$": (
            rerun_button
        ),
        r"^forget:(yes|no)$": forget_button,
    }
    for pattern, button in buttons.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_error_handler(on_error)
