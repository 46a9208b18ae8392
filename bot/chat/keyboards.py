"""Inline keyboards and the callback data they carry; handlers parse what these functions build.

Callback data formats (≤ 64 bytes, as Telegram requires):
  cancel:<job_id>                  cancel that job
  rerun:<job_id>:<change>          run that job's photos again; change is one of RERUN_CHANGES
  print:<job_id>                   offer the print sizes of that job's painting
  print:<job_id>:<side>            paint it on at that side (px), sent as a file to print
  menu:<presets|settings|help>     what /presets, /settings or /help would show
  preset:<preset_id>               use that preset painting as the style
  set:<setting>:<value>            change one setting (quality, strength, colors, preview, lang)
  forget:<yes|no>                  the answer to /forget's "are you sure?"
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.jobs.prints import cm
from bot.models import Brush, PersonMode, Quality, Strength, UserSettings
from bot.presets import Preset
from bot.texts import LANGUAGES, t


def start_keyboard(language: str) -> InlineKeyboardMarkup:
    """[Presets] [Settings] [Help] under /start: the three things a newcomer may want next."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(language, "button_presets"), callback_data="menu:presets"),
                InlineKeyboardButton(t(language, "button_settings"), callback_data="menu:settings"),
                InlineKeyboardButton(t(language, "button_help"), callback_data="menu:help"),
            ]
        ]
    )


def presets_button(language: str) -> InlineKeyboardMarkup:
    """[Presets] [Try every preset], under "now send a painting": a photo is waiting, so
    picking a painting, or seeing the photo in all of them, is a tap away."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(language, "button_presets"), callback_data="menu:presets"),
                InlineKeyboardButton(t(language, "button_try"), callback_data="menu:try"),
            ]
        ]
    )


def presets_only_button(language: str) -> InlineKeyboardMarkup:
    """A lone [Presets] button: the answer to [Mix with…] is a painting, nothing else."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(language, "button_presets"), callback_data="menu:presets")]]
    )


def presets_keyboard(language: str, presets: Sequence[Preset]) -> InlineKeyboardMarkup:
    """Numbered preset buttons, two per row, matching the numbers on the collage."""
    buttons = [
        InlineKeyboardButton(
            t(language, "preset_button", number=number, title=preset.title_in(language)),
            callback_data=f"preset:{preset.id}",
        )
        for number, preset in enumerate(presets, start=1)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def pick_keyboard(language: str, preset: Preset) -> InlineKeyboardMarkup:
    """The one-button answer to "did you mean …?"."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(preset.title_in(language), callback_data=f"preset:{preset.id}")]]
    )


def _brush_text(language: str, brush: Brush, extra_s: float) -> str:
    name = t(language, f"brush_{brush}")
    if extra_s < 1:
        return t(language, "brush_button", name=name)
    return t(language, "brush_button_slower", name=name, extra=_duration(language, extra_s))


def _duration(language: str, seconds: float) -> str:
    if seconds < 60:
        return t(language, "duration_seconds", n=max(1, round(seconds)))
    return t(language, "duration_minutes", n=round(seconds / 60))


def _mark(text: str, chosen: bool) -> str:
    return f"✓ {text}" if chosen else text


def _quality_text(
    language: str, quality: Quality, sides: dict[Quality, int], waits: dict[Quality, float]
) -> str:
    name = t(language, f"quality_{quality}")
    wait = _duration(language, waits[quality])
    return t(language, "quality_button", name=name, side=sides[quality], wait=wait)


def settings_keyboard(
    language: str,
    settings: UserSettings,
    sides: dict[Quality, int],
    waits: dict[Quality, float],
    preview_available: bool,
    brush_extra: dict[Brush, float],
    person_available: bool = True,
) -> InlineKeyboardMarkup:
    """Every setting with the current choice marked; each button sets a value (not a toggle),
    so a double tap or a stale menu can never flip a setting back. Qualities show their output
    size and expected wait in seconds; a brush that costs more time says how much (brush_extra,
    seconds); without a fast model, the fast options are left out; without the segmenter, the
    person modes are one button that says why."""

    def button(text: str, data: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=f"set:{data}")

    qualities = [q for q in Quality if preview_available or q is not Quality.FAST]
    rows = [
        [
            button(
                _mark(_quality_text(language, quality, sides, waits), quality is settings.quality),
                f"quality:{quality}",
            )
        ]
        for quality in qualities
    ]
    rows.append(
        [
            button(
                _mark(t(language, f"strength_{strength}"), strength is settings.strength),
                f"strength:{strength}",
            )
            for strength in Strength
        ]
    )
    rows.append(
        [
            button(
                _mark(_brush_text(language, brush, brush_extra[brush]), brush is settings.brush),
                f"brush:{brush}",
            )
            for brush in Brush
        ]
    )
    colors = "off" if settings.preserve_colors else "on"
    rows.append([button(t(language, f"button_colors_{colors}"), f"colors:{colors}")])
    if preview_available:
        preview = "off" if settings.preview else "on"
        rows.append([button(t(language, f"button_preview_{preview}"), f"preview:{preview}")])
    rows.extend(_person_rows(language, settings.person, person_available))
    rows.append(
        [
            button(_mark(t(code, "language_name"), code == language), f"lang:{code}")
            for code in LANGUAGES
        ]
    )
    return InlineKeyboardMarkup(rows)


def _person_rows(
    language: str, chosen: PersonMode, available: bool
) -> list[list[InlineKeyboardButton]]:
    """One row per person mode (long texts), or one row saying the mode is unavailable."""
    if not available:
        text = t(language, "person_button_unavailable")
        return [[InlineKeyboardButton(text, callback_data="set:person:unavailable")]]
    return [
        [
            InlineKeyboardButton(
                _mark(t(language, f"person_button_{mode}"), mode is chosen),
                callback_data=f"set:person:{mode}",
            )
        ]
        for mode in PersonMode
    ]


def print_sizes_keyboard(
    language: str, job_id: int, waits: dict[int, float]
) -> InlineKeyboardMarkup:
    """One button a print side (waits: seconds, by side): its pixels, the centimetres its
    longer side prints at, and about how long it takes."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(
                        language,
                        "print_size_button",
                        side=side,
                        cm=cm(side),
                        wait=_duration(language, wait),
                    ),
                    callback_data=f"print:{job_id}:{side}",
                )
            ]
            for side, wait in waits.items()
        ]
    )


def forget_keyboard(language: str) -> InlineKeyboardMarkup:
    """The confirmation /forget asks for, since deleting cannot be undone."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(language, "button_forget_yes"), callback_data="forget:yes"),
                InlineKeyboardButton(t(language, "button_forget_no"), callback_data="forget:no"),
            ]
        ]
    )
