"""Animations: a GIF or short video painted frame by frame by the fast method, as a silent MP4.

Decoding and encoding are PyAV's (its wheels carry FFmpeg with libx264), so no system FFmpeg is
needed. The style vector is computed once for the whole clip; each frame then costs one pass of
the transfer network at ANIMATION_SIDE px (a single pass at a reduced input, see
FastStylizer.paint's one_pass), scaled back to the frame's size (longer side at most MAX_SIDE).

Flicker: the network paints each frame on its own, and amplifies even compression noise, so
textures jump between frames where nothing moved (a still clip's painted frames differ 200 times
more than its input frames). Each output pixel therefore keeps the previous output's value in the
proportion keep = (MOTION - motion) / (MOTION - STILL), clipped to 0..1, where motion is how far
the input pixel (0-1, mean over channels) has moved from the input it was last painted from:
still pixels keep their strokes, moving ones take the new frame, and a slow drift (a fade) is
caught up with once it passes STILL. `flicker` is the mean absolute difference between
consecutive frames; benchmarks/animation.py prints the output's against the input's.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from PIL import Image

from nst_engine.errors import Cancelled, ImageError
from nst_engine.images import load_image, resize_longer_side
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.fast import FastStylizer

MAX_SECONDS = 10.0
MAX_FRAMES = 150  # more frames are thinned evenly (the frame rate drops, the duration stays)
MAX_SIDE = 512
ANIMATION_SIDE = 256  # the transfer network's input per frame: one reduced pass
STILL = 0.01  # an input pixel that moved less than this (0-1) keeps its painted value
MOTION = 0.06  # one that moved this much or more takes the newly painted frame only
DEFAULT_RATE = Fraction(10)  # for a clip that states no frame rate (some GIFs)

Progress = Callable[[float], None]


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
    """What stylize_clip made: frames, their rate, and the flicker of the input, of the frames
    as painted, and of the output after blending."""

    frames: int
    rate: Fraction
    size: tuple[int, int]
    input_flicker: float
    painted_flicker: float
    output_flicker: float


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
) -> Stats:
    """Paint every frame of source (thinned to MAX_FRAMES) and write output as a silent MP4."""
    clip = probe(source)
    check_limits(clip)
    step = max(1, math.ceil(clip.frames / MAX_FRAMES))
    rate = clip.rate / step
    vector = stylizer.mixed_vector([load_image(path) for path in styles], settings)
    total = max(1, clip.frames // step)
    own: np.ndarray | None = None  # the first frame's style vector, for style_strength < 1
    reference = np.zeros(0, np.float32)  # per pixel, the input it was last painted from
    previous_in: np.ndarray | None = None
    previous_painted: np.ndarray | None = None
    previous_out: np.ndarray | None = None
    flicker: dict[str, list[float]] = {"in": [], "painted": [], "out": []}
    with _Writer(output, rate) as writer:
        for index, frame in enumerate(_frames(source, step)):
            if cancel is not None and cancel.is_set():
                raise Cancelled("animation cancelled")
            small = resize_longer_side(frame, min(ANIMATION_SIDE, max(frame.size)))
            if own is None:  # one vector for the clip: a per-frame one would add flicker
                own = stylizer.style_vector(small)
            painted = stylizer.paint(small, vector, settings, photo_vector=own, one_pass=True)
            pixels = np.asarray(frame, np.float32) / 255.0
            raw = np.asarray(painted.resize(frame.size, Image.Resampling.BILINEAR), np.float32)
            raw /= 255.0
            out = raw
            if previous_in is None or previous_painted is None or previous_out is None:
                reference = pixels
            else:
                motion = np.abs(pixels - reference).mean(axis=2, keepdims=True)
                keep = np.clip((MOTION - motion) / (MOTION - STILL), 0.0, 1.0)
                out = keep * previous_out + (1.0 - keep) * raw
                reference = keep * reference + (1.0 - keep) * pixels
                flicker["in"].append(float(np.abs(pixels - previous_in).mean()))
                flicker["painted"].append(float(np.abs(raw - previous_painted).mean()))
                flicker["out"].append(float(np.abs(out - previous_out).mean()))
            writer.write(out)
            previous_in, previous_painted, previous_out = pixels, raw, out
            if progress is not None:
                progress(min(1.0, (index + 1) / total))
    means = {name: float(np.mean(values)) if values else 0.0 for name, values in flicker.items()}
    return Stats(writer.frames, rate, writer.size, means["in"], means["painted"], means["out"])


def _frames(source: Path, step: int) -> Iterator[Image.Image]:
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

    def write(self, pixels: np.ndarray) -> None:
        image = np.clip(pixels * 255.0, 0, 255).round().astype(np.uint8)
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
