"""A finished job's result, out to the person: once, and never twice, even across a crash.

The store's delivery state is the claim: 'sending' is recorded before the first byte goes out, so
a crash mid-send is known afterwards and the send is not repeated (docs/jobs.md, restart recovery).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from telegram.error import TelegramError

from bot.jobs.buttons import job_keyboard
from bot.jobs.crew import Crew
from bot.jobs.folders import remove_dir
from bot.jobs.joblog import log
from bot.jobs.messenger import Sent
from bot.jobs.prints import PRINT_DPI, paper_size
from bot.jobs.status import StatusBoard, duration_text
from bot.models import Delivery, FileRef, Job, JobRequest
from bot.texts import t


class Deliverer:
    """Sends results: the painting as a photo with its re-run buttons, and the full-size file."""

    def __init__(self, crew: Crew, board: StatusBoard) -> None:
        self._crew = crew
        self._board = board

    async def deliver(self, job: Job, arrived: Callable[[], Awaitable[None]] | None = None) -> None:
        """Send a finished job's result once: the store's 'sending' state is the claim.

        arrived: called once the result is in the chat, before its status message says so."""
        if not await self._crew.store.begin_delivery(job.id):
            return  # another task has it, or it is already out
        assert job.result_path is not None
        request, extras = job.request, job.request.extras
        language = request.language
        path = Path(job.result_path)
        seconds = job.run_s
        if not await asyncio.to_thread(path.is_file):  # the data folder was tampered with
            log.error("job %s: its result file is missing", job.id)
            await self._crew.store.set_delivery(job.id, Delivery.SENT)
            await self._board.show(job, t(language, "job_failed", attempts=job.attempts))
            return
        kept: FileRef | None = None  # the result as Telegram keeps it, for a print of it
        try:
            keyboard = job_keyboard(
                job, self._crew.runner.person_error is None, bool(self._crew.config.print_sides)
            )
            if extras.print_size is not None:
                sent = await self._send_print(job, path)
            elif extras.animation:
                sent = await self._crew.messenger.send_animation(
                    request.chat_id, path, self._caption(job, seconds), keyboard, extras.reply_to
                )
            else:
                filename = f"painting-{job.id}.png" if extras.full_size else None
                sent, kept = await self._crew.messenger.send_result(
                    request.chat_id,
                    path,
                    self._caption(job, seconds),
                    keyboard,
                    filename,
                    extras.reply_to,
                )
        except TelegramError as error:  # nothing went out: Telegram could not be reached
            log.warning("job %s: delivery postponed: %s", job.id, error)
            await self._crew.store.set_delivery(job.id, Delivery.READY)
            await self._board.show(job, t(language, "job_delivery_retry"))
            return
        await self._crew.store.set_delivery(job.id, Delivery.SENT, kept)
        await asyncio.to_thread(remove_dir, path.parent)
        if arrived is not None:
            await arrived()
        if sent is Sent.OK:
            await self._board.show(
                job, t(language, "job_done", duration=duration_text(language, seconds))
            )
        elif sent is Sent.UNCERTAIN:
            await self._board.show(job, t(language, "job_delivery_unsure"), keyboard)
        self._crew.messenger.forget_message(request.chat_id, job.status_message_id)

    async def _send_print(self, job: Job, path: Path) -> Sent:
        """A print's file, its caption naming the size it prints at."""
        request = job.request
        side, width, height = await asyncio.to_thread(paper_size, path)
        caption = t(
            request.language,
            "job_print_caption",
            style=self._style(request),
            side=side,
            width=width,
            height=height,
            dpi=PRINT_DPI,
        )
        filename = f"painting-{job.id}-{side}px.jpg"
        return await self._crew.messenger.send_print(
            request.chat_id, path, caption, filename, request.extras.reply_to
        )

    def _caption(self, job: Job, seconds: float) -> str:
        request = job.request
        language = request.language
        settings = request.settings
        style = self._style(request)
        if request.extras.animation:
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

    def _style(self, request: JobRequest) -> str:
        """The painting's title, or both a mix's with their shares."""
        language = request.language
        style = self._style_title(request.style, request.preset_id, language)
        mix = request.extras.mix
        if mix is None:
            return style
        return t(
            language,
            "job_mix_style",
            a=style,
            b=self._style_title(mix.style, mix.preset_id, language),
            share_a=round(100 * mix.share),
            share_b=round(100 * (1 - mix.share)),
        )

    def _style_title(self, style: FileRef | None, preset_id: str | None, language: str) -> str:
        if preset_id is not None:
            return self._crew.styles.title(preset_id, language)
        return t(language, "job_your_painting")
