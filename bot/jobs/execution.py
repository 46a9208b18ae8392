"""One claimed job, from its inputs to its outcome: download, preview, engine, progress, end.

The engine runs in the runner (a thread in this process, or a remote worker); this side keeps the
status message moving (a print standing aside for regular work says so), enforces the time limit
with the same cancel event a [Cancel] sets (a print's pauses not counted), and decides what an
ending means: done (delivery starts in its own task, and its run time is learned), failed with a
message saying what to do, or back to the queue.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from telegram.constants import ChatAction

from bot import metrics
from bot.jobs.buttons import cancel_keyboard
from bot.jobs.crew import Crew
from bot.jobs.delivery import Deliverer
from bot.jobs.engine_settings import engine_settings, for_print, with_mix
from bot.jobs.estimates import request_key
from bot.jobs.folders import ANIMATION_FILE, PRINT_FILE, RESULT_FILE, remove_dir, remove_inputs
from bot.jobs.joblog import ended, log
from bot.jobs.messenger import EDIT_INTERVAL_S, InputTooBig, InputUnavailable
from bot.jobs.pictures import as_shown
from bot.jobs.runner import EngineOffline, NotStarted
from bot.jobs.running import Running, StopReason
from bot.jobs.status import StatusBoard, running_text
from bot.models import FileRef, Job, JobStatus, PersonMode, Quality
from bot.presets import PresetUnavailable
from bot.texts import t
from nst_engine import animation
from nst_engine.errors import Cancelled, EngineError, ImageError

# A job interrupted (crash, error) this many times is failed: it may be what kills the process.
MAX_ATTEMPTS = 3


class Execution:
    """Runs claimed jobs, one call of run() each; the dispatcher decides when and how many."""

    def __init__(self, crew: Crew, board: StatusBoard, deliverer: Deliverer) -> None:
        self._crew = crew
        self._board = board
        self._deliverer = deliverer

    async def run(self, running: Running) -> None:
        job = running.job
        workdir = self._crew.jobs_dir / str(job.id)
        try:
            if self._crew.stopped.is_set():
                await self._crew.store.requeue(job.id, refund_attempt=True)
                return
            await self._execute(running, workdir)
        except Exception:
            log.exception("job %s failed", job.id)
            await self._retry_or_fail(running)
        finally:
            self._crew.running.pop(job.id, None)
            await self._crew.runner.forget(job.id)
            if not running.result_ready:
                await asyncio.to_thread(remove_dir, workdir)
            await self._crew.count_queue()

    async def _execute(self, running: Running, workdir: Path) -> None:
        job = running.job
        request, extras = job.request, job.request.extras
        await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
        await self._board.show_started(running)
        await self._crew.messenger.chat_action(request.chat_id, ChatAction.TYPING)
        try:
            content = await self._crew.messenger.download(request.content, workdir / "content")
            if not extras.animation:
                content = await asyncio.to_thread(as_shown, content)
            styles = [await self._painting(request.style, request.preset_id, workdir / "style")]
            if extras.mix is not None:
                mix = extras.mix
                styles.append(await self._painting(mix.style, mix.preset_id, workdir / "mix"))
            if extras.animation:
                output = workdir / ANIMATION_FILE
                await self._animate(running, content, styles, output)
            elif extras.print_size is not None:  # the finished painting, as Telegram keeps it
                painting = await self._crew.messenger.download(
                    extras.print_size.result, workdir / "painting"
                )
                output = workdir / PRINT_FILE
                await self._stylize(running, content, styles, output, painting)
            else:
                output = workdir / RESULT_FILE
                await self._stylize(running, content, styles, output)
        except EngineOffline:
            await self._wait_for_an_engine(running)
            return
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
            if extras.animation:
                max_s = round(animation.MAX_SECONDS)
                await self._fail(running, "job_failed_animation", "video unreadable", max_s=max_s)
            else:
                await self._fail(running, "job_failed_image", "image unreadable")
            return
        await asyncio.to_thread(remove_inputs, workdir)
        finished = await self._crew.store.finish(job.id, JobStatus.DONE, result_path=output)
        if finished is None:
            return  # forgotten while it ran
        running.result_ready = True
        self._crew.spawn(self._deliverer.deliver(finished, lambda: self._learn(running)))
        ended(finished, "done", finished.run_s)

    async def _learn(self, running: Running) -> None:
        """Once its result is in the chat: what the person waited for, from the claim on, the
        job's pauses left out, is what the next such job is promised (estimates.py)."""
        kind, side = request_key(self._crew.config, running.job.request)
        waited = time.monotonic() - running.claimed - running.paused_for()
        await self._crew.store.learn_run_time(kind, side, waited)

    async def _painting(self, style: FileRef | None, preset_id: str | None, target: Path) -> Path:
        """A painting on disk: the person's downloaded, or a preset's."""
        if style is not None:
            return await asyncio.to_thread(
                as_shown, await self._crew.messenger.download(style, target)
            )
        assert preset_id is not None
        return await self._crew.styles.image_path(preset_id)

    async def _stylize(
        self,
        running: Running,
        content: Path,
        style: list[Path],
        output: Path,
        resume: Path | None = None,
    ) -> None:
        """The preview (if wanted) and the main run, under the job's time limit; a print
        (resume: its finished painting) has no preview."""
        job = running.job
        request = job.request
        settings = request.settings
        fast = self._crew.runner.fast_error is None
        person = await self._person_mode(job, content)
        running.limit_time(request.time_limit_s(self._crew.config.job_timeout_s))
        try:
            # Only on the first attempt: after a restart the user has seen it already.
            if (
                settings.preview
                and settings.quality is not Quality.FAST
                and fast
                and job.attempts == 1
                and resume is None
            ):
                preview = output.with_name("preview.png")
                await self._preview(running, content, style, preview, person)
            running.run_started = time.monotonic()
            chosen = with_mix(engine_settings(settings, self._crew.config, fast), request)
            await self._crew.runner.run(
                job,
                content,
                style,
                for_print(chosen, request),
                output,
                lambda fraction: self._on_progress(running, fraction),
                running.cancel,
                person,
                resume,
                lambda paused: self._on_pause(running, paused),
            )
        finally:
            running.end_time_limit()
            await self._settle(running)
        if running.cancel.is_set():  # asked to stop just as it finished: honour it
            raise Cancelled("stopped after the last step")

    async def _animate(
        self, running: Running, content: Path, style: list[Path], output: Path
    ) -> None:
        """A clip painted by the fast method (its only method), under the job's time limit."""
        job = running.job
        fast = replace(job.request.settings, quality=Quality.FAST)
        running.limit_time(self._crew.config.job_timeout_s)
        try:
            running.run_started = time.monotonic()
            await self._crew.runner.animate(
                job,
                content,
                style,
                with_mix(engine_settings(fast, self._crew.config, True), job.request),
                output,
                lambda fraction: self._on_progress(running, fraction),
                running.cancel,
            )
        finally:
            running.end_time_limit()
            await self._settle(running)
        if running.cancel.is_set():
            raise Cancelled("stopped after the last frame")

    async def _person_mode(self, job: Job, content: Path) -> PersonMode:
        """The job's person mode, or OFF (said once, briefly) when no segmenter is available
        or the photo has no face to keep: then it is the plain painting."""
        person = job.request.settings.person
        if person is PersonMode.OFF:
            return person
        runner = self._crew.runner
        if runner.person_error is not None:
            log.warning("job %s: painted whole: %s", job.id, runner.person_error)
            key = "person_unavailable_job"
        elif await runner.sees_no_face(content):
            log.info("job %s: no face in the photo: painted whole", job.id)
            key = "person_none_job"
        else:
            return person
        if job.attempts == 1:
            text = t(job.request.language, key)
            await self._crew.messenger.send_status(
                job.request.chat_id, text, None, job.request.extras.reply_to
            )
        return PersonMode.OFF

    async def _preview(
        self, running: Running, content: Path, style: list[Path], path: Path, person: PersonMode
    ) -> None:
        """The fast method's picture, sent first so the user sees something within seconds."""
        started = time.monotonic()
        request = running.job.request
        settings = replace(request.settings, quality=Quality.FAST)
        try:
            await self._crew.runner.run(
                running.job,
                content,
                style,
                with_mix(engine_settings(settings, self._crew.config, True), request),
                path,
                lambda _: None,
                running.cancel,
                person,
            )
        except (Cancelled, ImageError):
            raise
        except EngineError as error:
            log.warning("job %s: no preview: %s", running.job.id, error)
            return
        caption = t(request.language, "job_preview_caption")
        if await self._crew.messenger.send_photo(request.chat_id, path, caption):
            metrics.preview_sent(time.monotonic() - started)

    def _on_progress(self, running: Running, fraction: float) -> None:
        """From the engine (on the loop): report at most every EDIT_INTERVAL_S, one at a time."""
        running.progress = fraction
        now = time.monotonic()
        if now - running.last_report < EDIT_INTERVAL_S:
            return
        if running.reporting is not None and not running.reporting.done():
            return
        running.last_report = now
        running.reporting = asyncio.create_task(self._report(running))

    def _on_pause(self, running: Running, paused: bool) -> None:
        """A print stands aside for regular work, or goes on: shown now if the edit interval
        allows, and looked at again once it has passed."""
        if stood_aside := running.paused(paused):
            log.info("job %s stood aside %.1f s for regular work", running.job.id, stood_aside)
        self._on_progress(running, running.progress)
        if running.report_again is not None:
            running.report_again.cancel()
        running.report_again = asyncio.get_running_loop().call_later(
            EDIT_INTERVAL_S, lambda: self._on_progress(running, running.progress)
        )

    async def _report(self, running: Running) -> None:
        job = running.job
        try:
            if not await self._crew.store.set_progress(job.id, running.progress):
                running.stop(StopReason.GONE)
                return
            text = running_text(running)
            keyboard = cancel_keyboard(job.request.language, job.id)
            if not await self._board.show(job, text, keyboard, True):
                # Too soon after the last edit (say "Starting…"), or Telegram away: shown once
                # the interval has passed, even if the engine reports nothing new meanwhile (a
                # print's step takes a minute).
                running.report_again = asyncio.get_running_loop().call_later(
                    EDIT_INTERVAL_S, lambda: self._on_progress(running, running.progress)
                )
            await self._crew.messenger.chat_action(job.request.chat_id, ChatAction.TYPING)
        except Exception:
            log.exception("job %s: progress report failed", job.id)

    async def _settle(self, running: Running) -> None:
        """Let a progress edit under way finish, and drop one still to come, so neither can
        overwrite the outcome."""
        if running.reporting is not None:
            await running.reporting
        if running.report_again is not None:
            running.report_again.cancel()

    # Outcomes.

    async def _stopped_early(self, running: Running, started: bool) -> None:
        """started=False: no engine had taken the job (every remote worker busy or gone)."""
        job = running.job
        language = job.request.language
        if running.reason is StopReason.SHUTDOWN:
            await self._crew.store.requeue(job.id, refund_attempt=True)
            await self._board.show(
                job, t(language, "job_paused"), cancel_keyboard(language, job.id)
            )
        elif running.reason is StopReason.TIMEOUT and not started:
            await self._fail(running, "job_failed_no_engine", "no engine took it")
        elif running.reason is StopReason.TIMEOUT and job.request.extras.print_size is not None:
            await self._fail(running, "job_failed_print_timeout", "timed out")
        elif running.reason is StopReason.TIMEOUT:
            await self._fail(running, "job_failed_timeout", "timed out")
        elif running.reason is StopReason.USER and await self._crew.store.finish(
            job.id, JobStatus.CANCELLED
        ):
            ended(job, "cancelled")
            await self._discard_files(job)
            await self._board.show(job, t(language, "job_cancelled"))
        self._crew.messenger.forget_message(job.request.chat_id, job.status_message_id)

    async def _wait_for_an_engine(self, running: Running) -> None:
        """No engine online: back to the queue, the attempt not counted, until one is back."""
        job = running.job
        self._crew.engines_online = False  # nothing more is claimed until the watch sees one
        if await self._crew.store.requeue(job.id, refund_attempt=True):
            log.warning("job %s: no engine online; back in the queue", job.id)
            await self._board.show_queued(job)

    async def _discard_files(self, job: Job) -> None:
        """The job's pictures are deleted before the user is told that it ended."""
        await asyncio.to_thread(remove_dir, self._crew.jobs_dir / str(job.id))

    async def _fail(self, running: Running, key: str, error: str, **values: object) -> None:
        """A failure that trying again would not fix: tell the user what to do instead."""
        job = running.job
        if await self._crew.store.finish(job.id, JobStatus.FAILED, error=error):
            ended(job, "timeout" if error == "timed out" else "failed", why=error)
            await self._discard_files(job)
            text = t(job.request.language, key, attempts=job.attempts, **values)
            await self._board.show(job, text)
        self._crew.messenger.forget_message(job.request.chat_id, job.status_message_id)

    async def _retry_or_fail(self, running: Running) -> None:
        """An unexpected error: back to the queue unless the job has used its attempts."""
        job = running.job
        if job.attempts < MAX_ATTEMPTS:
            if await self._crew.store.requeue(job.id, refund_attempt=False):
                self._crew.wake()
            return
        await self._fail(running, "job_failed", "failed")
