"""What the store keeps about a group chat: whether its admins turned painting off (/paint off).

Nothing else of a group is kept: not its members, not its messages.
"""

from __future__ import annotations

from bot.jobs.store.database import Database


class Chats(Database):
    """Group chats' one switch."""

    async def painting_on(self, chat_id: int) -> bool:
        """True unless the group's admins turned painting off."""
        row = await self._one("SELECT painting FROM group_chats WHERE chat_id = ?", (chat_id,))
        return bool(row["painting"]) if row else True

    async def set_painting(self, chat_id: int, on: bool) -> None:
        await self._write(
            """
            INSERT INTO group_chats (chat_id, painting, changed_at) VALUES (?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                painting = excluded.painting, changed_at = excluded.changed_at
            """,
            (chat_id, int(on), self._clock()),
        )
