"""Who is who: the bot, the people, their private chats, and groups with members and admins.

Answers getMe and getChatMember. A group is made the way Telegram makes one for a bot: a member
adds it, and the bot gets a my_chat_member update saying so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakebot.calls import JSON, ApiError, Handler, Upload
from tests.fakebot.updates import UpdateQueue

if TYPE_CHECKING:
    from tests.fakebot.user import FakeUser

BOT_ID = 123456789

# What Telegram says an administrator may do (every field ChatMemberAdministrator requires).
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


@dataclass
class Chat:
    json: JSON  # the chat as messages carry it
    messages: dict[int, JSON] = field(default_factory=dict)  # message_id -> message, as edited
    next_message_id: int = 1
    members: dict[int, str] = field(default_factory=dict)  # a group's: user id -> status
    bot_sees_all: bool = False  # a group where the bot is an admin: it gets every message

    @property
    def private(self) -> bool:
        return self.json["type"] == "private"

    def post(self, sender: JSON, content: JSON) -> JSON:
        """A new message from `sender` in this chat, kept as it will be edited."""
        message: JSON = {
            "message_id": self.next_message_id,
            "from": sender,
            "chat": self.json,
            "date": int(time.time()),
            **content,
        }
        self.next_message_id += 1
        self.messages[message["message_id"]] = message
        return message


class Chats:
    """The bot's identity, the users and every chat the bot is in, by chat id."""

    def __init__(self, updates: UpdateQueue) -> None:
        self.bot = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Test Bot",
            "username": "test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.users: dict[int, JSON] = {}
        self.chats: dict[int, Chat] = {}
        self._updates = updates

    def methods(self) -> dict[str, Handler]:
        return {"getMe": self._get_me, "getChatMember": self._get_chat_member}

    def chat(self, chat_id: Any) -> Chat:
        """The chat a chat_id names (Telegram accepts it as a number or a string)."""
        try:
            return self.chats[int(chat_id)]
        except (KeyError, TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None

    def add_user(
        self, first_name: str, language_code: str | None, user_id: int | None, username: str | None
    ) -> JSON:
        """A person (the next free id unless given) and their private chat with the bot."""
        if user_id is None:
            user_id = 1001 + len(self.users)
        if user_id in self.users:
            raise ValueError(f"user {user_id} exists already")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self.users[user_id] = user
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        self.chats[user_id] = Chat(chat)
        return user

    async def add_group(
        self,
        title: str,
        members: list[FakeUser],
        *,
        admins: tuple[FakeUser, ...] = (),
        bot_sees_all: bool = False,
    ) -> int:
        """A group of these people, into which the first member adds the bot (a my_chat_member
        update, as Telegram sends); its chat id. As with Telegram's privacy mode, the bot gets
        only commands and replies to its own messages from it, unless bot_sees_all (the bot is
        an admin there). Act in it through `member.in_group(chat_id)`."""
        chat_id = -100_000 - len(self.chats)
        chat = Chat({"id": chat_id, "type": "group", "title": title}, bot_sees_all=bot_sees_all)
        admin_ids = {admin.id for admin in admins}
        chat.members = {m.id: "administrator" if m.id in admin_ids else "member" for m in members}
        self.chats[chat_id] = chat
        added: JSON = {"status": "administrator" if bot_sees_all else "member", "user": self.bot}
        if bot_sees_all:
            added.update(ADMIN_RIGHTS)
        await self._updates.add(
            {
                "my_chat_member": {
                    "chat": chat.json,
                    "from": members[0].json,
                    "date": int(time.time()),
                    "old_chat_member": {"status": "left", "user": self.bot},
                    "new_chat_member": added,
                }
            }
        )
        return chat_id

    async def _get_me(self, params: JSON, files: dict[str, Upload]) -> JSON:
        return self.bot

    async def _get_chat_member(self, params: JSON, files: dict[str, Upload]) -> JSON:
        chat = self.chat(params.get("chat_id"))
        user_id = int(params.get("user_id", 0))
        if user_id not in self.users:
            raise ApiError(400, "Bad Request: user not found")
        status = "member" if chat.private else chat.members.get(user_id, "left")
        member: JSON = {"status": status, "user": self.users[user_id]}
        if status == "administrator":
            member.update(ADMIN_RIGHTS)
        return member
