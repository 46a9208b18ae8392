"""Where a job's pixels are made: the JobRunner seam, and the in-process runner behind it.

The dispatcher knows only JobRunner, so workers on other machines can replace InProcessRunner
without touching the dispatcher or the handlers. InProcessRunner keeps the event loop free: the
engine runs in a bounded thread pool (one job per engine, NST_CONCURRENT_JOBS engines), its threads
at a lower CPU priority so the chat always wins a contended core, and progress comes back to the
loop thread-safely. Prints run on threads of their own (NST_CONCURRENT_PRINTS) on the first
engine, and stand aside whenever regular work runs (lanes.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from PIL import Image

from bot.config import EngineOptions
from bot.jobs.engines import build_engine, lower_priority, measured_pace, shared_face_detector
from bot.jobs.hold import Hold, after_first
from bot.jobs.lanes import PrintLane
from bot.jobs.person import PersonKeeper
from bot.jobs.prints import save_print
from bot.models import Job, PersonMode
from nst_engine import animation, sheet
from nst_engine.errors import Cancelled, EngineError
from nst_engine.images import load_image
from nst_engine.pace import Pace
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.engine import Engine

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[float], None]
# paused(True) when a print stands aside for regular work, paused(False) when it goes on.
Paused = Callable[[bool], None]


def from_thread(
    loop: asyncio.AbstractEventLoop, report: Callable[[T], None]
) -> Callable[[T], None]:
    """`report` for an engine thread to call: it runs on `loop`, or nowhere once that closed."""

    def on_loop(value: T) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            loop.call_soon_threadsafe(report, value)

    return on_loop


class RunnerUnavailable(Exception):
    """The runner cannot start (its queue cannot be reached); the message is one line."""


class NotStarted(Cancelled):
    """Stopped before any engine took the job: no worker was free (or online) in time."""


class EngineOffline(NotStarted):
    """Nobody took the job and no remote worker has been online for a lease: it goes back to
    the queue and waits there until one is (Capacity.online)."""


@dataclass(frozen=True)
class Capacity:
    """What /status and /stats show about the machinery: engines online and how many are busy."""

    engines: int  # in this process, or the nst-workers' engines online
    busy: int
    remote: bool = False  # the engines are remote workers, which come and go
    # Whether a job can be painted now: remote workers count as gone only once none has sent its
    # heartbeat for a lease, so a Redis restart that drops the heartbeats for a beat is no outage.
    online: bool = True


class JobRunner(Protocol):
    """Runs stylizations; one implementation per backend (in-process threads, remote workers)."""

    async def start(self) -> None:
        """Get ready to run (load models, connect); called once before the first run."""

    async def stop(self) -> None:
        """Release everything; runs in flight have been cancelled and awaited by then."""

    @property
    def fast_error(self) -> str | None:
        """None when the fast (preview) method is available, else why it is not."""

    @property
    def person_error(self) -> str | None:
        """None when person mode (segmenter, face detector) is available, else why it is not."""

    async def sees_no_face(self, content: Path) -> bool:
        """True when a face detector found no face in the photo: person mode has no one to
        keep. False when it found one or none could look (the engine then looks itself)."""

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
        """Write the stylized image to output as PNG: content in the style of the paintings,
        mixed by settings.style_weights when there are several; with person mode, only the
        background (or the person) painted and the rest kept as in the photo.

        resume: a print: that finished painting painted on at settings.max_side, written to
        output as the print file (bot/jobs/prints.py) instead. A print stands aside while
        regular work runs where it is painted, and says so through `paused`.

        progress(fraction) and paused(bool) are called on the event loop's thread. Setting
        cancel makes the run raise nst_engine.Cancelled within one optimisation step (a print:
        one window; NotStarted if nothing had started it); a bad input raises ImageError.
        """

    def estimate_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        """Seconds a run of `settings` takes (painted_side: a print from a painting of that
        side) by the engines' pace measured at their start; None when unknown."""

    async def forget(self, job_id: int) -> None:
        """The job ended or went back to the queue: drop whatever is kept for it."""

    async def capacity(self) -> Capacity:
        """Engines online now and how many of them are running a job."""

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
        """Write the clip at content painted frame by frame by the fast method as a silent MP4.

        Progress and cancel as in run; ImageError for a file that is not a video or is over
        nst_engine.animation's limits; EngineError if the fast method is unavailable.
        """

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
    ) -> None:
        """Write a JPEG grid of content painted by the fast method in each (title, painting).

        Never waits behind the quality jobs; EngineError if the fast method is unavailable.
        """


class InProcessRunner:
    """Runs jobs on `engines` engines in this process, one job each at a time, and up to `prints`
    prints besides on the first engine, each standing aside while regular work runs."""

    def __init__(
        self,
        engines: int,
        engine: Engine | None = None,
        options: EngineOptions = EngineOptions(),  # noqa: B008 (frozen: a shared default is safe)
        hold: Hold | None = None,
        prints: int = 1,
    ) -> None:
        """engine: one ready-built Engine to share (tests build one per session); by default
        start() builds `engines` Engines as `options` say, each used by one thread at a time.
        hold: tests only (bot/jobs/hold.py): where a test holds jobs after their first step."""
        self._engine_count = engines
        self._given = engine
        self._options = options
        self._hold = hold
        self._executor = ThreadPoolExecutor(
            engines, thread_name_prefix="nst-engine", initializer=lower_priority
        )
        # Prints share the first engine, which a print lets go of while it stands aside.
        self._print_lane = PrintLane(prints)
        # Sheets (and other fast-method work) get their own thread, so a few seconds' sketch
        # never queues behind a minute-long quality job; the fast networks are thread-safe.
        self._fast_executor = ThreadPoolExecutor(
            1, thread_name_prefix="nst-fast", initializer=lower_priority
        )
        self._engines: queue.SimpleQueue[Engine] = queue.SimpleQueue()
        self._person: PersonKeeper | None = None  # made in start(), with its models
        self._first_engine: Engine | None = None
        self._fast_error: str | None = "the engine has not started"
        self._device = "not started"
        self._busy = 0
        self._pace: Pace | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self._given is not None:
            engines = [self._given]
            faces = self._given.face_detector
        else:
            faces = shared_face_detector(self._options)
            # Built on the pool's own threads, so TensorFlow's threads inherit their priority.
            engines = list(
                await asyncio.gather(
                    *(
                        loop.run_in_executor(self._executor, build_engine, self._options, faces)
                        for _ in range(self._engine_count)
                    )
                )
            )
        for engine in engines:
            self._engines.put(engine)
        self._person = PersonKeeper(faces, self._options.segmentation_model)
        await loop.run_in_executor(self._executor, self._person.load)  # now, not on a first job
        self._first_engine = engines[0]
        self._fast_error = engines[0].fast_error
        self._device = engines[0].device
        self._pace = await loop.run_in_executor(
            self._executor, measured_pace, engines[0], self._options
        )
        log.info(
            "runner ready: %d engine(s), preview %s", self._engine_count, self._fast_error or "on"
        )

    async def stop(self) -> None:
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        await asyncio.to_thread(self._print_lane.shutdown)
        await asyncio.to_thread(self._fast_executor.shutdown, wait=True, cancel_futures=True)

    @property
    def fast_error(self) -> str | None:
        return self._fast_error

    @property
    def person_error(self) -> str | None:
        return self._person.error if self._person else "the engine has not started"

    async def sees_no_face(self, content: Path) -> bool:
        """On the fast method's thread: a few milliseconds, never behind a quality job."""
        keeper = self._person
        if keeper is None:
            return False
        return await asyncio.get_running_loop().run_in_executor(
            self._fast_executor, lambda: keeper.sees_no_face(load_image(content))
        )

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

        def work(engine: Engine) -> None:  # a job like any other: it takes an engine's turn
            stylizer = engine.fast_stylizer()
            animation.stylize_clip(stylizer, content, style, settings, output, report, cancel)

        await self._regular(work)

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
        engine = self._first_engine
        if engine is None:
            raise EngineError("the engine has not started")

        def work() -> None:
            picture = sheet.contact_sheet(
                engine.fast_stylizer(), load_image(content), styles, settings
            )
            output.write_bytes(sheet.jpeg(picture))

        await asyncio.get_running_loop().run_in_executor(
            self._fast_executor, self._print_lane.under_way, work
        )
