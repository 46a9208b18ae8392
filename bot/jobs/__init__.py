"""The job side: the SQLite job store and the runners that execute jobs on the engine.

Nothing here talks to Telegram; the bot's worker (bot/worker.py) moves jobs between the store,
a runner and the chat.
"""
