"""The chat side: every command, photo and button a person uses, one short handler each.

One module per thing a person does: photos.py (photos, paintings, albums), presets.py (presets and
the contact sheet), mixing.py (re-runs and mixes), animations.py, settings.py, privacy.py,
admin.py; basics.py has /start, /help, /status, /cancel and the fallbacks, menu.py the / menu,
common.py what they all start from. wiring.py routes every update to its handler.

There is no ConversationHandler: the only state that matters (a photo waiting for its painting)
lives in the store, so it survives a restart and the back end can clear it on /cancel. A preset
picked before any photo is remembered in user_data, in memory, since losing it costs one tap.

Handlers send with context.bot.send_message(chat_id, ...) rather than replying, so the same code
serves commands, button presses and the album timer (which has no message to reply to).
The chat side hands work to the job side (bot/jobs) through the Dispatcher and reads the Store; the
job side never imports from here.
"""
