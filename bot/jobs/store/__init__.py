"""Everything the bot must not lose, in one SQLite file: users' settings, conversations and jobs.

A job row is the single source of truth for its life (queued → running → done/failed/cancelled and
its result's delivery), so a restart, even after kill -9, resumes exactly where the process died.
Photos are stored by Telegram file_id, never as bytes.

The store is one object over one connection, built from rooms split by what they keep:
database.py (the connection, the schema and its migrations), sessions.py (a person's settings and
conversations: what waits for their next picture), chats.py (a group's painting switch), jobs.py
(a job row and the limits on creating one), queue.py (all jobs at once: positions, statistics,
recovery, retention), runtimes.py (what each kind of job took, learned).
"""

from __future__ import annotations

from bot.jobs.store.chats import Chats
from bot.jobs.store.database import (
    DAY_S,
    MIGRATIONS,
    SCHEMA_VERSION,
    Database,
    StoreError,
    backup,
    migrate_to,
)
from bot.jobs.store.jobs import ActiveJobExists, DailyQuotaExceeded, Jobs, QueueFull
from bot.jobs.store.queue import Queue, Recovery, Stats
from bot.jobs.store.runtimes import RunTimes
from bot.jobs.store.sessions import Sessions

__all__ = [
    "DAY_S",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ActiveJobExists",
    "DailyQuotaExceeded",
    "Database",
    "QueueFull",
    "Recovery",
    "Stats",
    "Store",
    "StoreError",
    "backup",
    "migrate_to",
]


class Store(Sessions, Chats, Jobs, Queue, RunTimes):
    """The bot's database. Open with `await Store.open(path)`; close on shutdown."""
