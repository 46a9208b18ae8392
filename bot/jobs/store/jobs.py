"""What the store keeps about a job: the row through its life, and the limits checked on the way in.

The limits (one active job per user, the queue cap, the daily quota) are checked in the same
transaction that inserts the job, so two requests at once cannot both slip past them.
"""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from bot.jobs.store.database import DAY_S, Database
from bot.jobs.store.rows import job_from_row, settings_to_json
from bot.models import ACTIVE_STATUSES, Delivery, FileRef, Job, JobRequest, JobStatus, Lane

ACTIVE = tuple(str(status) for status in ACTIVE_STATUSES)
# A lane's queued jobs with each one's turn: how many of its person's jobs in the lane go before
# it, that is queued earlier, running, or run while it waited. Claims go by turn, then by
# arrival, so each person's first waiting job comes before anyone's second, and a person just
# served waits for those who were not; a job put back after a crash keeps its id, and its place.
LINE = """
    SELECT job.*, (
        SELECT COUNT(*) FROM jobs AS mine
        WHERE mine.user_id = job.user_id AND mine.lane = job.lane AND mine.id != job.id
            AND ((mine.status = 'queued' AND mine.id < job.id) OR mine.status = 'running'
                 OR (mine.started_at IS NOT NULL AND mine.finished_at > job.created_at))
    ) AS turn
    FROM jobs AS job WHERE job.lane = :lane AND job.status = 'queued'
"""
# Jobs that count towards the daily quota: all but our failures and requests cancelled unstarted.
_COUNTS_FOR_QUOTA = "status != 'failed' AND NOT (status = 'cancelled' AND started_at IS NULL)"


class ActiveJobExists(Exception):
    """The user has as many queued or running jobs as a person may (NST_JOBS_PER_PERSON); one
    more is refused, not queued. job: the first of them."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"user {job.request.user_id} already has job {job.id}")
        self.job = job


class QueueFull(Exception):
    """The global queue is at its cap; wait_s is about when a place is likely to free up (the
    store leaves it 0: the dispatcher, which knows the runs under way, says it)."""

    def __init__(self, queue_length: int, wait_s: float = 0.0) -> None:
        super().__init__(f"queue full ({queue_length} jobs)")
        self.queue_length = queue_length
        self.wait_s = wait_s


class DailyQuotaExceeded(Exception):
    """The user ran `limit` jobs in the last 24 hours; retry_after_s is when the oldest expires."""

    def __init__(self, limit: int, retry_after_s: float) -> None:
        super().__init__(f"daily limit of {limit} jobs reached")
        self.limit = limit
        self.retry_after_s = retry_after_s


class Jobs(Database):
    """A job row from its creation to its delivery: what handlers read and the dispatcher drives."""

    # Jobs as handlers see them.

    async def get_job(self, job_id: int) -> Job | None:
        row = await self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from_row(row) if row else None

    async def active_jobs(self, user_id: int) -> list[Job]:
        """The person's queued and running jobs, oldest first."""
        rows = await self._all(
            "SELECT * FROM jobs WHERE user_id = ? AND status IN (?, ?) ORDER BY id",
            (user_id, *ACTIVE),
        )
        return [job_from_row(row) for row in rows]

    async def last_job(self, user_id: int) -> Job | None:
        row = await self._one(
            "SELECT * FROM jobs WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)
        )
        return job_from_row(row) if row else None

    # Jobs as the dispatcher drives them.

    async def create_job(
        self, request: JobRequest, *, queue_limit: int, daily_limit: int, jobs_per_person: int
    ) -> Job:
        """Queue a job if the limits allow; ends what waited in the person's conversation.

        Raises ActiveJobExists, DailyQuotaExceeded (daily_limit 0: no quota) or QueueFull. The
        job is not claimable until mark_announced, so its status message exists before it runs.
        """
        now = self._clock()
        async with self._transaction() as db:
            await _check_limits(db, request.user_id, now, queue_limit, daily_limit, jobs_per_person)
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
                    settings_to_json(request.settings, request.extras),
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
            # The job takes what waited in the conversation (its photo, preset, mix or clip).
            await db.execute(
                "DELETE FROM conversations WHERE user_id = ? AND chat_id = ?",
                (request.user_id, request.chat_id),
            )
        assert row is not None
        return job_from_row(row)

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

    async def claim_next(self, lane: Lane) -> Job | None:
        """Atomically move the lane's next announced queued job (LINE's order) to running,
        counting an attempt."""
        async with (
            self._lock,
            self._db.execute(
                f"""
            UPDATE jobs SET status = 'running', attempts = attempts + 1, progress = 0,
                started_at = :now
            WHERE id = (
                SELECT id FROM ({LINE}) WHERE status = 'queued' AND announced = 1
                ORDER BY turn, id LIMIT 1
            )
            RETURNING *
            """,
                {"now": self._clock(), "lane": lane},
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return job_from_row(row) if row else None

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
        return job_from_row(row) if row else None

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
        return job_from_row(row) if row else None

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

    async def set_delivery(
        self, job_id: int, delivery: Delivery, sent_result: FileRef | None = None
    ) -> None:
        """Advance a result's delivery; once sent, the row forgets where the file was and keeps
        sent_result, the result as Telegram has it now (what a print of it downloads)."""
        await self._write(
            """
            UPDATE jobs SET delivery = ?,
                result_path = CASE WHEN ? = 'sent' THEN NULL ELSE result_path END,
                sent_result_file_id = COALESCE(?, sent_result_file_id),
                sent_result_unique_id = COALESCE(?, sent_result_unique_id),
                sent_result_size = COALESCE(?, sent_result_size)
            WHERE id = ?
            """,
            (
                delivery,
                delivery,
                sent_result.file_id if sent_result else None,
                sent_result.file_unique_id if sent_result else None,
                sent_result.file_size if sent_result else None,
                job_id,
            ),
        )


async def _count_queued(db: aiosqlite.Connection) -> int:
    async with db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'queued'") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _check_limits(
    db: aiosqlite.Connection,
    user_id: int,
    now: float,
    queue_limit: int,
    daily_limit: int,
    jobs_per_person: int,
) -> None:
    """Raise ActiveJobExists, DailyQuotaExceeded or QueueFull; inside create_job's transaction."""
    async with db.execute(
        "SELECT * FROM jobs WHERE user_id = ? AND status IN (?, ?) ORDER BY id",
        (user_id, *ACTIVE),
    ) as cursor:
        active = list(await cursor.fetchall())
    if len(active) >= jobs_per_person:
        raise ActiveJobExists(job_from_row(active[0]))
    if daily_limit:
        async with db.execute(
            f"""
            SELECT created_at FROM jobs
            WHERE user_id = ? AND created_at > ? AND {_COUNTS_FOR_QUOTA}
            ORDER BY created_at
            """,
            (user_id, now - DAY_S),
        ) as cursor:
            used = [row[0] for row in await cursor.fetchall()]
        if len(used) >= daily_limit:
            # A place frees up when enough of the oldest leave the 24-hour window.
            frees_at = used[len(used) - daily_limit] + DAY_S
            raise DailyQuotaExceeded(daily_limit, frees_at - now)
    queue_length = await _count_queued(db)
    if queue_length >= queue_limit:
        raise QueueFull(queue_length)
