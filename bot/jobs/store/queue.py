"""What the store says about all jobs at once: positions, counts, run times, recovery, retention."""

from __future__ import annotations

from dataclasses import dataclass

from bot.jobs.store.database import DAY_S, Database
from bot.jobs.store.jobs import ACTIVE, LINE
from bot.jobs.store.rows import job_from_row
from bot.models import Job, Lane


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


class Queue(Database):
    """The queue as a whole: where a job stands, what a restart finds, what retention removes."""

    async def line(self, lane: Lane) -> list[Job]:
        """The lane's queued jobs in the order they will be claimed (jobs.LINE)."""
        rows = await self._all(
            f"SELECT * FROM ({LINE}) WHERE status = 'queued' ORDER BY turn, id", {"lane": lane}
        )
        return [job_from_row(row) for row in rows]

    async def queue_position(self, job_id: int) -> int:
        """1 for the job its lane runs next; 0 for a job that is not queued (or does not
        exist)."""
        row = await self._one("SELECT lane FROM jobs WHERE id = ?", (job_id,))
        if row is None:
            return 0
        line = [queued.id for queued in await self.line(Lane(row["lane"]))]
        return line.index(job_id) + 1 if job_id in line else 0

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
                failed = [job_from_row(row) for row in await cursor.fetchall()]
            async with db.execute(
                """
                UPDATE jobs SET status = 'queued', progress = 0, started_at = NULL
                WHERE status = 'running'
                """
            ) as cursor:
                requeued = cursor.rowcount
            # A job whose announcement was cut short runs without one; the dispatcher sends a
            # status message when it starts.
            await db.execute("UPDATE jobs SET announced = 1 WHERE status = 'queued'")
            async with db.execute(
                "SELECT * FROM jobs WHERE delivery = 'ready' ORDER BY id"
            ) as cursor:
                undelivered = [job_from_row(row) for row in await cursor.fetchall()]
            async with db.execute(
                """
                UPDATE jobs SET delivery = 'sent', result_path = NULL
                WHERE delivery = 'sending'
                RETURNING *
                """
            ) as cursor:
                uncertain = [job_from_row(row) for row in await cursor.fetchall()]
        return Recovery(failed, requeued, undelivered, uncertain)

    async def jobs_with_files(self) -> set[int]:
        """Jobs whose folder must survive a restart: results that still wait to be sent."""
        rows = await self._all("SELECT id FROM jobs WHERE delivery = 'ready'")
        return {row["id"] for row in rows}

    async def purge(self, retention_days: int) -> list[int]:
        """Delete finished jobs and conversations older than the retention; the jobs' ids."""
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
            await db.execute("DELETE FROM conversations WHERE set_at < ?", (cutoff,))
        return purged

    async def queued_jobs(self) -> list[Job]:
        """The jobs waiting to run, first in line first."""
        rows = await self._all("SELECT * FROM jobs WHERE status = 'queued' ORDER BY id")
        return [job_from_row(row) for row in rows]

    async def oldest_queued_at(self) -> float | None:
        """When the job waiting longest was queued; None when none waits."""
        row = await self._one("SELECT MIN(created_at) AS oldest FROM jobs WHERE status = 'queued'")
        return None if row is None or row["oldest"] is None else float(row["oldest"])

    async def queue_counts(self) -> tuple[int, int]:
        """(queued, running) right now."""
        row = await self._one(
            """
            SELECT SUM(status = 'queued') AS queued, SUM(status = 'running') AS running
            FROM jobs WHERE status IN (?, ?)
            """,
            ACTIVE,
        )
        assert row is not None
        return row["queued"] or 0, row["running"] or 0
