"""Every text a user sees, in every supported language: one catalog, so wording lives in one place.

Keys are grouped by who sends them (job_* by the worker, the rest by handlers). Placeholders use
str.format names; a test checks that every language has every key with the same placeholders.
"""

from __future__ import annotations

LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = "en"

CATALOG: dict[str, dict[str, str]] = {
    "en": {
        # Buttons on the status message and the result.
        "button_cancel": "Cancel",
        "button_stronger": "Stronger",
        "button_softer": "Softer",
        "button_keep_colors": "Keep colours",
        "button_another_style": "Another style",
    },
    "ru": {
        "button_cancel": "Отменить",
        "button_stronger": "Сильнее",
        "button_softer": "Мягче",
        "button_keep_colors": "Сохранить цвета",
        "button_another_style": "Другой стиль",
    },
}


def language_for(code: str | None) -> str:
    """The catalog language for a Telegram language_code such as 'ru' or 'en-US'."""
    base = (code or "").split("-")[0].lower()
    return base if base in CATALOG else DEFAULT_LANGUAGE


def t(language: str, key: str, **values: object) -> str:
    """The text for key in language (falling back to English), with placeholders filled in."""
    catalog = CATALOG.get(language, CATALOG[DEFAULT_LANGUAGE])
    template = catalog.get(key) or CATALOG[DEFAULT_LANGUAGE][key]
    return template.format(**values)
