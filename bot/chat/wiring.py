"""All the chat side's wiring in one place: which update goes to which handler.

What a picture, a preset or a clip means depends on what waits for it: that is the conversation's
state table, STATES in conversation.py, which these handlers reach through its router. Private
chats get every handler; a group only /paint, /help and /start, the buttons under its results and
the bot's own membership (groups.py), so nothing else said in a group reaches a handler.
"""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.chat.admin import stats_command
from bot.chat.animations import animation_message
from bot.chat.basics import (
    cancel_button,
    cancel_command,
    help_command,
    menu_button,
    on_error,
    other_message,
    stale_button,
    start,
    status_command,
    unknown_command,
)
from bot.chat.groups import added_to_group, group_help, paint_command
from bot.chat.mixing import rerun_button
from bot.chat.photos import document_message, photo_message
from bot.chat.presets import (
    preset_button,
    presets_command,
    style_command,
    text_message,
    try_command,
)
from bot.chat.prints import print_button
from bot.chat.privacy import forget_button, forget_command, privacy_command
from bot.chat.settings import settings_button, settings_command


def register_handlers(application: Application) -> None:
    """All wiring in one place. Edited messages are ignored: an edit must not start a job."""
    group = filters.UpdateType.MESSAGE & filters.ChatType.GROUPS
    application.add_handler(ChatMemberHandler(added_to_group, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(CommandHandler("paint", paint_command, filters=group))
    application.add_handler(CommandHandler(["help", "start"], group_help, filters=group))
    new = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
    commands = {
        "start": start,
        "help": help_command,
        "presets": presets_command,
        "try": try_command,
        "style": style_command,
        "settings": settings_command,
        "status": status_command,
        "cancel": cancel_command,
        "privacy": privacy_command,
        "forget": forget_command,
        "stats": stats_command,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(MessageHandler(new & filters.PHOTO, photo_message))
    # Before documents: Telegram sends an animation as a document too. A clip sent as a file
    # is a document only: document_message tells it from a picture by its bytes.
    clips = filters.ANIMATION | filters.VIDEO | filters.VIDEO_NOTE
    application.add_handler(MessageHandler(new & clips, animation_message))
    application.add_handler(MessageHandler(new & filters.Document.ALL, document_message))
    application.add_handler(MessageHandler(new & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(new & filters.TEXT, text_message))
    application.add_handler(MessageHandler(new, other_message))
    buttons = {
        r"^menu:(presets|try|settings|help)$": menu_button,
        r"^preset:\w+$": preset_button,
        r"^set:\w+:\w+$": settings_button,
        r"^cancel:\d+$": cancel_button,
        r"^rerun:\d+:(stronger|softer|bigger|smaller|colors|variation|style|mix(30|50|70)?)$": (
            rerun_button
        ),
        r"^rerun:\d+:(keepme|keepbg|paintall)$": rerun_button,
        r"^print:\d+(:\d+)?$": print_button,
        r"^forget:(yes|no)$": forget_button,
    }
    for pattern, button in buttons.items():
        application.add_handler(CallbackQueryHandler(button, pattern=pattern))
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_error_handler(on_error)
