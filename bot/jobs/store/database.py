"""The database file: its connection and lock, transactions, the schema and its migrations.

One connection serves all queries; every statement runs under one lock, so a transaction never
interleaves with another coroutine's writes. The rooms of the store (sessions.py, jobs.py,
queue.py) are subclasses of Database and only add queries.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any, Self

import aiosqlite

DAY_S = 24 * 60 * 60
BUSY_TIMEOUT_MS = 5000

# Each entry moves the schema up one version (PRAGMA user_version); never edit a released one.
MIGRATIONS: tuple[str, ...] = (
    # v1: the initial schema.
    """
    CREATE TABLE users (
        user_id    INTEGER PRIMARY KEY,
        language   TEXT,
        settings   TEXT NOT NULL DEFAULT '{}',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE sessions (
        user_id           INTEGER PRIMARY KEY REFERENCES users(user_id) ON DELETE CASCADE,
        chat_id           INTEGER NOT NULL,
        content_file_id   TEXT NOT NULL,
        content_unique_id TEXT NOT NULL,
        content_size      INTEGER,
        updated_at        REAL NOT NULL
    );
    -- AUTOINCREMENT: a purged job's id is never reused, so an old [Cancel] button cannot hit
    -- somebody's new job.
    CREATE TABLE jobs (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id           INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        chat_id           INTEGER NOT NULL,
        status            TEXT NOT NULL
            CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        language          TEXT NOT NULL,
        settings          TEXT NOT NULL,
        content_file_id   TEXT NOT NULL,
        content_unique_id TEXT NOT NULL,
        content_size      INTEGER,
        style_file_id     TEXT,
        style_unique_id   TEXT,
        style_size        INTEGER,
        preset_id         TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        progress          REAL NOT NULL DEFAULT 0,
        status_message_id INTEGER,
        announced         INTEGER NOT NULL DEFAULT 0,
        delivered         INTEGER NOT NULL DEFAULT 0,
        result_path       TEXT,
        error             TEXT,
        created_at        REAL NOT NULL,
        started_at        REAL,
        finished_at       REAL
    );
    """,
    # v2: delivery becomes a state instead of a flag. A flag cannot tell "sending began" from
    # "not sent", so after a crash mid-send recovery had to choose between a duplicate and a loss;
    # with 'sending' recorded first it knows. Plus the indexes the queue and quota queries use.
    """
    ALTER TABLE jobs ADD COLUMN delivery TEXT NOT NULL DEFAULT 'none'
        CHECK (delivery IN ('none', 'ready', 'sending', 'sent'));
    UPDATE jobs SET delivery = 'sent' WHERE delivered = 1;
    UPDATE jobs SET delivery = 'ready'
        WHERE delivered = 0 AND status = 'done' AND result_path IS NOT NULL;
    ALTER TABLE jobs DROP COLUMN delivered;
    CREATE INDEX jobs_by_status ON jobs(status, id);
    CREATE INDEX jobs_by_user ON jobs(user_id, created_at);
    """,
    # v3: what the job's status message shows (a digest of its text and buttons), so an edit
    # that would change nothing is skipped, even after a restart (Telegram refuses it with 400).
    """
    ALTER TABLE jobs ADD COLUMN status_shown TEXT;
    """,
    # v4: the conversation as one record per person and chat: what waits for the next picture
    # (a photo, a chosen preset, a result to mix into, a clip) and since when. It replaces the
    # sessions table (a photo waiting, per person); the choices kept in memory until then are
    # not carried over (they were lost on every restart anyway). A mix waits on its job, so it
    # goes with it.
    """
    CREATE TABLE conversations (
        user_id           INTEGER NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        chat_id           INTEGER NOT NULL,
        waiting           TEXT NOT NULL CHECK (waiting IN ('photo', 'preset', 'mix', 'clip')),
        content_file_id   TEXT,
        content_unique_id TEXT,
        content_size      INTEGER,
        preset_id         TEXT,
        mix_base          INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
        set_at            REAL NOT NULL,
        PRIMARY KEY (user_id, chat_id)
    );
    INSERT INTO conversations
        (user_id, chat_id, waiting, content_file_id, content_unique_id, content_size, set_at)
    SELECT user_id, chat_id, 'photo', content_file_id, content_unique_id, content_size,
        updated_at
    FROM sessions;
    DROP TABLE sessions;
    """,
    # v5: group chats whose admins turned painting off (/paint off); only that, no messages.
    """
    CREATE TABLE group_chats (
        chat_id    INTEGER PRIMARY KEY,
        painting   INTEGER NOT NULL,
        changed_at REAL NOT NULL
    );
    """,
    # v6: the result as Telegram keeps it once sent (the PNG file, else the photo), so that
    # [🖨 Print size] can paint it on after its file on disk is deleted.
    """
    ALTER TABLE jobs ADD COLUMN sent_result_file_id TEXT;
    ALTER TABLE jobs ADD COLUMN sent_result_unique_id TEXT;
    ALTER TABLE jobs ADD COLUMN sent_result_size INTEGER;
    """,
    # v7: lanes and learned run times. A print waits and runs in a lane of its own (its
    # settings' "print"), so that no regular job waits behind one: the lane follows from the
    # settings, never out of step with them. What each kind of job took at each side is learned
    # as jobs finish (kept here, so a restart or the retention's purge forgets none of it).
    """
    ALTER TABLE jobs ADD COLUMN lane TEXT GENERATED ALWAYS AS (
        CASE WHEN json_extract(settings, '$.print') IS NULL THEN 'regular' ELSE 'print' END
    ) VIRTUAL;
    CREATE INDEX jobs_by_lane ON jobs(lane, status, id);
    CREATE TABLE run_times (
        kind       TEXT NOT NULL,
        side       INTEGER NOT NULL,
        seconds    REAL NOT NULL,
        runs       INTEGER NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (kind, side)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

Parameters = Sequence[Any] | Mapping[str, Any]


class StoreError(Exception):
    """The database cannot be used by this version of the bot."""


class Database:
    """The connection and the helpers every query goes through. Open with `await cls.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, clock: Callable[[], float] = time.time) -> Self:
        """Open (creating it and its folder if needed) and migrate the database at path.

        A file SQLite cannot read raises StoreError and is left exactly as it was.
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: no implicit transactions; each is an explicit BEGIN IMMEDIATE.
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as error:
            raise _unusable(path, error) from None
        try:
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA foreign_keys = ON")
            # WAL with synchronous=NORMAL survives a killed process; only power loss can lose
            # the last commits, and then the job is simply asked for again.
            await db.execute("PRAGMA synchronous = NORMAL")
            await _migrate(db)
        except sqlite3.Error as error:
            await db.close()
            raise _unusable(path, error) from None
        except BaseException:
            await db.close()
            raise
        return cls(db, clock)

    async def close(self) -> None:
        async with self._lock:
            await self._db.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A short write transaction; BEGIN IMMEDIATE takes the write lock up front."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _one(self, sql: str, parameters: Parameters = ()) -> aiosqlite.Row | None:
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, parameters: Parameters = ()) -> list[aiosqlite.Row]:
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def _write(self, sql: str, parameters: Parameters = ()) -> int:
        """One statement in autocommit mode; the number of rows it changed."""
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return cursor.rowcount

    async def _ensure_user(self, db: aiosqlite.Connection, user_id: int) -> None:
        now = self._clock()
        await db.execute(
            "INSERT OR IGNORE INTO users (user_id, created_at, updated_at) VALUES (?, ?, ?)",
            (user_id, now, now),
        )


def _unusable(path: Path, error: sqlite3.Error) -> StoreError:
    return StoreError(
        f"the database {path} cannot be used ({error}): restore it from a backup "
        f"(README, Backup and restore), or move it aside to start with an empty one"
    )


def backup(source: Path, target: Path) -> None:
    """A consistent copy of the database at source, through SQLite's online backup API.

    Safe while the bot runs: the copy is one snapshot however many writes happen meanwhile. It is
    written beside target and renamed, so target is never a half-written file.
    """
    if not source.is_file():
        raise StoreError(f"there is no database at {source}: check NST_DATA_DIR")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise _unusable(source, error) from None
    finally:
        partial.unlink(missing_ok=True)


async def _migrate(db: aiosqlite.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one migration per transaction."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database is at schema version {version}, newer than this bot's "
            f"{SCHEMA_VERSION}: run the newer bot or restore a backup"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        await migrate_to(db, number)


async def migrate_to(db: aiosqlite.Connection, number: int) -> None:
    """Apply migration `number` (1-based) atomically: its DDL and the new user_version together."""
    script = MIGRATIONS[number - 1]
    try:
        await db.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
