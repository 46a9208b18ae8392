"""Keyboards: callback data the handlers parse, current choices marked, sizes and waits shown."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.chat.keyboards import presets_keyboard, print_sizes_keyboard, settings_keyboard
from bot.jobs.buttons import job_keyboard, result_keyboard
from bot.models import (
    Brush,
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    PrintSize,
    Quality,
    RequestExtras,
    Strength,
    UserSettings,
    brush_extra_s,
)
from bot.presets import SHIPPED_MANIFEST, load_manifest

SIDES = {Quality.FAST: 1024, Quality.STANDARD: 512, Quality.HIGH: 768}
WAITS = {Quality.FAST: 2.0, Quality.STANDARD: 60.0, Quality.HIGH: 150.0}
NO_EXTRA = dict.fromkeys(Brush, 0.0)


def _buttons(markup: InlineKeyboardMarkup) -> dict[str, str]:
    """callback_data -> text for every button."""
    return {str(b.callback_data): b.text for row in markup.inline_keyboard for b in row}


def test_settings_mark_the_current_choices_and_show_size_and_wait() -> None:
    settings = UserSettings(quality=Quality.HIGH, strength=Strength.SOFT, preserve_colors=True)
    buttons = _buttons(
        settings_keyboard(
            "en", settings, SIDES, WAITS, preview_available=True, brush_extra=NO_EXTRA
        )
    )
    assert buttons["set:quality:high"] == "✓ High · 768 px · ~2 min"
    assert buttons["set:quality:fast"] == "Fast preview only · 1024 px · ~2 s"
    assert buttons["set:quality:standard"] == "Standard · 512 px · ~1 min"
    assert buttons["set:strength:soft"].startswith("✓")
    assert not buttons["set:strength:strong"].startswith("✓")
    assert "set:colors:off" in buttons and "set:colors:on" not in buttons  # sets, never toggles
    assert "set:preview:off" in buttons
    assert buttons["set:lang:en"] == "✓ English" and buttons["set:lang:ru"] == "Русский"


def test_settings_in_russian_and_without_the_fast_model() -> None:
    markup = settings_keyboard(
        "ru", UserSettings(), SIDES, WAITS, preview_available=False, brush_extra=NO_EXTRA
    )
    buttons = _buttons(markup)
    assert "set:quality:fast" not in buttons and "set:preview:on" not in buttons
    assert "set:preview:off" not in buttons
    assert buttons["set:quality:standard"] == "✓ Стандартное · 512 px · ~1 мин"
    assert buttons["set:lang:ru"] == "✓ Русский"


def test_every_callback_fits_telegrams_64_bytes() -> None:
    presets = load_manifest(SHIPPED_MANIFEST)
    markups = [
        presets_keyboard("ru", presets),
        result_keyboard("en", 2**53, printable=True),
        print_sizes_keyboard("ru", 2**53, {2048: 180.0, 4096: 720.0}),
        settings_keyboard(
            "ru", UserSettings(), SIDES, WAITS, preview_available=True, brush_extra=NO_EXTRA
        ),
    ]
    for markup in markups:
        for data in _buttons(markup):
            assert len(data.encode()) <= 64, data


def test_presets_are_numbered_like_the_collage() -> None:
    presets = load_manifest(SHIPPED_MANIFEST)
    buttons = _buttons(presets_keyboard("en", presets))
    assert buttons["preset:starry_night"] == "1 · The Starry Night"
    assert buttons["preset:cezanne_sainte_victoire"] == "5 · Mont Sainte-Victoire"


def test_brush_buttons_mark_the_choice_and_show_the_extra_wait() -> None:
    settings = UserSettings(quality=Quality.FAST, brush=Brush.LARGE)
    extra = {b: brush_extra_s(Quality.FAST, b, WAITS[Quality.FAST]) for b in Brush}
    buttons = _buttons(settings_keyboard("en", settings, SIDES, WAITS, True, extra))
    assert buttons["set:brush:large"] == "✓ 🖌 large"
    assert buttons["set:brush:medium"] == "🖌 medium"
    assert buttons["set:brush:small"] == "🖌 small (+6 s)"  # 4x the pixels of a 2-s run
    ru = _buttons(settings_keyboard("ru", settings, SIDES, WAITS, True, extra))
    assert ru["set:brush:small"] == "🖌 мелкая (+6 с)"


def test_brush_costs_time_only_for_the_fast_method_small_brush() -> None:
    assert brush_extra_s(Quality.FAST, Brush.SMALL, 2.0) == 6.0
    assert brush_extra_s(Quality.FAST, Brush.LARGE, 2.0) == 0.0
    assert brush_extra_s(Quality.STANDARD, Brush.SMALL, 60.0) == 0.0


def test_result_colours_button_offers_the_other_choice() -> None:
    assert _buttons(result_keyboard("en", 7))["rerun:7:colors"] == "Keep colours"
    kept = _buttons(result_keyboard("en", 7, colors_kept=True))
    assert kept["rerun:7:colors"] == "Painting's colours"


def _job(quality: Quality, print_size: PrintSize | None = None) -> Job:
    photo = FileRef("photo", "u-photo")
    settings = UserSettings(quality=quality)
    request = JobRequest(
        1, 1, photo, None, "starry", settings, extras=RequestExtras(print_size=print_size)
    )
    return Job(7, request, JobStatus.DONE)


def test_print_size_is_offered_under_quality_pictures_only() -> None:
    rows = job_keyboard(_job(Quality.HIGH), printable=True).inline_keyboard
    assert [b.callback_data for b in rows[-1]] == ["print:7"]
    assert "print:7" not in _buttons(job_keyboard(_job(Quality.HIGH), printable=False))
    assert "print:7" not in _buttons(job_keyboard(_job(Quality.FAST), printable=True))
    # A print's own message (its delivery uncertain) offers the sizes again, nothing else.
    printed = _job(Quality.STANDARD, PrintSize(2048, FileRef("painting", "u-painting")))
    assert _buttons(job_keyboard(printed, printable=True)) == {"print:7": "🖨 Print size"}


def test_print_sizes_show_pixels_centimetres_and_wait() -> None:
    buttons = _buttons(print_sizes_keyboard("en", 7, {2048: 180.0, 4096: 720.0}))
    assert buttons == {
        "print:7:2048": "2048 px · 17 cm · ~3 min",
        "print:7:4096": "4096 px · 35 cm · ~12 min",
    }
