"""How long a job takes, and how long until a queued one is done: the waits the bot promises.

A job's own time is what jobs of its kind and side took here (learned in the store as they
finish, their pauses left out: store/runtimes.py); before any has, what the engines' pace
measured at their start says (nst_engine/pace.py, through the runner); before that too (remote
workers not heard from yet), a constant. A queued job's wait is its lane's running jobs' time
left and the jobs ahead of it in claim order, each at its own time, shared out over the lane's
slots as they free up, then its own time; a print also waits for the regular work there is now,
which goes first wherever it is painted. Jobs that arrive later and go first (regular work, or a
person's first job before another's second) make a wait longer than promised.
"""

from __future__ import annotations

import heapq
from dataclasses import replace

from bot.config import Config
from bot.jobs.crew import Crew
from bot.jobs.engine_settings import engine_settings
from bot.models import Job, JobRequest, Lane, Quality, UserSettings, first_guess_s

# What an estimate is learned by: a job's kind (its quality, "clip" or "print") and side.
WorkKey = tuple[str, int]


def work_key(
    config: Config, settings: UserSettings, print_side: int | None = None, clip: bool = False
) -> WorkKey:
    if print_side is not None:
        return "print", print_side
    if clip:
        return "clip", config.fast_side
    return str(settings.quality), quality_side(config, settings.quality)


def request_key(config: Config, request: JobRequest) -> WorkKey:
    return work_key(config, *_work(request))


def quality_side(config: Config, quality: Quality) -> int:
    """The output's longer side at a quality (a print's painting has it too)."""
    if quality is Quality.FAST:
        return config.fast_side
    return config.high_side if quality is Quality.HIGH else config.standard_side


class Estimates:
    """Run times and waits, for the status messages, /status, the print and settings menus."""

    def __init__(self, crew: Crew) -> None:
        self._crew = crew

    async def run_s(
        self, settings: UserSettings, print_side: int | None = None, clip: bool = False
    ) -> float:
        """What a job of these settings (a print of that side, or a clip) takes."""
        learned = await self._crew.store.run_times()
        return self._run_s(learned, settings, print_side, clip)

    async def job_s(self, request: JobRequest) -> float:
        return await self.run_s(*_work(request))

    async def wait_s(self, job: Job) -> float:
        """Until a queued job's result is ready (a job no longer queued: its own time)."""
        learned = await self._crew.store.run_times()
        lane = job.request.lane
        line = [queued.id for queued in await self._crew.store.line(lane)]
        ahead = line.index(job.id) if job.id in line else 0
        start = await self._backlog_s(learned, lane, ahead)
        if lane is Lane.PRINT:
            start += await self._backlog_s(learned, Lane.REGULAR)
        return start + self._run_s(learned, *_work(job.request))

    async def drained_s(self) -> float:
        """Until every regular job queued now has run: what a full queue tells people."""
        return await self._backlog_s(await self._crew.store.run_times(), Lane.REGULAR)

    async def _backlog_s(
        self, learned: dict[WorkKey, float], lane: Lane, ahead: int | None = None
    ) -> float:
        """When the lane could start a job behind its first `ahead` queued ones (None: all of
        them): its slots free up as their jobs' time runs out, each taking the next job."""
        config = self._crew.config
        slots = config.concurrent_prints if lane is Lane.PRINT else config.concurrent_jobs
        running = [r for r in self._crew.running.values() if r.job.request.lane is lane]
        free = sorted(r.time_left() for r in running)[:slots] + [0.0] * (slots - len(running))
        heapq.heapify(free)
        line = await self._crew.store.line(lane)
        for queued in line if ahead is None else line[:ahead]:
            heapq.heappush(free, heapq.heappop(free) + self._run_s(learned, *_work(queued.request)))
        return max(free) if ahead is None else free[0]

    def _run_s(
        self,
        learned: dict[WorkKey, float],
        settings: UserSettings,
        print_side: int | None,
        clip: bool,
    ) -> float:
        key = work_key(self._crew.config, settings, print_side, clip)
        if key in learned:
            return learned[key]
        paced = None if clip else self._paced_s(settings, print_side)
        if paced is not None:
            return paced
        return first_guess_s(settings.quality, print_side)

    def _paced_s(self, settings: UserSettings, print_side: int | None) -> float | None:
        """What the engines' measured pace says: the main run, and the preview before it."""
        config, runner = self._crew.config, self._crew.runner
        fast = runner.fast_error is None
        chosen = engine_settings(settings, config, fast)
        if print_side is not None:
            painted = quality_side(config, settings.quality)
            return runner.estimate_s(
                replace(chosen, method="quality", max_side=print_side), painted
            )
        main = runner.estimate_s(chosen)
        if main is None or not (settings.preview and fast and chosen.method == "quality"):
            return main
        preview = runner.estimate_s(
            engine_settings(replace(settings, quality=Quality.FAST), config, fast)
        )
        return main + (preview or 0.0)


def _work(request: JobRequest) -> tuple[UserSettings, int | None, bool]:
    print_size = request.extras.print_size
    return request.settings, print_size.side if print_size else None, request.extras.animation
