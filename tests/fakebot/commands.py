"""The bot's command menus: setMyCommands, getMyCommands and deleteMyCommands.

Kept by language, and by scope where the bot names one, so tests can read the menus a bot set.
"""

from __future__ import annotations

from tests.fakebot.calls import JSON, Handler, Upload


class CommandMenus:
    """The menus the bot set: `commands` for the default scope, `scoped_commands` for others."""

    def __init__(self) -> None:
        self.commands: dict[str, list[JSON]] = {}  # key: language_code ("" for the default)
        # Menus for other scopes: key (the scope's type, language_code).
        self.scoped_commands: dict[tuple[str, str], list[JSON]] = {}

    def methods(self) -> dict[str, Handler]:
        return {
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
        }

    async def _set_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        scope = (params.get("scope") or {}).get("type", "default")
        if scope == "default":
            self.commands[params.get("language_code", "")] = params["commands"]
        else:
            self.scoped_commands[scope, params.get("language_code", "")] = params["commands"]
        return True

    async def _get_my_commands(self, params: JSON, files: dict[str, Upload]) -> list[JSON]:
        return self.commands.get(params.get("language_code", ""), [])

    async def _delete_my_commands(self, params: JSON, files: dict[str, Upload]) -> bool:
        self.commands.pop(params.get("language_code", ""), None)
        return True
