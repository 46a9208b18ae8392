"""The chat side: every command, photo and button a person uses, one short handler each.

One module per thing a person does: photos.py (photos, image files, albums), presets.py (presets
and the contact sheet), mixing.py (re-runs and mixes), animations.py, settings.py, privacy.py,
admin.py, groups.py (/paint in group chats); basics.py has /start, /help, /status, /cancel and
the fallbacks, menu.py the / menu, common.py what they all start from, requests.py the checked
ways to queue a job. wiring.py routes every update to its handler.

What a picture, a preset or a clip means depends on what waits for it: conversation.py holds
that state table (STATES, as ConversationHandler's `states` would) and the router the handlers
call. The state itself is one record per person and chat in the store (bot.models.Conversation),
so it survives a restart, the job that takes what waited ends the wait, and /cancel clears it
in one call. Nothing is kept in user_data.

Handlers send with context.bot.send_message(chat_id, ...) rather than replying, so the same code
serves commands, button presses and the album timer (which has no message to reply to); in a
group the answer is a reply to what asked (Who.reply_to). The chat side hands work to the job
side (bot/jobs) through the Dispatcher and reads the Store; the job side never imports from
here.
"""
