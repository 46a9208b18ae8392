"""Animations: a GIF or short video painted frame by frame by the fast method, as a silent MP4.

Decoding and encoding are PyAV's (its wheels carry FFmpeg with libx264), so no system FFmpeg is
needed. The style vector is computed once for the whole clip; each frame is then painted at its
own size (longer side at most MAX_SIDE) in one pass of the transfer network rebuilt for that size
(framenet.py: no tiles, and no grid from painting small and scaling up), and blended with the
previous output moved along the optical flow, forward and then backward (blend.py), so strokes
travel with the picture and still areas keep theirs. `Stats.seconds` has the wall-clock seconds
of each stage (STAGES); benchmarks/animation.py prints them with the warping error
(motion.warping_error).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from PIL import Image

from nst_engine.blend import BothWays
from nst_engine.errors import Cancelled, ImageError
from nst_engine.images import load_image
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.fast import FastStylizer
    from nst_engine.framenet import FrameNetwork

MAX_SECONDS = 10.0
MAX_FRAMES = 150  # more frames are thinned evenly (the frame rate drops, the duration stays)
MAX_SIDE = 512
DEFAULT_RATE = Fraction(10)  # for a clip that states no frame rate (some GIFs)
STAGES = ("style vector", "decoding", "flow", "painting", "blending", "encoding")
# The share of a clip's progress its painting (and blending forward) takes; blending it back
# and encoding take the rest (benchmarks/animation.py: some 12 s of 16 for a 5-s clip at 480 px).
PAINTING_SHARE = 0.75

Progress = Callable[[float], None]
# Each frame, in order once all are blended: the input, its painting and the output, [H, W, 3]
# uint8.
Watch = Callable[[np.ndarray, np.ndarray, np.ndarray], None]


@dataclass(frozen=True)
class Clip:
    """What a clip holds, read from its container before any frame is decoded."""

    width: int
    height: int
    rate: Fraction  # frames per second
    frames: int
    seconds: float


@dataclass(frozen=True)
class Stats:
    """What stylize_clip made: frames, their rate and size, the scene cuts the blending found,
    and the wall-clock seconds of each of STAGES (setting up the frame network is painting)."""

    frames: int
    rate: Fraction
    size: tuple[int, int]
    cuts: int
    seconds: dict[str, float]


def probe(path: Path) -> Clip:
    """The clip's size, frame rate, frame count and length; ImageError if it is not a video."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ImageError("the file has no video")
            stream = container.streams.video[0]
            rate = Fraction(stream.average_rate or stream.guessed_rate or DEFAULT_RATE)
            seconds = _seconds(container, stream)
            frames = stream.frames or round(seconds * rate)
            if not frames:  # neither stated nor computable: count them (small files only)
                frames = sum(1 for _ in container.decode(stream))
                seconds = float(frames / rate)
            return Clip(stream.width, stream.height, rate, frames, seconds)
    except av.FFmpegError as error:
        raise ImageError(f"cannot read the file as a video: {error}") from error


def check_limits(clip: Clip) -> None:
    """ImageError naming the limit a clip is over (the bot checks Telegram's figures first)."""
    if clip.seconds > MAX_SECONDS + 0.05:
        raise ImageError(f"the clip is {clip.seconds:.1f} s long; at most {MAX_SECONDS:g} s")
    if min(clip.width, clip.height) < 16:
        raise ImageError(f"the clip is too small: {clip.width}x{clip.height}")


def stylize_clip(
    stylizer: FastStylizer,
    source: Path,
    styles: Sequence[Path],
    settings: Settings,
    output: Path,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    watch: Watch | None = None,
) -> Stats:
    """Paint every frame of source (thinned to MAX_FRAMES) and write output as a silent MP4."""
    clip = probe(source)
    check_limits(clip)
    step = max(1, math.ceil(clip.frames / MAX_FRAMES))
    rate = clip.rate / step
    total = max(1, clip.frames // step)
    seconds = dict.fromkeys(STAGES, 0.0)
    with _timed(seconds, "style vector"):
        vector = stylizer.mixed_vector([load_image(path) for path in styles], settings)
    blend = BothWays()
    network: FrameNetwork | None = None  # one network and one photo vector for the clip
    own: np.ndarray | None = None  # the first frame's style vector, for style_strength < 1
    painted_frames = 0
    with _Writer(output, rate) as writer:
        with closing(_frames(source, step)) as frames:
            while True:
                with _timed(seconds, "decoding"):
                    frame = next(frames, None)
                if frame is None:
                    break
                _check(cancel)
                with _timed(seconds, "painting"):
                    if network is None:
                        network = stylizer.frame_network(*frame.size)
                        own = stylizer.style_vector(frame)
                    painted = stylizer.paint(
                        frame, vector, settings, photo_vector=own, network=network
                    )
                blend.add(np.asarray(frame), np.asarray(painted))
                painted_frames += 1
                if progress is not None:
                    progress(PAINTING_SHARE * min(1.0, painted_frames / total))

        def blended_back(done: int) -> None:
            _check(cancel)
            if progress is not None:
                progress(PAINTING_SHARE + (1.0 - PAINTING_SHARE) * done / painted_frames)

        for pixels, painting, out in blend.outputs(blended_back):
            if watch is not None:
                watch(pixels, painting, out)
            with _timed(seconds, "encoding"):
                writer.write(out)
    seconds["flow"], seconds["blending"] = blend.flow_seconds, blend.blending_seconds
    return Stats(writer.frames, rate, writer.size, blend.forward.cuts, seconds)


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("animation cancelled")


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] += time.perf_counter() - start


def _frames(source: Path, step: int) -> Generator[Image.Image]:
    """Every step-th frame as RGB, scaled so the longer side is at most MAX_SIDE, sides even."""
    try:
        with av.open(str(source)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for index, frame in enumerate(container.decode(stream)):
                if index % step:
                    continue
                width, height = _output_size(frame.width, frame.height)
                yield frame.to_image(width=width, height=height).convert("RGB")
    except av.FFmpegError as error:
        raise ImageError(f"cannot decode the video: {error}") from error


def _output_size(width: int, height: int) -> tuple[int, int]:
    """At most MAX_SIDE on the longer side, both even (H.264's 4:2:0 needs that)."""
    scale = min(1.0, MAX_SIDE / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


class _Writer:
    """A silent H.264 MP4 for Telegram: yuv420p, fast start, one frame at a time."""

    def __init__(self, path: Path, rate: Fraction) -> None:
        self._path = path
        self._rate = rate
        self.frames = 0
        self.size = (0, 0)

    def __enter__(self) -> _Writer:
        self._container = av.open(str(self._path), "w", options={"movflags": "+faststart"})
        self._stream: av.VideoStream | None = None
        return self

    def write(self, image: np.ndarray) -> None:
        """image: [H, W, 3] uint8."""
        if self._stream is None:
            self._stream = self._container.add_stream("libx264", rate=self._rate)
            self._stream.height, self._stream.width = image.shape[:2]
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": "23", "preset": "veryfast"}
            self.size = (image.shape[1], image.shape[0])
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def __exit__(self, *exc: object) -> None:
        try:
            if self._stream is not None and exc[0] is None:
                self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()
        if exc[0] is not None:
            self._path.unlink(missing_ok=True)


def _seconds(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0
