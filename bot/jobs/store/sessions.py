"""What the store keeps about a person: their settings, and where their conversation in each chat
stands (what waits for their next picture)."""

from __future__ import annotations

from bot.jobs.store.database import Database
from bot.jobs.store.rows import conversation_from_row, settings_from_json, settings_to_json
from bot.models import Conversation, UserSettings, Waiting


class Sessions(Database):
    """Users' settings, their conversations, and forgetting a user altogether."""

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

    # The conversation: what waits for the person's next picture in a chat.

    async def conversation(self, user_id: int, chat_id: int) -> Conversation:
        """Where the person's conversation in the chat stands (nothing waits, by default)."""
        row = await self._one(
            "SELECT * FROM conversations WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
        )
        return conversation_from_row(row) if row else Conversation()

    async def set_conversation(
        self, user_id: int, chat_id: int, conversation: Conversation
    ) -> Conversation:
        """Record what waits now (set_at: now); returns what waited before."""
        async with self._transaction() as db:
            async with db.execute(
                "SELECT * FROM conversations WHERE user_id = ? AND chat_id = ?",
                (user_id, chat_id),
            ) as cursor:
                row = await cursor.fetchone()
            await db.execute(
                "DELETE FROM conversations WHERE user_id = ? AND chat_id = ?", (user_id, chat_id)
            )
            if conversation.waiting is not Waiting.NOTHING:
                await self._ensure_user(db, user_id)
                content = conversation.content
                await db.execute(
                    """
                    INSERT INTO conversations
                        (user_id, chat_id, waiting, content_file_id, content_unique_id,
                         content_size, preset_id, mix_base, set_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    (
                        user_id,
                        chat_id,
                        conversation.waiting,
                        content.file_id if content else None,
                        content.file_unique_id if content else None,
                        content.file_size if content else None,
                        conversation.preset_id,
                        conversation.mix_base,
                        self._clock(),
                    ),
                )
        return conversation_from_row(row) if row else Conversation()

    async def clear_conversation(self, user_id: int, chat_id: int) -> Conversation:
        """Nothing waits any more (/cancel); returns what waited."""
        return await self.set_conversation(user_id, chat_id, Conversation())

    async def forget_user(self, user_id: int) -> None:
        """Delete the user's settings, conversations and every job row (the cascade does it).

        A job of theirs that is running notices at its next progress report and stops.
        """
        await self._write("DELETE FROM users WHERE user_id = ?", (user_id,))
