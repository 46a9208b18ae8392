"""Inline keyboards and the callback data they carry; handlers parse what these functions build.

Callback data formats (≤ 64 bytes, as Telegram requires):
  cancel:<job_id>                  cancel that job
  rerun:<job_id>:<change>          run that job's photos again; change is one of RERUN_CHANGES
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import t

RERUN_CHANGES = ("stronger", "softer", "colors", "style")


def cancel_keyboard(language: str, job_id: int) -> InlineKeyboardMarkup:
    """The [Cancel] button under a job's status message."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(language, "button_cancel"), callback_data=f"cancel:{job_id}")]]
    )


def result_keyboard(language: str, job_id: int) -> InlineKeyboardMarkup:
    """Buttons under a result that re-run the same photos with one thing changed."""

    def button(key: str, change: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(t(language, key), callback_data=f"rerun:{job_id}:{change}")

    return InlineKeyboardMarkup(
        [
            [button("button_stronger", "stronger"), button("button_softer", "softer")],
            [button("button_keep_colors", "colors"), button("button_another_style", "style")],
        ]
    )
