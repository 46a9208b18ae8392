"""The dispatcher: what handlers call, and the loops that hand queued jobs to free runners.

Data flows one way: handlers call submit/cancel/status; the dispatcher claims jobs from the store,
runs them through a JobRunner (execution.py) and talks to the user through its Messenger. The
store is the truth: nothing about a job lives only in memory except what a running job reports on
the way (progress, its cancel event), so a crash loses at most the current attempt. Each job owns
one status message (status.py), edited in place from "queued" to a progress bar to its outcome.
Each lane (models.Lane) has its own loop and slots: prints never hold a regular job's place.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot import metrics
from bot.config import Config
from bot.jobs.availability import EngineWatch
from bot.jobs.buttons import cancel_keyboard
from bot.jobs.crew import Crew, StyleSource
from bot.jobs.delivery import Deliverer
from bot.jobs.execution import Execution
from bot.jobs.joblog import ended, log
from bot.jobs.messenger import Messenger, status_digest
from bot.jobs.recovery import housekeep, recover
from bot.jobs.runner import Capacity, JobRunner
from bot.jobs.running import Running, StopReason
from bot.jobs.sheets import ContactSheets
from bot.jobs.status import JobStatusView, StatusBoard
from bot.jobs.store import QueueFull, Store
from bot.models import Job, JobRequest, JobStatus, Lane, UserSettings
from bot.texts import t

# How long a stop waits for deliveries under way before abandoning them (they resume on start).
STOP_GRACE_S = 30.0


class Dispatcher:
    """Runs queued jobs in their lanes: at most config.concurrent_jobs regular ones and
    config.concurrent_prints prints at once, in turn (store.LINE)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        runner: JobRunner,
        messenger: Messenger,
        styles: StyleSource,
    ) -> None:
        self._crew = crew = Crew(config, store, runner, messenger, styles)
        self._board = StatusBoard(crew)
        self._deliverer = Deliverer(crew, self._board)
        self._execution = Execution(crew, self._board, self._deliverer)
        self._sheets = ContactSheets(crew)
        self._engines_watch = EngineWatch(crew, self._board)
        # What /try calls: draw the contact sheet and send it (False if one is under way).
        self.try_presets = self._sheets.start
        self._slots = {
            Lane.REGULAR: asyncio.Semaphore(config.concurrent_jobs),
            Lane.PRINT: asyncio.Semaphore(config.concurrent_prints),
        }
        self._cancel_requested: set[int] = set()
        self._claiming: list[asyncio.Task[None]] = []

    # What handlers call.

    async def submit(self, request: JobRequest) -> Job:
        """Queue the request and post its status message; raises the store's limit errors."""
        config = self._crew.config
        try:
            job = await self._crew.store.create_job(
                request,
                queue_limit=config.queue_limit,
                daily_limit=config.daily_limit,
                jobs_per_person=config.jobs_per_person,
            )
        except QueueFull as full:
            raise QueueFull(full.queue_length, await self._board.estimates.drained_s()) from None
        metrics.job_queued(request.kind)
        log.info("job %s queued (%s)", job.id, request.kind)
        message_id = None
        try:
            text = await self._board.queued_text(job)
            keyboard = cancel_keyboard(request.language, job.id)
            message_id = await self._crew.messenger.send_status(
                request.chat_id, text, keyboard, request.extras.reply_to
            )
            if message_id is not None:
                await self._crew.store.set_status_shown(job.id, status_digest(text, keyboard))
        finally:
            # Only now may it run, so "queued" can never overwrite its progress bar.
            await self._crew.store.mark_announced(job.id, message_id)
            self._crew.wake()
        await self._crew.count_queue()
        return replace(job, status_message_id=message_id)

    async def cancel(self, user_id: int) -> list[Job]:
        """Cancel each of the person's jobs (queued: now; running: within one step)."""
        jobs = await self._crew.store.active_jobs(user_id)
        return [cancelled for job in jobs if (cancelled := await self.cancel_job(job))]

    async def cancel_job(self, job: Job) -> Job | None:
        """Cancel one job (queued: now; running: within one step); None if it had ended."""
        running = self._crew.running.get(job.id)
        if running is not None:
            running.stop(StopReason.USER)
            return job
        cancelled = await self._crew.store.cancel_queued(job.id)
        if cancelled is not None:
            ended(cancelled, "cancelled")
            await self._board.show(cancelled, t(cancelled.request.language, "job_cancelled"))
            self._crew.messenger.forget_message(
                cancelled.request.chat_id, cancelled.status_message_id
            )
            return cancelled
        # It was claimed between our two reads; its runner may not be registered yet.
        current = await self._crew.store.get_job(job.id)
        if current is None or current.status is not JobStatus.RUNNING:
            return None
        running = self._crew.running.get(job.id)
        if running is not None:
            running.stop(StopReason.USER)
        else:
            self._cancel_requested.add(job.id)
        return current

    async def status(self, user_id: int) -> list[JobStatusView]:
        """Each of the person's jobs: its place and wait, or its progress."""
        return [await self._view(job) for job in await self._crew.store.active_jobs(user_id)]

    async def _view(self, job: Job) -> JobStatusView:
        running = self._crew.running.get(job.id)
        if running is not None:
            paused = running.paused_since is not None
            return JobStatusView(job, 0, running.progress, running.time_left(), paused=paused)
        position = await self._crew.store.queue_position(job.id)
        estimates = self._board.estimates
        if position == 0:  # it started a moment ago
            return JobStatusView(job, 0, 0.0, await estimates.job_s(job.request))
        wait = await estimates.wait_s(job)
        return JobStatusView(job, position, 0.0, wait, self._crew.engines_online)

    async def expected_s(self, settings: UserSettings, print_side: int | None = None) -> float:
        """What a picture of these settings (or a print of that side) takes: the menus' waits."""
        return await self._board.estimates.run_s(settings, print_side)

    def preview_available(self) -> bool:
        """Whether jobs can have previews (and the fast quality): where they are painted."""
        return self._crew.runner.fast_error is None

    def sheets_available(self) -> bool:
        """Whether /try's contact sheets can be made: in this process, by its fast service."""
        return self._crew.runner.sheet_error is None

    def person_available(self) -> bool:
        """Whether person mode can be offered: the runner (or a remote worker) has the model."""
        return self._crew.runner.person_error is None

    async def capacity(self) -> Capacity:
        """Engines online (in this process or remote workers) and how many are busy."""
        return await self._crew.runner.capacity()

    @property
    def engines_online(self) -> bool:
        """What the dispatcher acts on: whether it claims jobs, and what queued messages say
        (the engine watch updates it each CHECK_EVERY_S from `capacity`)."""
        return self._crew.engines_online

    # Life cycle.

    async def start(self) -> None:
        """Recover what a previous run left behind, then start taking jobs."""
        await recover(self._crew, self._board, self._deliverer)
        await self._engines_watch.check()
        self._claiming = [
            asyncio.create_task(self._dispatch(lane), name=f"dispatch {lane}") for lane in Lane
        ]
        self._crew.spawn(housekeep(self._crew, self._deliverer))
        self._crew.spawn(self._engines_watch.watch())

    async def stop(self) -> None:
        """Stop taking jobs; running ones go back to the queue (their attempt not counted)."""
        if self._crew.stopped.is_set():
            return
        self._crew.stopped.set()
        self._crew.wake()
        for running in list(self._crew.running.values()):
            running.stop(StopReason.SHUTDOWN)
        await asyncio.gather(*self._claiming)
        if self._crew.tasks:
            _, late = await asyncio.wait(set(self._crew.tasks), timeout=STOP_GRACE_S)
            for task in late:  # a delivery stuck on the network: it resumes after the restart
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _dispatch(self, lane: Lane) -> None:
        """Claim the lane's next job whenever one of its slots is free."""
        slots = self._slots[lane]
        while True:
            await slots.acquire()
            job = await self._claim(lane)
            if job is None:
                slots.release()
                return
            # Registered before any await, so cancel() always finds a claimed job.
            running = self._crew.running[job.id] = Running(job)
            running.expected_s = await self._board.estimates.job_s(job.request)
            waited = (job.started_at or job.created_at) - job.created_at
            metrics.job_started(job.request.kind, waited)
            log.info("job %s started after %.1f s (attempt %d)", job.id, waited, job.attempts)
            await self._crew.count_queue()
            if job.id in self._cancel_requested:
                self._cancel_requested.discard(job.id)
                running.stop(StopReason.USER)
            task = self._crew.spawn(self._execution.run(running))
            task.add_done_callback(lambda _: slots.release())

    async def _claim(self, lane: Lane) -> Job | None:
        """The lane's next job, waiting for one (and for an engine) as long as needed; None
        once stopping."""
        wake = self._crew.wakes[lane]
        while not self._crew.stopped.is_set():
            wake.clear()
            if not self._crew.engines_online:
                await wake.wait()
                continue
            try:
                job = await self._crew.store.claim_next(lane)
            except Exception:
                log.exception("claiming a job failed; trying again")
                await asyncio.sleep(1)
                continue
            if job is not None:
                return job
            await wake.wait()
        return None
