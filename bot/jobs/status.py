"""A job's status message: one per job, edited in place from "queued" to a progress bar to its end.

Edits that would change nothing are skipped, even across a restart (the store keeps a digest of
what the message shows), since Telegram refuses them. The waits it promises come from
estimates.py; while no engine is online (availability.py) it promises none and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardMarkup

from bot.jobs.buttons import cancel_keyboard
from bot.jobs.crew import Crew
from bot.jobs.estimates import Estimates
from bot.jobs.messenger import status_digest
from bot.jobs.running import Running
from bot.models import Job, JobStatus
from bot.texts import t

BAR_CELLS = 10


def duration_text(language: str, seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return t(language, "duration_seconds", n=seconds)
    return t(language, "duration_minutes", n=round(seconds / 60))


def progress_text(language: str, fraction: float, left_s: float, paused: bool = False) -> str:
    """The progress bar; a print standing aside for regular work says so instead of a time."""
    filled = min(BAR_CELLS, int(fraction * BAR_CELLS))
    return t(
        language,
        "job_print_paused" if paused else "job_progress",
        percent=min(99, int(fraction * 100)),
        bar="▰" * filled + "▱" * (BAR_CELLS - filled),
        left=duration_text(language, left_s),
    )


def running_text(running: Running) -> str:
    return progress_text(
        running.job.request.language,
        running.progress,
        running.time_left(),
        running.paused_since is not None,
    )


@dataclass(frozen=True)
class JobStatusView:
    """What /status shows about a user's active job."""

    job: Job
    position: int  # 1 = runs next; 0 = running
    progress: float
    wait_s: float  # queued: until the result is ready; running: time left
    engines_online: bool = True
    paused: bool = False  # a print standing aside for regular work

    def describe(self, language: str) -> str:
        if self.job.status is JobStatus.QUEUED:
            return queued_text(language, self.position, self.wait_s, self.engines_online)
        return progress_text(language, self.progress, self.wait_s, self.paused)


def queued_text(language: str, position: int, wait_s: float, engines_online: bool) -> str:
    if not engines_online:
        return t(language, "job_queued_offline", position=position)
    return t(language, "job_queued", position=position, wait=duration_text(language, wait_s))


class StatusBoard:
    """Shows a job's state in its status message."""

    def __init__(self, crew: Crew) -> None:
        self._crew = crew
        self.estimates = Estimates(crew)

    async def show(
        self,
        job: Job,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
        progress: bool = False,
    ) -> bool:
        """Edit the job's status message, unless it shows exactly this already (even if shown
        before a restart: Telegram would refuse the edit). False when it was not shown: a
        progress edit too soon after the last, or Telegram out of reach."""
        if job.status_message_id is None:
            return True
        digest = status_digest(text, keyboard)
        if await self._crew.store.status_shown(job.id) == digest:
            return True
        # Recorded first, so nothing waits between the edit and what the caller does next.
        await self._crew.store.set_status_shown(job.id, digest)
        if not await self._crew.messenger.edit_status(
            job.request.chat_id, job.status_message_id, text, keyboard, progress=progress
        ):
            await self._crew.store.set_status_shown(job.id, None)  # not shown: try it next time
            return False
        return True

    async def show_started(self, running: Running) -> None:
        """'Starting…' in the job's message, posting one if it has none (its first went astray)."""
        job = running.job
        language = job.request.language
        text = t(language, "job_starting")
        keyboard = cancel_keyboard(language, job.id)
        if job.status_message_id is not None:
            await self.show(job, text, keyboard)
            return
        message_id = await self._crew.messenger.send_status(
            job.request.chat_id, text, keyboard, job.request.extras.reply_to
        )
        if message_id is not None:
            await self._crew.store.set_status_message(job.id, message_id)
            await self._crew.store.set_status_shown(job.id, status_digest(text, keyboard))
            running.job = replace(job, status_message_id=message_id)

    async def queued_text(self, job: Job) -> str:
        position = await self._crew.store.queue_position(job.id)
        wait = await self.estimates.wait_s(job)
        return queued_text(job.request.language, position, wait, self._crew.engines_online)

    async def show_queued(self, job: Job) -> None:
        """The job's place in the queue, or that it waits for an engine to come back."""
        keyboard = cancel_keyboard(job.request.language, job.id)
        await self.show(job, await self.queued_text(job), keyboard)
