"""What a restart finds and what runs in the background: recovery at start, then housekeeping.

Recovery is one store transaction (Store.recover): interrupted jobs back in the queue or failed,
results still to send, sends that may have arrived. Housekeeping retries deliveries that failed
for network reasons and purges finished jobs after the retention period.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

from bot.jobs.buttons import job_keyboard
from bot.jobs.crew import Crew
from bot.jobs.delivery import Deliverer
from bot.jobs.execution import MAX_ATTEMPTS
from bot.jobs.folders import remove_dir, remove_job_dirs
from bot.jobs.joblog import log
from bot.jobs.status import StatusBoard
from bot.models import JobStatus
from bot.texts import t

# How often stranded deliveries are retried, and finished jobs purged.
HOUSEKEEPING_INTERVAL_S = 60.0
PURGE_INTERVAL_S = 3600.0


async def recover(crew: Crew, board: StatusBoard, deliverer: Deliverer) -> None:
    """Settle what a previous run left behind, before the first job is claimed."""
    store = crew.store
    recovery = await store.recover(MAX_ATTEMPTS)
    keep = await store.jobs_with_files()
    await asyncio.to_thread(remove_job_dirs, crew.jobs_dir, keep)
    for job in recovery.failed:
        language = job.request.language
        crew.spawn(board.show(job, t(language, "job_failed", attempts=job.attempts)))
    for job in recovery.uncertain:
        language = job.request.language
        keyboard = job_keyboard(
            job, crew.runner.person_error is None, bool(crew.config.print_sides)
        )
        crew.spawn(board.show(job, t(language, "job_delivery_unsure"), keyboard))
    for job in recovery.undelivered:
        crew.spawn(deliverer.deliver(job))
    log.info(
        "dispatcher started: %d interrupted jobs requeued, %d failed after %d attempts, "
        "%d results to deliver, %d deliveries uncertain",
        recovery.requeued,
        len(recovery.failed),
        MAX_ATTEMPTS,
        len(recovery.undelivered),
        len(recovery.uncertain),
    )


async def housekeep(crew: Crew, deliverer: Deliverer) -> None:
    """Retry deliveries that failed for network reasons; purge old jobs now and then."""
    last_purge = -math.inf
    while not crew.stopped.is_set():
        try:
            if time.monotonic() - last_purge >= PURGE_INTERVAL_S:
                last_purge = time.monotonic()
                purged = await crew.store.purge(crew.config.retention_days)
                for job_id in purged:
                    await asyncio.to_thread(remove_dir, crew.jobs_dir / str(job_id))
            for job_id in await crew.store.jobs_with_files():
                job = await crew.store.get_job(job_id)
                if job is not None and job.status is JobStatus.DONE:
                    crew.spawn(deliverer.deliver(job))
        except Exception:
            log.exception("housekeeping failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(crew.stopped.wait(), HOUSEKEEPING_INTERVAL_S)
