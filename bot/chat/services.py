"""The long-lived objects handlers need, kept in one typed place in application.bot_data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Config
    from bot.jobs.dispatcher import Dispatcher
    from bot.jobs.store import Store
    from bot.presets import PresetLibrary

SERVICES_KEY = "services"


@dataclass
class Services:
    config: Config
    store: Store
    dispatcher: Dispatcher
    presets: PresetLibrary


def services(bot_data: dict[Any, Any]) -> Services:
    """The Services that post_init stored; handlers call services(context.bot_data)."""
    found = bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found
