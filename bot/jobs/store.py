"""Everything the bot must not lose, in one SQLite file: users' settings, pending photos and jobs.

A job row is the single source of truth for its life (queued → running → done/failed/cancelled and
its result's delivery), so a restart, even after kill -9, resumes exactly where the process died.
Photos are stored by Telegram file_id, never as bytes. One connection serves all queries; every
statement runs under one lock, so a transaction never interleaves with another coroutine's writes.
The limits (one active job per user, the queue cap, the daily quota) are checked in the same
transaction that inserts the job, so two requests at once cannot both slip past them.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.models import (
    ACTIVE_STATUSES,
    QUALITY_EXPECTED_S,
    Brush,
    Delivery,
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    Mix,
    Quality,
    Strength,
    UserSettings,
)

DAY_S = 24 * 60 * 60
BUSY_TIMEOUT_MS = 5000
# How many recent finished jobs the run-time average looks at: recent enough to follow load.
RECENT_RUNS = 20

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
)
SCHEMA_VERSION = len(MIGRATIONS)

Parameters = Sequence[Any] | Mapping[str, Any]

_ACTIVE = tuple(str(status) for status in ACTIVE_STATUSES)
# Jobs that count towards the daily quota: all but our failures and requests cancelled unstarted.
_COUNTS_FOR_QUOTA = "status != 'failed' AND NOT (status = 'cancelled' AND started_at IS NULL)"


class StoreError(Exception):
    """The database cannot be used by this version of the bot."""


class ActiveJobExists(Exception):
    """The user already has a queued or running job; a second one is refused, not queued."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"user {job.request.user_id} already has job {job.id}")
        self.job = job


class QueueFull(Exception):
    """The global queue is at its cap; wait_s is about when a place is likely to free up."""

    def __init__(self, queue_length: int, wait_s: float) -> None:
        super().__init__(f"queue full ({queue_length} jobs)")
        self.queue_length = queue_length
        self.wait_s = wait_s


class DailyQuotaExceeded(Exception):
    """The user ran `limit` jobs in the last 24 hours; retry_after_s is when the oldest expires."""

    def __init__(self, limit: int, retry_after_s: float) -> None:
        super().__init__(f"daily limit of {limit} jobs reached")
        self.limit = limit
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Stats:
    """What an operator's /stats shows, over the jobs created since a moment."""

    users: int
    jobs: int
    queue_length: int
    avg_wait_s: float | None
    avg_run_s: float | None
    failures: int


@dataclass(frozen=True)
class Recovery:
    """What a restart found: jobs given up on or requeued, results to send, sends that may have
    arrived."""

    failed: list[Job]
    requeued: int
    undelivered: list[Job]
    uncertain: list[Job]


def _settings_to_json(
    settings: UserSettings, mix: Mix | None = None, animation: bool = False
) -> str:
    """A job's settings, with its second painting under "mix" and "animation": true for a clip
    (in the JSON, so no migration)."""
    data: dict[str, Any] = asdict(settings)
    if mix is not None:
        data["mix"] = asdict(mix)
    if animation:
        data["animation"] = True
    return json.dumps(data, sort_keys=True)


def _mix_from_json(text: str) -> Mix | None:
    """A job's second painting, if it has one; a damaged entry counts as none."""
    data = json.loads(text or "{}").get("mix")
    if not isinstance(data, dict):
        return None
    try:
        style = FileRef(**data["style"]) if data.get("style") else None
        return Mix(style, data.get("preset_id"), float(data["share"]))
    except (KeyError, TypeError, ValueError):
        return None


def _settings_from_json(text: str) -> UserSettings:
    """Stored settings, tolerating unknown keys and bad values (each falls back to its default)."""
    data = json.loads(text or "{}")
    default = UserSettings()
    values: dict[str, Any] = {}
    for name, parse in (
        ("quality", Quality),
        ("strength", Strength),
        ("preserve_colors", bool),
        ("preview", bool),
        ("brush", Brush),
        ("seed", int),
    ):
        try:
            values[name] = parse(data[name])
        except (KeyError, ValueError, TypeError):
            values[name] = getattr(default, name)
    language = data.get("language")
    values["language"] = language if isinstance(language, str) else None
    return UserSettings(**values)


def _file(row: aiosqlite.Row, prefix: str) -> FileRef | None:
    file_id = row[f"{prefix}_file_id"]
    if file_id is None:
        return None
    return FileRef(file_id, row[f"{prefix}_unique_id"], row[f"{prefix}_size"])


def _job(row: aiosqlite.Row) -> Job:
    content = _file(row, "content")
    assert content is not None
    delivery = Delivery(row["delivery"])
    return Job(
        id=row["id"],
        request=JobRequest(
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            content=content,
            style=_file(row, "style"),
            preset_id=row["preset_id"],
            settings=_settings_from_json(row["settings"]),
            language=row["language"],
            mix=_mix_from_json(row["settings"]),
            animation=json.loads(row["settings"] or "{}").get("animation") is True,
        ),
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        progress=row["progress"],
        status_message_id=row["status_message_id"],
        delivered=delivery is Delivery.SENT,
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        result_path=row["result_path"],
        delivery=delivery,
    )


class Store:
    """The bot's database. Open with `await Store.open(path)`; close on shutdown."""

    def __init__(self, db: aiosqlite.Connection, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, *, clock: Callable[[], float] = time.time) -> Store:
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

    # Users and their settings.

    async def get_settings(self, user_id: int) -> UserSettings:
        row = await self._one("SELECT settings FROM users WHERE user_id = ?", (user_id,))
        return _settings_from_json(row["settings"]) if row else UserSettings()

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
            (user_id, settings.language, _settings_to_json(settings), now, now),
        )

    async def _ensure_user(self, db: aiosqlite.Connection, user_id: int) -> None:
        now = self._clock()
        await db.execute(
            "INSERT OR IGNORE INTO users (user_id, created_at, updated_at) VALUES (?, ?, ?)",
            (user_id, now, now),
        )

    # The photo a user sent and that waits for its style.

    async def get_pending_content(self, user_id: int) -> FileRef | None:
        row = await self._one("SELECT * FROM sessions WHERE user_id = ?", (user_id,))
        return _file(row, "content") if row else None

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

    # Jobs as handlers see them.

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def active_job(self, user_id: int) -> Job | None:
        row = await self._one(
            "SELECT * FROM jobs WHERE user_id = ? AND status IN (?, ?) ORDER BY id LIMIT 1",
            (user_id, *_ACTIVE),
        )
        return _job(row) if row else None

    async def last_job(self, user_id: int) -> Job | None:
        row = await self._one(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)
        )
        return _job(row) if row else None

    async def queue_position(self, job_id: int) -> int:
        """1 for the job that runs next; 0 for a job that is not queued (or does not exist)."""
        row = await self._one(
            """
            SELECT 1 + (SELECT COUNT(*) FROM jobs AS ahead
                        WHERE ahead.status = 'queued' AND ahead.id < job.id) AS position
            FROM jobs AS job WHERE job.id = ? AND job.status = 'queued'
            """,
            (job_id,),
        )
        return int(row["position"]) if row else 0

    async def forget_user(self, user_id: int) -> None:
        """Delete the user's settings, pending photo and every job row (the cascade does it).

        A job of theirs that is running notices at its next progress report and stops.
        """
        await self._write("DELETE FROM users WHERE user_id = ?", (user_id,))

    async def stats(self, since: float) -> Stats:
        row = await self._one(
            """
            SELECT
                (SELECT COUNT(*) FROM users) AS users,
                (SELECT COUNT(*) FROM jobs WHERE created_at >= :since) AS jobs,
                (SELECT COUNT(*) FROM jobs WHERE status = 'queued') AS queue_length,
                (SELECT AVG(started_at - created_at) FROM jobs
                    WHERE started_at >= :since) AS avg_wait_s,
                (SELECT AVG(finished_at - started_at) FROM jobs
                    WHERE status = 'done' AND finished_at >= :since) AS avg_run_s,
                (SELECT COUNT(*) FROM jobs
                    WHERE status = 'failed' AND finished_at >= :since) AS failures
            """,
            {"since": since},
        )
        assert row is not None
        return Stats(**dict(row))

    # Jobs as the worker drives them.

    async def create_job(
        self, request: JobRequest, *, queue_limit: int, daily_limit: int, workers: int
    ) -> Job:
        """Queue a job if the limits allow; consumes the user's pending photo.

        Raises ActiveJobExists, DailyQuotaExceeded (daily_limit 0: no quota) or QueueFull. The
        job is not claimable until mark_announced, so its status message exists before it runs.
        """
        now = self._clock()
        async with self._transaction() as db:
            async with db.execute(
                "SELECT * FROM jobs WHERE user_id = ? AND status IN (?, ?) ORDER BY id LIMIT 1",
                (request.user_id, *_ACTIVE),
            ) as cursor:
                active = await cursor.fetchone()
            if active:
                raise ActiveJobExists(_job(active))
            if daily_limit:
                async with db.execute(
                    f"""
                    SELECT created_at FROM jobs
                    WHERE user_id = ? AND created_at > ? AND {_COUNTS_FOR_QUOTA}
                    ORDER BY created_at
                    """,
                    (request.user_id, now - DAY_S),
                ) as cursor:
                    used = [row[0] for row in await cursor.fetchall()]
                if len(used) >= daily_limit:
                    # A place frees up when enough of the oldest leave the 24-hour window.
                    frees_at = used[len(used) - daily_limit] + DAY_S
                    raise DailyQuotaExceeded(daily_limit, frees_at - now)
            queue_length = await _count_queued(db)
            if queue_length >= queue_limit:
                run_s = await _average_run_s(db, None)
                raise QueueFull(queue_length, _wait_s(queue_length, run_s, workers))
            await self._ensure_user(db, request.user_id)
            style = request.style
            async with db.execute(
                """
                INSERT INTO jobs
                    (user_id, chat_id, status, language, settings,
                     content_file_id, content_unique_id, content_size,
                     style_file_id, style_unique_id, style_size, preset_id, created_at)
                VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING *
                """,
                (
                    request.user_id,
                    request.chat_id,
                    request.language,
                    _settings_to_json(request.settings, request.mix, request.animation),
                    request.content.file_id,
                    request.content.file_unique_id,
                    request.content.file_size,
                    style.file_id if style else None,
                    style.file_unique_id if style else None,
                    style.file_size if style else None,
                    request.preset_id,
                    now,
                ),
            ) as cursor:
                row = await cursor.fetchone()
            await db.execute("DELETE FROM sessions WHERE user_id = ?", (request.user_id,))
        assert row is not None
        return _job(row)

    async def mark_announced(self, job_id: int, status_message_id: int | None) -> None:
        """The job's status message is out (or could not be sent): the job may now run."""
        await self._write(
            """
            UPDATE jobs SET announced = 1,
                status_message_id = COALESCE(?, status_message_id)
            WHERE id = ?
            """,
            (status_message_id, job_id),
        )

    async def status_shown(self, job_id: int) -> str | None:
        """The digest of what the job's status message shows now (None: unknown)."""
        row = await self._one("SELECT status_shown FROM jobs WHERE id = ?", (job_id,))
        return row["status_shown"] if row else None

    async def set_status_shown(self, job_id: int, digest: str | None) -> None:
        await self._write("UPDATE jobs SET status_shown = ? WHERE id = ?", (digest, job_id))

    async def set_status_message(self, job_id: int, message_id: int) -> None:
        await self._write(
            "UPDATE jobs SET status_message_id = ? WHERE id = ?", (message_id, job_id)
        )

    async def claim_next(self) -> Job | None:
        """Atomically move the oldest announced queued job to running, counting an attempt.

        Oldest first is fair between users because each user has at most one job queued.
        """
        async with (
            self._lock,
            self._db.execute(
                """
            UPDATE jobs SET status = 'running', attempts = attempts + 1, progress = 0,
                started_at = ?
            WHERE id = (
                SELECT id FROM jobs WHERE status = 'queued' AND announced = 1
                ORDER BY id LIMIT 1
            )
            RETURNING *
            """,
                (self._clock(),),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return _job(row) if row else None

    async def set_progress(self, job_id: int, progress: float) -> bool:
        """Record progress; False when the job is no longer running (cancelled or forgotten)."""
        changed = await self._write(
            "UPDATE jobs SET progress = ? WHERE id = ? AND status = 'running'",
            (progress, job_id),
        )
        return changed == 1

    async def finish(
        self,
        job_id: int,
        status: JobStatus,
        *,
        error: str | None = None,
        result_path: Path | None = None,
    ) -> Job | None:
        """Record how a running job ended; None if the row is gone (the user asked to forget)."""
        assert status not in ACTIVE_STATUSES
        delivery = Delivery.READY if result_path else Delivery.NONE
        async with (
            self._lock,
            self._db.execute(
                """
            UPDATE jobs SET status = ?, error = ?, result_path = ?, delivery = ?,
                progress = CASE WHEN ? = 'done' THEN 1 ELSE progress END, finished_at = ?
            WHERE id = ? AND status = 'running'
            RETURNING *
            """,
                (
                    status,
                    error,
                    str(result_path) if result_path else None,
                    delivery,
                    status,
                    self._clock(),
                    job_id,
                ),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return _job(row) if row else None

    async def cancel_queued(self, job_id: int) -> Job | None:
        """Cancel a job that has not started; None if it already started or finished."""
        async with (
            self._lock,
            self._db.execute(
                """
            UPDATE jobs SET status = 'cancelled', finished_at = ?
            WHERE id = ? AND status = 'queued'
            RETURNING *
            """,
                (self._clock(), job_id),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return _job(row) if row else None

    async def requeue(self, job_id: int, *, refund_attempt: bool) -> bool:
        """Put a running job back at its place in the queue (its id keeps it first in line).

        refund_attempt: the job was stopped for reasons of ours (shutdown), not its own failure.
        """
        changed = await self._write(
            """
            UPDATE jobs SET status = 'queued', progress = 0, started_at = NULL,
                attempts = attempts - ?
            WHERE id = ? AND status = 'running'
            """,
            (1 if refund_attempt else 0, job_id),
        )
        return changed == 1

    async def begin_delivery(self, job_id: int) -> bool:
        """Claim a ready result for sending (ready → sending); False if someone else has it.

        Recorded before the first byte goes out, so a crash mid-send is known afterwards.
        """
        changed = await self._write(
            "UPDATE jobs SET delivery = 'sending' WHERE id = ? AND delivery = 'ready'", (job_id,)
        )
        return changed == 1

    async def set_delivery(self, job_id: int, delivery: Delivery) -> None:
        """Advance a result's delivery; once sent, the row forgets where the file was."""
        await self._write(
            """
            UPDATE jobs SET delivery = ?,
                result_path = CASE WHEN ? = 'sent' THEN NULL ELSE result_path END
            WHERE id = ?
            """,
            (delivery, delivery, job_id),
        )

    async def recover(self, max_attempts: int) -> Recovery:
        """After a start, crash or not: put interrupted jobs back, and find undelivered results.

        A job interrupted max_attempts times is failed instead (it may be what kills us). A send
        that was under way is not repeated: it may have arrived, and nothing is sent twice.
        """
        async with self._transaction() as db:
            async with db.execute(
                """
                UPDATE jobs SET status = 'failed', error = 'interrupted', finished_at = ?
                WHERE status = 'running' AND attempts >= ?
                RETURNING *
                """,
                (self._clock(), max_attempts),
            ) as cursor:
                failed = [_job(row) for row in await cursor.fetchall()]
            async with db.execute(
                """
                UPDATE jobs SET status = 'queued', progress = 0, started_at = NULL
                WHERE status = 'running'
                """
            ) as cursor:
                requeued = cursor.rowcount
            # A job whose announcement was cut short runs without one; the worker sends a
            # status message when it starts.
            await db.execute("UPDATE jobs SET announced = 1 WHERE status = 'queued'")
            async with db.execute(
                "SELECT * FROM jobs WHERE delivery = 'ready' ORDER BY id"
            ) as cursor:
                undelivered = [_job(row) for row in await cursor.fetchall()]
            async with db.execute(
                """
                UPDATE jobs SET delivery = 'sent', result_path = NULL
                WHERE delivery = 'sending'
                RETURNING *
                """
            ) as cursor:
                uncertain = [_job(row) for row in await cursor.fetchall()]
        return Recovery(failed, requeued, undelivered, uncertain)

    async def jobs_with_files(self) -> set[int]:
        """Jobs whose folder must survive a restart: results that still wait to be sent."""
        rows = await self._all("SELECT id FROM jobs WHERE delivery = 'ready'")
        return {row["id"] for row in rows}

    async def purge(self, retention_days: int) -> list[int]:
        """Delete finished jobs and pending photos older than the retention; the jobs' ids."""
        cutoff = self._clock() - retention_days * DAY_S
        async with self._transaction() as db:
            async with db.execute(
                """
                DELETE FROM jobs
                WHERE status IN ('done', 'failed', 'cancelled') AND finished_at < ?
                RETURNING id
                """,
                (cutoff,),
            ) as cursor:
                purged = [row["id"] for row in await cursor.fetchall()]
            await db.execute("DELETE FROM sessions WHERE updated_at < ?", (cutoff,))
        return purged

    async def queue_counts(self) -> tuple[int, int]:
        """(queued, running) right now."""
        row = await self._one(
            """
            SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running
            FROM jobs WHERE status IN (?, ?)
            """,
            _ACTIVE,
        )
        assert row is not None
        return row["queued"] or 0, row["running"] or 0

    async def average_run_s(self, quality: Quality | None) -> float | None:
        """Mean run time of recent finished jobs (of one quality), None before there are any."""
        async with self._lock:
            return await _average_run_s(self._db, quality)


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


async def _count_queued(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _average_run_s(db: aiosqlite.Connection, quality: Quality | None) -> float | None:
    async with db.execute(
        """
        SELECT AVG(finished_at - started_at) FROM (
            SELECT finished_at, started_at FROM jobs
            WHERE status = 'done' AND started_at IS NOT NULL
                AND (? IS NULL OR json_extract(settings, '$.quality') = ?)
            ORDER BY id DESC LIMIT ?
        )
        """,
        (quality, quality, RECENT_RUNS),
    ) as cursor:
        row = await cursor.fetchone()
    return float(row[0]) if row and row[0] is not None else None


def _wait_s(ahead: int, run_s: float | None, workers: int) -> float:
    """About how long until `ahead` jobs have run on `workers` runners."""
    per_job = run_s if run_s is not None else QUALITY_EXPECTED_S[Quality.STANDARD]
    return math.ceil(ahead / workers) * per_job


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
