"""The contact sheet: the waiting photo in every preset at once, drawn by the fast method.

Not a job: not queued, not counted against the daily limit, not kept over a restart (it takes
seconds; tapping again redoes it).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from telegram import InlineKeyboardMarkup
from telegram.constants import ChatAction

from bot.jobs.crew import Crew
from bot.jobs.engine_settings import engine_settings
from bot.jobs.folders import remove_dir
from bot.jobs.joblog import log
from bot.jobs.messenger import InputTooBig, InputUnavailable
from bot.jobs.pictures import as_shown
from bot.models import FileRef, Quality, UserSettings
from bot.texts import t
from nst_engine.errors import EngineError, ImageError


class ContactSheets:
    """At most one sheet per chat at a time."""

    def __init__(self, crew: Crew) -> None:
        self._crew = crew
        self._sheets: set[int] = set()  # chats whose contact sheet is being drawn

    def start(
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
        task = self._crew.spawn(
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
        workdir = self._crew.jobs_dir / f"sheet-{chat_id}"
        try:
            await self._crew.messenger.chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
            await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
            downloaded = await self._crew.messenger.download(content, workdir / "content")
            photo = await asyncio.to_thread(as_shown, downloaded)
            output = workdir / "sheet.jpg"
            fast = replace(settings, quality=Quality.FAST)
            await self._crew.runner.contact_sheet(
                photo, styles, engine_settings(fast, self._crew.config, True), output
            )
            sent = await self._crew.messenger.send_photo(
                chat_id, output, t(language, "try_caption"), keyboard
            )
            if not sent:
                raise EngineError("the sheet could not be sent")
        except (InputTooBig, InputUnavailable, ImageError) as error:
            log.info("chat %s: no contact sheet: %s", chat_id, type(error).__name__)
            key = {InputTooBig: "job_failed_too_big", ImageError: "job_failed_image"}.get(
                type(error), "job_failed_input"
            )
            await self._crew.messenger.send_status(chat_id, t(language, key), None)
        except Exception:
            log.exception("chat %s: contact sheet failed", chat_id)
            await self._crew.messenger.send_status(chat_id, t(language, "try_failed"), None)
        finally:
            await asyncio.to_thread(remove_dir, workdir)
