"""Who the dispatcher's parts work with, and what they share while this process runs.

The dispatcher (dispatcher.py) builds one Crew and hands it to each of its parts: the status
message (status.py), one job's run (execution.py), delivery (delivery.py), recovery and
housekeeping (recovery.py) and contact sheets (sheets.py). They read their collaborators from it
rather than keeping copies. The store stays the truth: nothing here outlives the process except
through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot import metrics
from bot.config import Config
from bot.jobs.joblog import log
from bot.jobs.messenger import Messenger
from bot.jobs.runner import JobRunner
from bot.jobs.running import Running
from bot.jobs.store import Store
from bot.models import Lane


class StyleSource(Protocol):
    """Where preset paintings come from (PresetLibrary)."""

    def title(self, preset_id: str, language: str = "en") -> str: ...

    async def image_path(self, preset_id: str) -> Path: ...


@dataclass
class Crew:
    """The dispatcher's collaborators, the jobs this process runs, and the tasks a stop awaits."""

    config: Config
    store: Store
    runner: JobRunner
    messenger: Messenger
    styles: StyleSource
    running: dict[int, Running] = field(default_factory=dict)  # by job id
    # Set when a job of the lane may be claimable now; each lane's loop clears its own.
    wakes: dict[Lane, asyncio.Event] = field(
        default_factory=lambda: {lane: asyncio.Event() for lane in Lane}
    )
    # False while nobody can paint (availability.py): nothing is claimed, queued jobs say so.
    engines_online: bool = True
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def wake(self) -> None:
        """A job may be claimable now: every lane looks."""
        for event in self.wakes.values():
            event.set()

    @property
    def jobs_dir(self) -> Path:
        return self.config.data_dir / "jobs"

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task the dispatcher's stop waits for (a delivery, a job's run, a status edit)."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("job task failed", exc_info=task.exception())

    async def count_queue(self) -> None:
        queued, running = await self.store.queue_counts()
        metrics.queue(queued, running, await self.store.oldest_queued_at())
