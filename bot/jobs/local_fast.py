"""What a bot with remote workers still paints itself: contact sheets and clips; and what it
looks at itself: whether a person-mode job's photo has a face.

All use LiteRT networks on the CPU (no TensorFlow), loaded on first use from
NST_FAST_MODELS_DIR (or the folder given) and the face models' folder, one piece of work at a
time on a thread of their own at a lower priority. Seconds of work that would gain little from
a round trip to a worker, and that would otherwise wait behind the workers' queue.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.jobs.engines import lower_priority
from bot.jobs.person import has_no_face
from bot.jobs.runner import Progress, from_thread
from nst_engine import animation, sheet
from nst_engine.errors import EngineError, WeightsError
from nst_engine.faces import FaceDetector
from nst_engine.fast import FastStylizer
from nst_engine.images import load_image
from nst_engine.settings import Settings


class LocalFast:
    """The fast networks on this machine, for RemoteRunner's sheets and clips."""

    def __init__(self, models_dir: Path | None, face_models_dir: Path | None = None) -> None:
        self._models_dir = models_dir
        self._face_models_dir = face_models_dir
        self._detector: FaceDetector | WeightsError | None = None  # an error: unavailable
        self._thread = ThreadPoolExecutor(
            1, thread_name_prefix="nst-fast", initializer=lower_priority
        )
        self._stylizer: FastStylizer | None = None

    async def stop(self) -> None:
        await asyncio.to_thread(self._thread.shutdown, wait=True, cancel_futures=True)

    async def animate(
        self,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        """The clip painted frame by frame."""
        loop = asyncio.get_running_loop()
        report = from_thread(loop, progress)

        def work() -> None:
            animation.stylize_clip(self._fast(), content, style, settings, output, report, cancel)

        await loop.run_in_executor(self._thread, work)

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
    ) -> None:
        def work() -> None:
            picture = sheet.contact_sheet(self._fast(), load_image(content), styles, settings)
            output.write_bytes(sheet.jpeg(picture))

        await asyncio.get_running_loop().run_in_executor(self._thread, work)

    async def sees_no_face(self, content: Path) -> bool:
        """True when the face detector finds no face in the photo; False without the detector
        (the worker looks itself)."""

        def look() -> bool:
            if self._detector is None:
                try:
                    self._detector = FaceDetector(self._face_models_dir)
                except WeightsError as error:
                    self._detector = error
            if isinstance(self._detector, WeightsError):
                return False
            return has_no_face(self._detector, load_image(content))

        return await asyncio.get_running_loop().run_in_executor(self._thread, look)

    def _fast(self) -> FastStylizer:
        """Loaded on first use, on this class's thread."""
        if self._stylizer is None:
            try:
                self._stylizer = FastStylizer(self._models_dir)
            except WeightsError as error:
                raise EngineError(f"fast mode is not available on the bot: {error}") from error
        return self._stylizer
