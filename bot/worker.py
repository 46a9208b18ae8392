"""The job machinery: queue a request, run it on the engine, deliver the result, survive restarts.

Data flows one way: handlers call submit/cancel/status; the worker claims jobs from the store,
runs them through a JobRunner and talks to the user through its Messenger. The store is the truth:
nothing about a job lives only in memory except what a running job reports on the way (progress,
its cancel event), so a crash loses at most the current attempt. Each job owns one status message,
edited in place from "queued" to a progress bar to its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import shutil
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from telegram import InlineKeyboardMarkup
from telegram.constants import ChatAction
from telegram.error import TelegramError

from bot import metrics
from bot.config import Config
from bot.delivery import (
    EDIT_INTERVAL_S,
    InputTooBig,
    InputUnavailable,
    Messenger,
    Sent,
    status_digest,
)
from bot.jobs.runner import Capacity, JobRunner, NotStarted
from bot.jobs.store import Store
from bot.keyboards import cancel_keyboard, result_keyboard
from bot.models import (
    BRUSH_SCALE,
    QUALITY_EXPECTED_S,
    STRENGTH_VALUE,
    Delivery,
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    Quality,
    UserSettings,
)
from bot.presets import PresetUnavailable
from bot.texts import t
from nst_engine import animation
from nst_engine.errors import Cancelled, EngineError, ImageError
from nst_engine.settings import Settings

log = logging.getLogger(__name__)

# A job interrupted (crash, error) this many times is failed: it may be what kills the process.
MAX_ATTEMPTS = 3
# How often stranded deliveries are retried, and finished jobs purged.
HOUSEKEEPING_INTERVAL_S = 60.0
PURGE_INTERVAL_S = 3600.0
# How long a stop waits for deliveries under way before abandoning them (they resume on start).
STOP_GRACE_S = 30.0
RESULT_FILE = "result.png"
ANIMATION_FILE = "result.mp4"
BAR_CELLS = 10


class StopReason(Enum):
    USER = "user"  # /cancel or [Cancel]
    TIMEOUT = "timeout"  # NST_JOB_TIMEOUT passed
    SHUTDOWN = "shutdown"  # the bot is stopping; the job goes back to the queue
    GONE = "gone"  # the row disappeared: the user asked to be forgotten


class StyleSource(Protocol):
    """Where preset paintings come from (PresetLibrary)."""

    def title(self, preset_id: str, language: str = "en") -> str: ...

    async def image_path(self, preset_id: str) -> Path: ...


@dataclass
class _Running:
    """A job this process is working on: what the engine thread and the handlers share."""

    job: Job
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: StopReason | None = None
    progress: float = 0.0
    run_started: float | None = None  # time.monotonic() when the main run began
    last_report: float = -math.inf
    reporting: asyncio.Task[None] | None = None
    result_ready: bool = False

    def stop(self, reason: StopReason) -> None:
        """Ask the engine to stop within one step; the first reason given is the one kept."""
        if self.reason is None:
            self.reason = reason
        self.cancel.set()


def duration_text(language: str, seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return t(language, "duration_seconds", n=seconds)
    return t(language, "duration_minutes", n=round(seconds / 60))


def progress_text(language: str, fraction: float, left_s: float) -> str:
    filled = min(BAR_CELLS, int(fraction * BAR_CELLS))
    return t(
        language,
        "job_progress",
        percent=min(99, int(fraction * 100)),
        bar="▰" * filled + "▱" * (BAR_CELLS - filled),
        left=duration_text(language, left_s),
    )


@dataclass(frozen=True)
class JobStatusView:
    """What /status shows about a user's active job."""

    job: Job
    position: int  # 1 = runs next; 0 = running
    progress: float
    wait_s: float  # queued: until the result is ready; running: time left

    def describe(self, language: str) -> str:
        if self.job.status is JobStatus.QUEUED:
            wait = duration_text(language, self.wait_s)
            return t(language, "job_queued", position=self.position, wait=wait)
        return progress_text(language, self.progress, self.wait_s)


def engine_settings(settings: UserSettings, config: Config, fast_available: bool) -> Settings:
    """What the engine is asked to do for a user's choices (FAST falls back when unavailable)."""
    chosen = Settings(
        style_strength=STRENGTH_VALUE[settings.strength],
        preserve_colors=settings.preserve_colors,
        style_scale=BRUSH_SCALE[settings.brush],
        seed=settings.seed,
    )
    if settings.quality is Quality.FAST and fast_available:
        return replace(chosen, method="fast", max_side=config.fast_side)
    side = config.high_side if settings.quality is Quality.HIGH else config.standard_side
    return replace(chosen, method="quality", max_side=side, steps=config.quality_steps)


class Worker:
    """Runs queued jobs, at most config.workers at once, oldest first."""

    def __init__(
        self,
        config: Config,
        store: Store,
        runner: JobRunner,
        messenger: Messenger,
        styles: StyleSource,
    ) -> None:
        self._config = config
        self._store = store
        self._runner = runner
        self._messenger = messenger
        self._styles = styles
        self._jobs_dir = config.data_dir / "jobs"
        self._slots = asyncio.Semaphore(config.workers)
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running: dict[int, _Running] = {}
        self._cancel_requested: set[int] = set()
        self._sheets: set[int] = set()  # chats whose contact sheet is being drawn
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dispatcher: asyncio.Task[None] | None = None

    # What handlers call.

    async def submit(self, request: JobRequest) -> Job:
        """Queue the request and post its status message; raises the store's limit errors."""
        job = await self._store.create_job(
            request,
            queue_limit=self._config.queue_limit,
            daily_limit=self._config.daily_limit,
            workers=self._config.workers,
        )
        quality = str(request.settings.quality)
        metrics.job_queued(quality)
        log.info("job %s queued (%s)", job.id, quality)
        message_id = None
        try:
            text, keyboard = await self._queued_text(job), cancel_keyboard(request.language, job.id)
            message_id = await self._messenger.send_status(request.chat_id, text, keyboard)
            if message_id is not None:
                await self._store.set_status_shown(job.id, status_digest(text, keyboard))
        finally:
            # Only now may it run, so "queued" can never overwrite its progress bar.
            await self._store.mark_announced(job.id, message_id)
            self._wake.set()
        await self._count_queue()
        return replace(job, status_message_id=message_id)

    async def cancel(self, user_id: int) -> Job | None:
        """Cancel the user's job (queued: now; running: within one step) and pending photo."""
        await self._store.clear_pending(user_id)
        job = await self._store.active_job(user_id)
        if job is None:
            return None
        running = self._running.get(job.id)
        if running is not None:
            running.stop(StopReason.USER)
            return job
        cancelled = await self._store.cancel_queued(job.id)
        if cancelled is not None:
            self._ended(cancelled, "cancelled")
            await self._show(cancelled, t(cancelled.request.language, "job_cancelled"))
            self._messenger.forget_message(cancelled.request.chat_id, cancelled.status_message_id)
            return cancelled
        # It was claimed between our two reads; its runner may not be registered yet.
        current = await self._store.get_job(job.id)
        if current is None or current.status is not JobStatus.RUNNING:
            return None
        running = self._running.get(job.id)
        if running is not None:
            running.stop(StopReason.USER)
        else:
            self._cancel_requested.add(job.id)
        return current

    async def status(self, user_id: int) -> JobStatusView | None:
        job = await self._store.active_job(user_id)
        if job is None:
            return None
        running = self._running.get(job.id)
        if running is not None:
            return JobStatusView(job, 0, running.progress, self._time_left(running))
        position = await self._store.queue_position(job.id)
        if position == 0:  # it started a moment ago
            return JobStatusView(job, 0, 0.0, await self._expected_run_s(job))
        return JobStatusView(job, position, 0.0, await self._expected_wait(job, position))

    def preview_available(self) -> bool:
        return self._runner.fast_error is None

    async def capacity(self) -> Capacity:
        """Engines online (in this process or remote workers) and how many are busy."""
        return await self._runner.capacity()

    def try_presets(
        self,
        chat_id: int,
        content: FileRef,
        settings: UserSettings,
        language: str,
        styles: list[tuple[str, Path]],
        keyboard: InlineKeyboardMarkup,
    ) -> bool:
        """Start drawing the contact sheet (the photo in every painting) and send it when done.

        Not a job: not queued, not counted against the daily limit, not kept over a restart
        (it takes seconds; tapping again redoes it). False if one is already under way.
        """
        if chat_id in self._sheets:
            return False
        self._sheets.add(chat_id)
        task = self._spawn(
            self._contact_sheet(chat_id, content, settings, language, styles, keyboard)
        )
        task.add_done_callback(lambda _: self._sheets.discard(chat_id))
        return True

    async def _contact_sheet(
        self,
        chat_id: int,
        content: FileRef,
        settings: UserSettings,
        language: str,
        styles: list[tuple[str, Path]],
        keyboard: InlineKeyboardMarkup,
    ) -> None:
        workdir = self._jobs_dir / f"sheet-{chat_id}"
        try:
            await self._messenger.chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
            await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
            photo = await self._messenger.download(content, workdir / "content")
            output = workdir / "sheet.jpg"
            fast = replace(settings, quality=Quality.FAST)
            await self._runner.contact_sheet(
                photo, styles, engine_settings(fast, self._config, True), output
            )
            sent = await self._messenger.send_photo(
                chat_id, output, t(language, "try_caption"), keyboard
            )
            if not sent:
                raise EngineError("the sheet could not be sent")
        except (InputTooBig, InputUnavailable, ImageError) as error:
            log.info("chat %s: no contact sheet: %s", chat_id, type(error).__name__)
            key = {InputTooBig: "job_failed_too_big", ImageError: "job_failed_image"}.get(
                type(error), "job_failed_input"
            )
            await self._messenger.send_status(chat_id, t(language, key), None)
        except Exception:
            log.exception("chat %s: contact sheet failed", chat_id)
            await self._messenger.send_status(chat_id, t(language, "try_failed"), None)
        finally:
            await asyncio.to_thread(_remove_dir, workdir)

    # Life cycle.

    async def start(self) -> None:
        """Recover what a previous run left behind, then start taking jobs."""
        recovery = await self._store.recover(MAX_ATTEMPTS)
        keep = await self._store.jobs_with_files()
        await asyncio.to_thread(_remove_job_dirs, self._jobs_dir, keep)
        for job in recovery.failed:
            language = job.request.language
            self._spawn(self._show(job, t(language, "job_failed", attempts=job.attempts)))
        for job in recovery.uncertain:
            language = job.request.language
            keyboard = result_keyboard(language, job.id, mixed=job.request.mix is not None)
            self._spawn(self._show(job, t(language, "job_delivery_unsure"), keyboard))
        for job in recovery.undelivered:
            self._spawn(self._deliver(job))
        log.info(
            "worker started: %d interrupted jobs requeued, %d failed after %d attempts, "
            "%d results to deliver, %d deliveries uncertain",
            recovery.requeued,
            len(recovery.failed),
            MAX_ATTEMPTS,
            len(recovery.undelivered),
            len(recovery.uncertain),
        )
        self._dispatcher = asyncio.create_task(self._dispatch(), name="worker-dispatch")
        self._spawn(self._housekeep())

    async def stop(self) -> None:
        """Stop taking jobs; running ones go back to the queue (their attempt not counted)."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._wake.set()
        for running in list(self._running.values()):
            running.stop(StopReason.SHUTDOWN)
        if self._dispatcher is not None:
            await self._dispatcher
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_S)
            for task in late:  # a delivery stuck on the network: it resumes after the restart
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # Scheduling.

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("worker task failed", exc_info=task.exception())

    async def _dispatch(self) -> None:
        """Claim the next job whenever a runner is free."""
        while True:
            await self._slots.acquire()
            job = await self._claim()
            if job is None:
                self._slots.release()
                return
            # Registered before any await, so cancel() always finds a claimed job.
            running = self._running[job.id] = _Running(job)
            waited = (job.started_at or job.created_at) - job.created_at
            metrics.job_started(str(job.request.settings.quality), waited)
            log.info("job %s started after %.1f s (attempt %d)", job.id, waited, job.attempts)
            if job.id in self._cancel_requested:
                self._cancel_requested.discard(job.id)
                running.stop(StopReason.USER)
            task = self._spawn(self._run(running))
            task.add_done_callback(lambda _: self._slots.release())

    async def _claim(self) -> Job | None:
        """The next job, waiting for one as long as needed; None once stopping."""
        while not self._stopped.is_set():
            self._wake.clear()
            try:
                job = await self._store.claim_next()
            except Exception:
                log.exception("claiming a job failed; trying again")
                await asyncio.sleep(1)
                continue
            if job is not None:
                return job
            await self._wake.wait()
        return None

    async def _housekeep(self) -> None:
        """Retry deliveries that failed for network reasons; purge old jobs now and then."""
        last_purge = -math.inf
        while not self._stopped.is_set():
            try:
                if time.monotonic() - last_purge >= PURGE_INTERVAL_S:
                    last_purge = time.monotonic()
                    purged = await self._store.purge(self._config.retention_days)
                    for job_id in purged:
                        await asyncio.to_thread(_remove_dir, self._jobs_dir / str(job_id))
                for job_id in await self._store.jobs_with_files():
                    job = await self._store.get_job(job_id)
                    if job is not None and job.status is JobStatus.DONE:
                        self._spawn(self._deliver(job))
            except Exception:
                log.exception("housekeeping failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), HOUSEKEEPING_INTERVAL_S)

    # One job.

    async def _run(self, running: _Running) -> None:
        job = running.job
        workdir = self._jobs_dir / str(job.id)
        try:
            if self._stopped.is_set():
                await self._store.requeue(job.id, refund_attempt=True)
                return
            await self._execute(running, workdir)
        except Exception:
            log.exception("job %s failed", job.id)
            await self._retry_or_fail(running)
        finally:
            self._running.pop(job.id, None)
            await self._runner.forget(job.id)
            if not running.result_ready:
                await asyncio.to_thread(_remove_dir, workdir)
            await self._count_queue()

    async def _execute(self, running: _Running, workdir: Path) -> None:
        job = running.job
        request = job.request
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        await self._show_started(running)
        await self._messenger.chat_action(request.chat_id, ChatAction.TYPING)
        try:
            content = await self._messenger.download(request.content, workdir / "content")
            styles = [await self._painting(request.style, request.preset_id, workdir / "style")]
            if request.mix is not None:
                mix = request.mix
                styles.append(await self._painting(mix.style, mix.preset_id, workdir / "mix"))
            if request.animation:
                output = workdir / ANIMATION_FILE
                await self._animate(running, content, styles, output)
            else:
                output = workdir / RESULT_FILE
                await self._stylize(running, content, styles, output)
        except Cancelled as stop:
            await self._stopped_early(running, started=not isinstance(stop, NotStarted))
            return
        except InputTooBig:
            metrics.download_refused("too_big_bytes")
            await self._fail(running, "job_failed_too_big", "input too big")
            return
        except InputUnavailable:
            metrics.download_refused("unavailable")
            await self._fail(running, "job_failed_input", "input unavailable")
            return
        except PresetUnavailable:
            await self._fail(running, "job_failed_preset", "preset unavailable")
            return
        except ImageError:
            if request.animation:
                max_s = round(animation.MAX_SECONDS)
                await self._fail(running, "job_failed_animation", "video unreadable", max_s=max_s)
            else:
                await self._fail(running, "job_failed_image", "image unreadable")
            return
        await asyncio.to_thread(_remove_inputs, workdir)
        finished = await self._store.finish(job.id, JobStatus.DONE, result_path=output)
        if finished is None:
            return  # forgotten while it ran
        running.result_ready = True
        self._spawn(self._deliver(finished))
        self._ended(finished, "done", _run_seconds(finished))

    async def _painting(self, style: FileRef | None, preset_id: str | None, target: Path) -> Path:
        """A painting on disk: the person's downloaded, or a preset's."""
        if style is not None:
            return await self._messenger.download(style, target)
        assert preset_id is not None
        return await self._styles.image_path(preset_id)

    async def _stylize(
        self, running: _Running, content: Path, style: list[Path], output: Path
    ) -> None:
        """The preview (if wanted) and the main run, under the job's time limit."""
        job = running.job
        settings = job.request.settings
        fast = self._runner.fast_error is None
        timer = asyncio.get_running_loop().call_later(
            self._config.job_timeout_s, running.stop, StopReason.TIMEOUT
        )
        try:
            # Only on the first attempt: after a restart the user has seen it already.
            if (
                settings.preview
                and settings.quality is not Quality.FAST
                and fast
                and job.attempts == 1
            ):
                await self._preview(running, content, style, output.with_name("preview.png"))
            running.run_started = time.monotonic()
            await self._runner.run(
                job,
                content,
                style,
                _with_mix(engine_settings(settings, self._config, fast), job.request),
                output,
                lambda fraction: self._on_progress(running, fraction),
                running.cancel,
            )
        finally:
            timer.cancel()
            await self._settle(running)
        if running.cancel.is_set():  # asked to stop just as it finished: honour it
            raise Cancelled("stopped after the last step")

    async def _animate(
        self, running: _Running, content: Path, style: list[Path], output: Path
    ) -> None:
        """A clip painted by the fast method (its only method), under the job's time limit."""
        job = running.job
        fast = replace(job.request.settings, quality=Quality.FAST)
        timer = asyncio.get_running_loop().call_later(
            self._config.job_timeout_s, running.stop, StopReason.TIMEOUT
        )
        try:
            running.run_started = time.monotonic()
            await self._runner.animate(
                job,
                content,
                style,
                _with_mix(engine_settings(fast, self._config, True), job.request),
                output,
                lambda fraction: self._on_progress(running, fraction),
                running.cancel,
            )
        finally:
            timer.cancel()
            await self._settle(running)
        if running.cancel.is_set():
            raise Cancelled("stopped after the last frame")

    async def _preview(
        self, running: _Running, content: Path, style: list[Path], path: Path
    ) -> None:
        """The fast method's picture, sent first so the user sees something within seconds."""
        started = time.monotonic()
        request = running.job.request
        settings = replace(request.settings, quality=Quality.FAST)
        try:
            await self._runner.run(
                running.job,
                content,
                style,
                _with_mix(engine_settings(settings, self._config, True), request),
                path,
                lambda _: None,
                running.cancel,
            )
        except (Cancelled, ImageError):
            raise
        except EngineError as error:
            log.warning("job %s: no preview: %s", running.job.id, error)
            return
        caption = t(request.language, "job_preview_caption")
        if await self._messenger.send_photo(request.chat_id, path, caption):
            metrics.preview_sent(time.monotonic() - started)

    def _on_progress(self, running: _Running, fraction: float) -> None:
        """From the engine (on the loop): report at most every EDIT_INTERVAL_S, one at a time."""
        running.progress = fraction
        now = time.monotonic()
        if now - running.last_report < EDIT_INTERVAL_S:
            return
        if running.reporting is not None and not running.reporting.done():
            return
        running.last_report = now
        running.reporting = asyncio.create_task(self._report(running))

    async def _report(self, running: _Running) -> None:
        job = running.job
        try:
            if not await self._store.set_progress(job.id, running.progress):
                running.stop(StopReason.GONE)
                return
            text = progress_text(job.request.language, running.progress, self._time_left(running))
            await self._show(job, text, cancel_keyboard(job.request.language, job.id), True)
            await self._messenger.chat_action(job.request.chat_id, ChatAction.TYPING)
        except Exception:
            log.exception("job %s: progress report failed", job.id)

    async def _settle(self, running: _Running) -> None:
        """Let a progress edit under way finish, so it cannot overwrite the outcome."""
        if running.reporting is not None:
            await running.reporting

    def _time_left(self, running: _Running) -> float:
        if running.run_started is None or running.progress < 0.02:
            quality = running.job.request.settings.quality
            return float(QUALITY_EXPECTED_S[quality])
        elapsed = time.monotonic() - running.run_started
        return elapsed * (1 - running.progress) / running.progress

    # Outcomes.

    async def _stopped_early(self, running: _Running, started: bool) -> None:
        """started=False: no engine had taken the job (every remote worker busy or gone)."""
        job = running.job
        language = job.request.language
        if running.reason is StopReason.SHUTDOWN:
            await self._store.requeue(job.id, refund_attempt=True)
            await self._show(job, t(language, "job_paused"), cancel_keyboard(language, job.id))
        elif running.reason is StopReason.TIMEOUT and not started:
            await self._fail(running, "job_failed_no_worker", "no worker took it")
        elif running.reason is StopReason.TIMEOUT:
            await self._fail(running, "job_failed_timeout", "timed out")
        elif running.reason is StopReason.USER and await self._store.finish(
            job.id, JobStatus.CANCELLED
        ):
            self._ended(job, "cancelled")
            await self._discard_files(job)
            await self._show(job, t(language, "job_cancelled"))
        self._messenger.forget_message(job.request.chat_id, job.status_message_id)

    async def _discard_files(self, job: Job) -> None:
        """The job's pictures are deleted before the user is told that it ended."""
        await asyncio.to_thread(_remove_dir, self._jobs_dir / str(job.id))

    async def _fail(self, running: _Running, key: str, error: str, **values: object) -> None:
        """A failure that trying again would not fix: tell the user what to do instead."""
        job = running.job
        if await self._store.finish(job.id, JobStatus.FAILED, error=error):
            self._ended(job, "timeout" if key == "job_failed_timeout" else "failed", why=error)
            await self._discard_files(job)
            text = t(job.request.language, key, attempts=job.attempts, **values)
            await self._show(job, text)
        self._messenger.forget_message(job.request.chat_id, job.status_message_id)

    async def _retry_or_fail(self, running: _Running) -> None:
        """An unexpected error: back to the queue unless the job has used its attempts."""
        job = running.job
        if job.attempts < MAX_ATTEMPTS:
            if await self._store.requeue(job.id, refund_attempt=False):
                self._wake.set()
            return
        await self._fail(running, "job_failed", "failed")

    async def _deliver(self, job: Job) -> None:
        """Send a finished job's result once: the store's 'sending' state is the claim."""
        if not await self._store.begin_delivery(job.id):
            return  # another task has it, or it is already out
        assert job.result_path is not None
        request = job.request
        language = request.language
        path = Path(job.result_path)
        seconds = _run_seconds(job)
        if not await asyncio.to_thread(path.is_file):  # the data folder was tampered with
            log.error("job %s: its result file is missing", job.id)
            await self._store.set_delivery(job.id, Delivery.SENT)
            await self._show(job, t(language, "job_failed", attempts=job.attempts))
            return
        try:
            if request.animation:
                sent = await self._messenger.send_animation(
                    request.chat_id, path, self._caption(job, seconds)
                )
            else:
                sent = await self._messenger.send_result(
                    request.chat_id,
                    path,
                    self._caption(job, seconds),
                    result_keyboard(language, job.id, mixed=job.request.mix is not None),
                    f"painting-{job.id}.png",
                )
        except TelegramError as error:  # nothing went out: Telegram could not be reached
            log.warning("job %s: delivery postponed: %s", job.id, error)
            await self._store.set_delivery(job.id, Delivery.READY)
            await self._show(job, t(language, "job_delivery_retry"))
            return
        await self._store.set_delivery(job.id, Delivery.SENT)
        await asyncio.to_thread(_remove_dir, path.parent)
        if sent is Sent.OK:
            await self._show(
                job, t(language, "job_done", duration=duration_text(language, seconds))
            )
        elif sent is Sent.UNCERTAIN:
            keyboard = result_keyboard(language, job.id, mixed=job.request.mix is not None)
            await self._show(job, t(language, "job_delivery_unsure"), keyboard)
        self._messenger.forget_message(request.chat_id, job.status_message_id)

    def _caption(self, job: Job, seconds: float) -> str:
        request = job.request
        language = request.language
        settings = request.settings
        style = self._style_title(request.style, request.preset_id, language)
        if request.mix is not None:
            mix = request.mix
            style = t(
                language,
                "job_mix_style",
                a=style,
                b=self._style_title(mix.style, mix.preset_id, language),
                share_a=round(100 * mix.share),
                share_b=round(100 * (1 - mix.share)),
            )
        if request.animation:
            duration = duration_text(language, seconds)
            return t(language, "job_animation_caption", style=style, duration=duration)
        return t(
            language,
            "job_caption",
            style=style,
            quality=t(language, f"quality_{settings.quality}"),
            strength=t(language, f"strength_{settings.strength}"),
            colors=t(language, "job_caption_colors") if settings.preserve_colors else "",
            duration=duration_text(language, seconds),
        )

    # What operators see: one log line per job event, and the metrics.

    def _ended(self, job: Job, outcome: str, run_s: float | None = None, why: str = "") -> None:
        """outcome: done (run_s given), failed, timeout or cancelled."""
        metrics.job_finished(outcome, str(job.request.settings.quality), run_s)
        if run_s is None:
            run_s = time.time() - job.started_at if job.started_at else 0.0
        log.info("job %s %s after %.1f s%s", job.id, outcome, run_s, f" ({why})" if why else "")

    async def _count_queue(self) -> None:
        metrics.queue(*await self._store.queue_counts())

    def _style_title(self, style: FileRef | None, preset_id: str | None, language: str) -> str:
        if preset_id is not None:
            return self._styles.title(preset_id, language)
        return t(language, "job_your_painting")

    # The status message.

    async def _show(
        self,
        job: Job,
        text: str,
        keyboard: InlineKeyboardMarkup | None = None,
        progress: bool = False,
    ) -> None:
        """Edit the job's status message, unless it shows exactly this already (even if shown
        before a restart: Telegram would refuse the edit)."""
        if job.status_message_id is None:
            return
        digest = status_digest(text, keyboard)
        if await self._store.status_shown(job.id) == digest:
            return
        # Recorded first, so nothing waits between the edit and what the caller does next.
        await self._store.set_status_shown(job.id, digest)
        if not await self._messenger.edit_status(
            job.request.chat_id, job.status_message_id, text, keyboard, progress=progress
        ):
            await self._store.set_status_shown(job.id, None)  # not shown: try it next time

    async def _show_started(self, running: _Running) -> None:
        """'Starting…' in the job's message, posting one if it has none (its first went astray)."""
        job = running.job
        language = job.request.language
        text = t(language, "job_starting")
        keyboard = cancel_keyboard(language, job.id)
        if job.status_message_id is not None:
            await self._show(job, text, keyboard)
            return
        message_id = await self._messenger.send_status(job.request.chat_id, text, keyboard)
        if message_id is not None:
            await self._store.set_status_message(job.id, message_id)
            await self._store.set_status_shown(job.id, status_digest(text, keyboard))
            running.job = replace(job, status_message_id=message_id)

    async def _queued_text(self, job: Job) -> str:
        position = await self._store.queue_position(job.id)
        wait = await self._expected_wait(job, max(position, 1))
        language = job.request.language
        return t(language, "job_queued", position=position, wait=duration_text(language, wait))

    async def _expected_run_s(self, job: Job) -> float:
        quality = job.request.settings.quality
        measured = await self._store.average_run_s(quality)
        return measured if measured is not None else float(QUALITY_EXPECTED_S[quality])

    async def _expected_wait(self, job: Job, position: int) -> float:
        """About how long until this job's result is ready: the jobs ahead of it, then its own."""
        _, running = await self._store.queue_counts()
        average = await self._store.average_run_s(None)
        per_job = average if average is not None else QUALITY_EXPECTED_S[Quality.STANDARD]
        workers = self._config.workers
        ahead = position - 1 + running
        before_start = max(0, ahead - workers + 1) * per_job / workers
        return before_start + await self._expected_run_s(job)


def _with_mix(settings: Settings, request: JobRequest) -> Settings:
    """The engine settings with the mix's weights: first painting, then the second."""
    if request.mix is None:
        return settings
    return replace(settings, style_weights=(request.mix.share, 1 - request.mix.share))


def _run_seconds(job: Job) -> float:
    if job.started_at is None or job.finished_at is None:
        return 0.0
    return job.finished_at - job.started_at


def _remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _remove_inputs(workdir: Path) -> None:
    """Delete the user's photos and the preview as soon as the result exists."""
    for path in workdir.iterdir():
        if path.name not in (RESULT_FILE, ANIMATION_FILE):
            path.unlink(missing_ok=True)


def _remove_job_dirs(jobs_dir: Path, keep: set[int]) -> None:
    """At start: every job folder goes except those holding a result still to be sent."""
    if not jobs_dir.is_dir():
        return
    for path in jobs_dir.iterdir():
        if not (path.name.isdigit() and int(path.name) in keep):  # sheets' folders go too
            _remove_dir(path)
