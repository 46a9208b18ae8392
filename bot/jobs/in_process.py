"""InProcessRunner: the JobRunner whose engines run in this process (the bot without
NST_REDIS_URL, and every nst-worker, whose tasks it paints).

It keeps the event loop free: the engines run in a bounded thread pool (one job per engine,
NST_CONCURRENT_JOBS engines), its threads at a lower CPU priority so the chat always wins a
contended core, and progress comes back to the loop thread-safely (threads.py). Prints run on
threads of their own (NST_CONCURRENT_PRINTS) on the first engine, and stand aside whenever
regular work runs (lanes.py). Contact sheets run on the fast service's thread (fast_service.py),
never behind a quality job; clips take an engine's turn like any job, painted with its networks.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from bot.config import EngineOptions
from bot.jobs.engines import build_engine, measured_pace
from bot.jobs.fast_service import FastService
from bot.jobs.hold import Hold, after_first
from bot.jobs.lanes import PrintLane
from bot.jobs.person import PersonKeeper
from bot.jobs.prints import save_print
from bot.jobs.runner import Capacity, Paused, Progress
from bot.jobs.threads import from_thread, lower_priority
from bot.models import Job, PersonMode
from nst_engine.pace import Pace
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.engine import Engine

log = logging.getLogger(__name__)


class InProcessRunner:
    """Runs jobs on `engines` engines in this process, one job each at a time, and up to `prints`
    prints besides on the first engine, each standing aside while regular work runs."""

    def __init__(
        self,
        engines: int,
        fast: FastService,
        engine: Engine | None = None,
        options: EngineOptions = EngineOptions(),  # noqa: B008 (frozen: a shared default is safe)
        hold: Hold | None = None,
        prints: int = 1,
    ) -> None:
        """fast: the process's fast service (started after this runner), whose networks and
        face detector every engine shares. engine: one ready-built Engine to share (tests build
        one per session, and the fast service of it); by default start() builds `engines`
        Engines as `options` say, each used by one thread at a time.
        hold: tests only (bot/jobs/hold.py): where a test holds jobs after their first step."""
        self._engine_count = engines
        self._fast = fast
        self._given = engine
        self._options = options
        self._hold = hold
        self._executor = ThreadPoolExecutor(
            engines, thread_name_prefix="nst-engine", initializer=lower_priority
        )
        # Prints share the first engine, which a print lets go of while it stands aside.
        self._print_lane = PrintLane(prints)
        self._engines: queue.SimpleQueue[Engine] = queue.SimpleQueue()
        self._person: PersonKeeper | None = None  # made in start(), with its models
        self._first_engine: Engine | None = None
        self._device = "not started"
        self._busy = 0
        self._pace: Pace | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._given is not None:
            engines = [self._given]
        else:
            # Built on the pool's own threads, so TensorFlow's threads inherit their priority.
            engines = list(
                await asyncio.gather(
                    *(
                        loop.run_in_executor(
                            self._executor, build_engine, self._options, self._fast
                        )
                        for _ in range(self._engine_count)
                    )
                )
            )
        for engine in engines:
            self._engines.put(engine)
        self._person = PersonKeeper(self._fast.faces, self._options.segmentation_model)
        await loop.run_in_executor(self._executor, self._person.load)  # now, not on a first job
        self._first_engine = engines[0]
        self._device = engines[0].device
        self._pace = await loop.run_in_executor(
            self._executor, measured_pace, engines[0], self._options
        )
        log.info(
            "runner ready: %d engine(s), preview %s",
            self._engine_count,
            engines[0].fast_error or "on",
        )

    async def stop(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        await asyncio.to_thread(self._print_lane.shutdown)

    @property
    def fast_error(self) -> str | None:
        """The engines' previews use the fast service's networks."""
        return self._fast.error

    @property
    def sheet_error(self) -> str | None:
        return self._fast.error

    @property
    def person_error(self) -> str | None:
        return self._person.error if self._person else "the engine has not started"

    async def sees_no_face(self, content: Path) -> bool:
        """With the detector person mode uses, on the fast service's thread."""
        return await self._fast.sees_no_face(content)

    @property
    def device(self) -> str:
        """Where the engines compute, e.g. "GPU (NVIDIA H200)"; for logs and heartbeats."""
        return self._device

    @property
    def pace(self) -> Pace | None:
        """The first engine's pace, measured at start (None before)."""
        return self._pace

    def estimate_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        return None if self._pace is None else self._pace.expected_s(settings, painted_side)

    async def run(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
        person: PersonMode = PersonMode.OFF,
        resume: Path | None = None,
        paused: Paused | None = None,
    ) -> None:
        await self.stylize(
            content, style, settings, output, progress, cancel, person, resume, paused
        )

    async def forget(self, job_id: int) -> None:
        """Nothing is kept outside the job's folder, which the worker deletes."""

    async def capacity(self) -> Capacity:
        return Capacity(self._engine_count, self._busy)

    async def stylize(
        self,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
        person: PersonMode = PersonMode.OFF,
        resume: Path | None = None,
        paused: Paused | None = None,
    ) -> None:
        """run() without a job: what a remote worker (bot/jobs/remote_worker.py) calls.

        Person mode is applied and a print's file written here, so both kinds of runner do
        them in the same place."""
        loop = asyncio.get_running_loop()
        to_loop = from_thread(loop, progress)
        # A preview (the fast method) is never held: only the job's main run is.
        held = after_first(self._hold if settings.method == "quality" else None, cancel)
        reported = threading.Event()

        def report(fraction: float, _preview: Image.Image | None) -> None:
            to_loop(fraction)
            reported.set()
            if resume is None:  # a print is held at its next yield point, its engine free
                held()

        def paint(engine: Engine, pause: Callable[[], None] | None = None) -> None:
            painted = engine.run(
                content, list(style), settings, report, cancel, resume=resume, pause=pause
            )
            assert self._person is not None  # made in start()
            image = self._person.apply(content, painted.image, person)
            if resume is None:
                image.save(output, "PNG")
            else:
                save_print(image, output)

        if resume is not None:
            engine = self._first_engine
            assert engine is not None  # made in start()
            await self._print_lane.run(
                lambda pause: paint(engine, pause),
                cancel,
                from_thread(loop, paused or (lambda _: None)),
                lambda: held() if reported.is_set() else None,
            )
            return
        await self._regular(paint)

    async def animate(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        to_loop = from_thread(loop, progress)
        reported = after_first(self._hold, cancel)

        def report(fraction: float) -> None:
            to_loop(fraction)
            reported()

        # A job like any other: it takes an engine's turn, painted by the fast service's networks.
        await self._regular(
            lambda _engine: self._fast.paint_clip(content, style, settings, output, report, cancel)
        )

    async def _regular(self, work: Callable[[Engine], None]) -> None:
        """work(engine) on the engines' pool, one engine each, counted busy for capacity()
        meanwhile and under way for the prints, which stand aside."""

        def on_an_engine() -> None:
            engine = self._engines.get()
            try:
                self._print_lane.under_way(lambda: work(engine))
            finally:
                self._engines.put(engine)

        self._busy += 1
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, on_an_engine)
        finally:
            self._busy -= 1

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
    ) -> None:
        """On the fast service's thread; prints stand aside meanwhile."""
        await self._fast.contact_sheet(
            content, styles, settings, output, self._print_lane.under_way
        )
