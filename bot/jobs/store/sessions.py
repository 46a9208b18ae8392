"""What the store keeps about a person: their settings and the photo waiting for its painting."""

from __future__ import annotations

from bot.jobs.store.database import Database
from bot.jobs.store.rows import file_ref, settings_from_json, settings_to_json
from bot.models import FileRef, UserSettings


class Sessions(Database):
    """Users' settings, pending photos, and forgetting a user altogether."""

    # Users and their settings.

    async def get_settings(self, user_id: int) -> UserSettings:
        row = await self._one("SELECT settings FROM users WHERE user_id = ?", (user_id,))
        return settings_from_json(row["settings"]) if row else UserSettings()

    async def save_settings(self, user_id: int, settings: UserSettings) -> None:
        now = self._clock()
        await self._write(
            """
            INSERT INTO users (user_id, language, settings, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET
                language = excluded.language,
                settings = excluded.settings,
                updated_at = excluded.updated_at
            """,
            (user_id, settings.language, settings_to_json(settings), now, now),
        )

    # The photo a user sent and that waits for its style.

    async def get_pending_content(self, user_id: int) -> FileRef | None:
        row = await self._one("SELECT * FROM sessions WHERE user_id = ?", (user_id,))
        return file_ref(row, "content") if row else None

    async def set_pending_content(self, user_id: int, chat_id: int, content: FileRef) -> bool:
        """Remember the user's photo; True if it replaced one that was waiting."""
        async with self._transaction() as db:
            await self._ensure_user(db, user_id)
            async with db.execute("SELECT 1 FROM sessions WHERE user_id = ?", (user_id,)) as cur:
                replaced = await cur.fetchone() is not None
            await db.execute(
                """
                INSERT OR REPLACE INTO sessions
                    (user_id, chat_id, content_file_id, content_unique_id, content_size,
                     updated_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                (
                    user_id,
                    chat_id,
                    content.file_id,
                    content.file_unique_id,
                    content.file_size,
                    self._clock(),
                ),
            )
        return replaced

    async def clear_pending(self, user_id: int) -> None:
        await self._write("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    async def forget_user(self, user_id: int) -> None:
        """Delete the user's settings, pending photo and every job row (the cascade does it).

        A job of theirs that is running notices at its next progress report and stops.
        """
        await self._write("DELETE FROM users WHERE user_id = ?", (user_id,))
