"""What the worker's rooms share: its collaborators, the jobs running in this process, its tasks.

The worker (coordinator.py) builds one Shared and hands it to each of its parts: the status
message (status.py), one job's run (execution.py), delivery (delivery.py), recovery and
housekeeping (recovery.py) and contact sheets (sheets.py). The store stays the truth: nothing here
outlives the process except through it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from bot import metrics
from bot.config import Config
from bot.jobs.messenger import Messenger
from bot.jobs.runner import JobRunner
from bot.jobs.store import Store
from bot.models import (
    BRUSH_SCALE,
    QUALITY_EXPECTED_S,
    STRENGTH_VALUE,
    Job,
    JobRequest,
    Quality,
    UserSettings,
)
from nst_engine.settings import Settings

# One logger for all the worker's parts, under the name operators' filters know (operations.md).
log = logging.getLogger("bot.worker")

# A job interrupted (crash, error) this many times is failed: it may be what kills the process.
MAX_ATTEMPTS = 3


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
class Running:
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

    def time_left(self) -> float:
        """Seconds until the result, from the progress so far (the expected time before it)."""
        if self.run_started is None or self.progress < 0.02:
            quality = self.job.request.settings.quality
            return float(QUALITY_EXPECTED_S[quality])
        elapsed = time.monotonic() - self.run_started
        return elapsed * (1 - self.progress) / self.progress


@dataclass
class Shared:
    """The worker's collaborators and the little state its parts have in common."""

    config: Config
    store: Store
    runner: JobRunner
    messenger: Messenger
    styles: StyleSource
    running: dict[int, Running] = field(default_factory=dict)  # by job id
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a job may be claimable now
    stopped: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def jobs_dir(self) -> Path:
        return self.config.data_dir / "jobs"

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """A task the worker's stop waits for (a delivery, a job's run, a status edit)."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("worker task failed", exc_info=task.exception())

    async def count_queue(self) -> None:
        metrics.queue(*await self.store.queue_counts())


def ended(job: Job, outcome: str, run_s: float | None = None, why: str = "") -> None:
    """What operators see of a job's end: one log line and the metrics.

    outcome: done (run_s given), failed, timeout or cancelled.
    """
    metrics.job_finished(outcome, str(job.request.settings.quality), run_s)
    if run_s is None:
        run_s = time.time() - job.started_at if job.started_at else 0.0
    log.info("job %s %s after %.1f s%s", job.id, outcome, run_s, f" ({why})" if why else "")


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


def with_mix(settings: Settings, request: JobRequest) -> Settings:
    """The engine settings with the mix's weights: first painting, then the second."""
    if request.mix is None:
        return settings
    return replace(settings, style_weights=(request.mix.share, 1 - request.mix.share))


def run_seconds(job: Job) -> float:
    if job.started_at is None or job.finished_at is None:
        return 0.0
    return job.finished_at - job.started_at
