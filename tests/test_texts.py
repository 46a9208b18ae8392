"""The catalog is complete: every key in every language, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from bot.chat.imagecheck import Problem
from bot.models import Brush, Quality, Strength
from bot.texts import CATALOG, DEFAULT_LANGUAGE, LANGUAGES, language_for, t


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_in_every_language_with_the_same_placeholders(language: str) -> None:
    reference = CATALOG[DEFAULT_LANGUAGE]
    catalog = CATALOG[language]
    assert set(catalog) == set(reference)
    for key, template in catalog.items():
        assert template.strip(), key
        assert _placeholders(template) == _placeholders(reference[key]), key


def test_keys_built_at_run_time_exist() -> None:
    """Keys the code assembles from enum values, which a grep for literals would miss."""
    keys = [problem.value for problem in Problem]
    keys += [f"quality_{quality}" for quality in Quality]
    keys += [f"strength_{strength}" for strength in Strength]
    keys += [f"button_{name}_{state}" for name in ("colors", "preview") for state in ("on", "off")]
    keys += [f"brush_{brush}" for brush in Brush]
    keys += ["already_stronger", "already_softer", "already_bigger", "already_smaller"]
    for key in keys:
        assert all(key in CATALOG[language] for language in LANGUAGES), key


def test_language_follows_telegram_code_with_english_fallback() -> None:
    assert language_for("ru") == "ru"
    assert language_for("ru-RU") == "ru"
    assert language_for("en-GB") == "en"
    assert language_for("de") == "en"
    assert language_for(None) == "en"


def test_t_fills_placeholders_and_falls_back_to_english() -> None:
    assert "7" in t("ru", "quota", limit=7)
    assert t("xx", "start") == t("en", "start")
