"""The fast service: a process's one copy of the fast method's networks (Magenta's, on LiteRT)
and of the face detector, and the thread that fast-method work runs on beside the engines.

One per process, built at start-up where the process is wired (bot/app.py's
build_application; an nst-worker's remote_worker.py) and handed to its runner, which uses it in
both modes:
- /try's contact sheets run on its thread, in this process whether the engines are here or
  remote workers: a few seconds' sketch never waits behind a quality job or the workers' queue;
- clips are painted with its networks: the in-process runner's on an engine's turn, as a job
  like any other; a remote runner's on its thread, here;
- previews and warm starts are the engines' fast method, which uses its networks (one copy
  for every engine of the process, not one each);
- whether a person-mode photo has a face is looked at with its detector before the job runs.
So its `error` says whether the fast method works where that work runs: in a bot with remote
workers, the bot's own models for /try and clips (the workers' heartbeats say theirs, for
previews).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.config import EngineOptions
from bot.jobs.person import has_no_face
from bot.jobs.runner import Progress
from bot.jobs.threads import from_thread, lower_priority
from nst_engine import animation, sheet
from nst_engine.errors import EngineError
from nst_engine.images import load_image
from nst_engine.optional import OptionalModel
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.engine import Engine
    from nst_engine.faces import FaceDetector
    from nst_engine.fast import FastStylizer

log = logging.getLogger(__name__)

T = TypeVar("T")
# Wraps a piece of work that runs on the fast service's thread: the in-process runner's print
# lane says it is under way, so prints stand aside meanwhile.
Around = Callable[[Callable[[], None]], None]


def _alone(work: Callable[[], None]) -> None:
    work()


class FastService:
    """The fast method's networks and the face detector, shared by everything in the process
    that needs them, and one thread of their own at a lower priority."""

    def __init__(
        self, networks: OptionalModel[FastStylizer], faces: OptionalModel[FaceDetector]
    ) -> None:
        self.networks = networks
        self.faces = faces
        self._thread = ThreadPoolExecutor(
            1, thread_name_prefix="nst-fast", initializer=lower_priority
        )
        self._started = False

    @classmethod
    def from_options(cls, options: EngineOptions) -> FastService:
        """The networks from options.fast_models_dir and the detector from
        options.face_models_dir (each else the download cache), loaded by start()."""
        from nst_engine.faces import FaceDetector
        from nst_engine.fast import FastStylizer

        return cls(
            OptionalModel(lambda: FastStylizer(options.fast_models_dir)),
            OptionalModel(lambda: FaceDetector(options.face_models_dir)),
        )

    @classmethod
    def of_engine(cls, engine: Engine) -> FastService:
        """An engine already built (tests share one per session): its networks and detector
        are the process's."""
        return cls(engine.fast_networks, engine.face_detector)

    async def start(self) -> None:
        """Load both models now, on its thread, rather than on someone's first sheet (after the
        runner's start, whose engines may have loaded them already)."""

        def load() -> None:
            self.networks.get()
            self.faces.get()

        await self._on_thread(load)
        self._started = True
        log.info("fast method %s", f"unavailable: {self.error}" if self.error else "ready")

    async def stop(self) -> None:
        await asyncio.to_thread(self._thread.shutdown, wait=True, cancel_futures=True)

    @property
    def error(self) -> str | None:
        """None when the fast method works in this process, else why not."""
        return self.networks.error if self._started else "the fast method has not started"

    def stylizer(self) -> FastStylizer:
        """The networks, for work on any thread (they are thread-safe); EngineError if absent."""
        networks = self.networks.get()
        if networks is None:
            raise EngineError(f"fast mode is not available: {self.networks.error}")
        return networks

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
        around: Around = _alone,
    ) -> None:
        """A JPEG grid of content painted in each (title, painting), on its thread."""

        def work() -> None:
            picture = sheet.contact_sheet(self.stylizer(), load_image(content), styles, settings)
            output.write_bytes(sheet.jpeg(picture))

        await self._on_thread(lambda: around(work))

    def paint_clip(
        self,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        report: Callable[[float], None],
        cancel: threading.Event,
    ) -> None:
        """The clip painted frame by frame, on the calling thread (blocking): the in-process
        runner calls it on an engine's turn."""
        animation.stylize_clip(self.stylizer(), content, style, settings, output, report, cancel)

    async def animate(
        self,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        """paint_clip on its thread, progress reported on the event loop."""
        report = from_thread(asyncio.get_running_loop(), progress)
        await self._on_thread(
            lambda: self.paint_clip(content, style, settings, output, report, cancel)
        )

    async def sees_no_face(self, content: Path) -> bool:
        """True when the face detector finds no face in the photo; False without the detector
        (whoever paints it looks again). A few milliseconds, never behind a quality job."""

        def look() -> bool:
            detector = self.faces.get()
            return detector is not None and has_no_face(detector, load_image(content))

        return await self._on_thread(look)

    async def _on_thread(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work)
