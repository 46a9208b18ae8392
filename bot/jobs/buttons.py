"""The buttons under a job's messages: [Cancel] under its status, the re-runs and [🖨 Print size]
under its result.

The job side posts these; the chat side answers them (bot/chat/wiring.py routes the callback data:
cancel:<job_id>, rerun:<job_id>:<change> and print:<job_id>, see bot/chat/keyboards.py for every
format).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.models import MIX_SHARES, Job, PersonMode, Quality
from bot.texts import t

RERUN_CHANGES = ("stronger", "softer", "colors", "style")
# Person-mode re-runs: the change in the callback data, the mode it asks for, its button's text.
PERSON_CHANGES = {
    "keepme": (PersonMode.BACKGROUND, "button_keep_me"),
    "keepbg": (PersonMode.PERSON, "button_keep_background"),
    "paintall": (PersonMode.OFF, "button_paint_all"),
}


def job_keyboard(
    job: Job, person_available: bool = False, printable: bool = False
) -> InlineKeyboardMarkup:
    """The buttons under a job's result: a clip's re-runs, or a photo's (with the person-mode
    buttons when the runner has a segmenter; in a group, only those that need no picture
    after them, since the bot does not see the group's pictures; [🖨 Print size] under a
    quality picture when print sizes are on). A print's own file has none: only if its
    delivery is uncertain does its message offer [🖨 Print size] again."""
    request = job.request
    language = request.language
    if request.extras.animation:
        return animation_keyboard(language, job.id)
    if request.extras.print_size is not None:
        return InlineKeyboardMarkup([[print_button(language, job.id)]])
    person = request.settings.person if person_available else None
    return result_keyboard(
        language,
        job.id,
        colors_kept=request.settings.preserve_colors,
        mixed=request.extras.mix is not None,
        person=person,
        follow_ups=not request.in_group,
        printable=printable and request.settings.quality is not Quality.FAST,
    )


def print_button(language: str, job_id: int) -> InlineKeyboardButton:
    """[🖨 Print size]: the painting painted on at a print size; the chat side offers the sizes."""
    return InlineKeyboardButton(t(language, "button_print"), callback_data=f"print:{job_id}")


def animation_keyboard(language: str, job_id: int) -> InlineKeyboardMarkup:
    """Under a painted clip: the re-runs the fast method's frames can take (a clip is painted at
    one brush size, in the painting's colours)."""

    def button(key: str, change: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(t(language, key), callback_data=f"rerun:{job_id}:{change}")

    return InlineKeyboardMarkup(
        [
            [button("button_stronger", "stronger"), button("button_softer", "softer")],
            [button("button_variation", "variation"), button("button_another_style", "style")],
        ]
    )


def cancel_keyboard(language: str, job_id: int) -> InlineKeyboardMarkup:
    """The [Cancel] button under a job's status message."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(language, "button_cancel"), callback_data=f"cancel:{job_id}")]]
    )


def result_keyboard(
    language: str,
    job_id: int,
    colors_kept: bool = False,
    mixed: bool = False,
    person: PersonMode | None = None,
    follow_ups: bool = True,
    printable: bool = False,
) -> InlineKeyboardMarkup:
    """Buttons under a result that re-run the same photos with one thing changed.

    The colours button toggles, so when the result already kept the photo's colours it offers
    the painting's colours instead (pass colors_kept=job.request.settings.preserve_colors).
    A mixed result gets one button per share of the first painting (30/50/70 %); any result
    offers [Mix with…]. person (the result's person mode; None when the mode is unavailable)
    adds the two other modes' buttons: [🧍 Keep me] [🏞 Keep the background] [🎨 Paint it all].
    follow_ups=False leaves out [Another style] and [Mix with…], which wait for a picture.
    printable adds [🖨 Print size] in a row of its own, last.
    """

    def button(key: str, change: str, **values: object) -> InlineKeyboardButton:
        text = t(language, key, **values)
        return InlineKeyboardButton(text, callback_data=f"rerun:{job_id}:{change}")

    person_row = [
        button(key, change)
        for change, (mode, key) in PERSON_CHANGES.items()
        if person is not None and mode is not person
    ]
    shares = [
        button("button_mix_share", f"mix{round(100 * share)}", percent=round(100 * share))
        for share in MIX_SHARES
    ]
    follow_up = [button("button_another_style", "style"), button("button_mix_with", "mix")]
    return InlineKeyboardMarkup(
        [
            *([shares] if mixed else []),
            [button("button_stronger", "stronger"), button("button_softer", "softer")],
            [button("button_bigger_brush", "bigger"), button("button_smaller_brush", "smaller")],
            [
                button("button_painting_colors" if colors_kept else "button_keep_colors", "colors"),
                button("button_variation", "variation"),
            ],
            *([follow_up] if follow_ups else []),
            *([person_row] if person_row else []),
            *([[print_button(language, job_id)]] if printable else []),
        ]
    )
