"""Seconds and warping error of stylizing short clips by the fast method, as the bot does it.

    python benchmarks/animation.py [--seconds 5] [--fps 24] [--side 480] [--cores 0,1]
        [--clips pan,zoom] [--video walk.mkv[@START] ...] [--frames DIR] [--tv-l1]

Clips: `pan`, a 16:9 window panning across ../shared/images/photos/tubingen.jpg, and `zoom`, the
same window zooming in to twice the size, both made here and encoded as H.264 (so every frame
moves a little like a phone video's); and each --video, a real clip (--seconds of it from START
seconds, 0 unless given). The two measured in docs/engine.md, from Intel's sample videos (CC BY
4.0), are a person signing to a webcam (3 s, 640x480 at 30 fps) and people walking into a room
(`one-by-one-person-detection.mp4@64`, 768x432 at 10 fps), downloaded with

    curl -LO https://github.com/intel-iot-devkit/sample-videos/raw/master/asl_gestures/walk.mkv
    curl -LO https://github.com/intel-iot-devkit/sample-videos/raw/master/one-by-one-person-detection.mp4

For each clip: the seconds of each stage (style vector, decoding, flow, painting, blending,
encoding) and in all, the CPU seconds (all threads; others sharing the cores do not change them,
and on 2 idle cores the wall time lies between half of them and all of them) and the load
average; then the warping error (motion.warping_error: Lai et al. 2018) of the input, of the
frames as painted and of the output as the MP4 holds it, with each one's ratio to the input's
(the target for the output: at most 2), under each measuring flow (DIS MEDIUM and Farneback;
with --tv-l1 TV-L1 too, the closest to the known motion, 1-6 minutes more a clip on 2 cores:
it needs opencv-contrib-python-headless of the same version in place of opencv-python-headless).
A made clip is measured by its known motion too (known_motion: exact), and beside the output
stands its photo painted once and cut as the clip is ("one painting moved exactly"): strokes
that cannot flicker, whose error under each flow is what that flow makes of steady strokes.
--cores pins this process first (the targets are for 2 cores). --frames DIR writes frames
30-32 and 60 of each clip: input, painting, output. Needs the Magenta models in
$NST_FAST_MODELS_DIR or ../shared/models.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

import av  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from nst_engine import animation, motion  # noqa: E402
from nst_engine.images import load_image  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from nst_engine.fast import FastStylizer

SHOWN = (30, 31, 32, 60)  # the frames --frames writes
MEASURING_FLOWS = {"DIS MEDIUM": motion.MEASURING, "Farneback": motion.FARNEBACK}
PHOTO = SHARED / "images" / "photos" / "tubingen.jpg"  # the made clips' picture
STYLE = SHARED / "images" / "styles" / "starry_night.jpg"


def make_clip(path: Path, kind: str, seconds: float, fps: int, side: int) -> None:
    """A window over the Tübingen photo, side x side*9/16, as an H.264 MP4 (see window)."""
    photo = Image.open(PHOTO).convert("RGB")
    width, height = side, round(side * 9 / 16 / 2) * 2
    frames = round(seconds * fps)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            picture = window(photo, kind, index, frames, (width, height))
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def window(
    picture: Image.Image, kind: str, index: int, frames: int, size: tuple[int, int]
) -> Image.Image:
    """Frame `index` of a made clip: the window over `picture` (2/3 of its width, 16:9) moving
    from left to right at the height of the middle (pan), or shrinking to half its width around
    the middle (zoom, the same zoom factor each frame), at `size`."""
    left, top, w, h = _box(picture.size, kind, index / max(1, frames - 1))
    return picture.resize(size, Image.Resampling.BICUBIC, box=(left, top, left + w, top + h))


def known_motion(kind: str, frames: int, size: tuple[int, int]) -> np.ndarray:
    """The flow [H, W, 2] from each frame of a made clip to the next (the same for every pair:
    a pan's step and a zoom's factor are), from the windows' geometry: exact, where a measuring
    flow errs by 0.15-0.5 px on the photo's plain sky (docs/engine.md)."""
    photo_size = Image.open(PHOTO).size
    (left, top, w, h), (next_left, next_top, next_w, next_h) = (
        _box(photo_size, kind, index / max(1, frames - 1)) for index in (0, 1)
    )
    width, height = size
    x, y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    # pixel i's centre lies at left + (i + 0.5) * w / width on the photo, in both frames
    to_x = (left + (x + 0.5) * w / width - next_left) * width / next_w - 0.5
    to_y = (top + (y + 0.5) * h / height - next_top) * height / next_h - 0.5
    return np.stack([to_x - x, to_y - y], axis=-1)


def _box(size: tuple[int, int], kind: str, progress: float) -> tuple[float, ...]:
    """The window (left, top, width, height) on a picture of `size`, `progress` 0-1 through."""
    picture_w, picture_h = size
    crop_w = picture_w * 2 // 3
    w = crop_w if kind == "pan" else crop_w * 0.5**progress
    left = (picture_w - w) * progress if kind == "pan" else (picture_w - w) / 2
    h = w * 9 / 16
    return left, (picture_h - h) / 2, w, h


def cut_clip(source: Path, path: Path, start: float, seconds: float) -> None:
    """`seconds` of a video from `start`, encoded again as H.264 at its own size and rate."""
    with av.open(str(source)) as clip, av.open(str(path), "w") as container:
        video = clip.streams.video[0]
        rate = Fraction(video.average_rate or 24)
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height = video.width // 2 * 2, video.height // 2 * 2
        stream.pix_fmt = "yuv420p"
        for index, frame in enumerate(clip.decode(video)):
            if index < start * rate:
                continue
            if index >= (start + seconds) * rate:
                break
            pixels = frame.to_ndarray(format="rgb24")[: stream.height, : stream.width]
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))


def decoded(path: Path) -> Iterator[np.ndarray]:
    """An MP4's frames as [H, W, 3] float32 in 0-1."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24").astype(np.float32) / 255.0


def measure(
    stylizer: FastStylizer,
    name: str,
    source: Path,
    folder: Path,
    shown: Path | None,
    made: str | None = None,
    measuring: dict[str, int] = MEASURING_FLOWS,
) -> None:
    """Paint one clip as the bot does; print its seconds and warping errors. made: the kind of
    a made clip, whose motion is known (then measured by it too), and whose photo painted once
    gives the measures' floor for painted detail. measuring: the flows, by name."""
    output = folder / f"{name}.out.mp4"
    seen: list[tuple[np.ndarray, np.ndarray]] = []  # input and painting (uint8)

    def watch(frame: np.ndarray, painted: np.ndarray, out: np.ndarray) -> None:
        seen.append((frame, painted))

    load_before = os.getloadavg()[0]
    start, start_cpu = time.perf_counter(), time.process_time()
    stats = animation.stylize_clip(stylizer, source, [STYLE], Settings("fast"), output, watch=watch)
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    load = max(load_before, os.getloadavg()[0])
    stages = ", ".join(f"{stage} {stats.seconds[stage]:.2f}" for stage in animation.STAGES)
    print(
        f"{name}: {stats.frames} frames {stats.size[0]}x{stats.size[1]} at "
        f"{float(stats.rate):g} fps, {len(os.sched_getaffinity(0))} cores, load average "
        f"{load:.2f}; {stats.cuts} scene cuts"
    )
    print(f"  seconds: {seconds:.1f} in all, CPU {cpu:.1f} s; {stages}")
    inputs = [_floats(frame) for frame, _ in seen]
    videos = {"painted frames": [_floats(p) for _, p in seen], "output": list(decoded(output))}
    flows: dict[str, tuple[int, np.ndarray | None]] = {}
    if made is not None:
        videos["one painting moved exactly"] = moved_painting(stylizer, made, len(seen), stats.size)
        flows["known motion"] = (motion.MEASURING, known_motion(made, len(seen), stats.size))
    flows |= {flow: (preset, None) for flow, preset in measuring.items()}
    for flow, (preset, known) in flows.items():
        frames = ((x, (x, *(video[i] for video in videos.values()))) for i, x in enumerate(inputs))
        floor, *errors = motion.warping_error(frames, preset, known)
        ratios = ", ".join(
            f"{label} {error:.5f} ({error / floor:.2f}x)"
            for label, error in zip(videos, errors, strict=True)
        )
        print(f"  warping error ({flow}): input {floor:.5f}; {ratios} the input's")
    if shown is not None:
        for index in SHOWN:
            if index < len(seen):
                frame, painted = seen[index]
                output_frame = _bytes(videos["output"][index])
                row = np.concatenate([frame, painted, output_frame], axis=1)
                Image.fromarray(row).save(shown / f"{name}-{index:03d}.png")


def moved_painting(
    stylizer: FastStylizer, kind: str, frames: int, size: tuple[int, int]
) -> list[np.ndarray]:
    """The made clip's photo painted once, at its own size, then cut into the clip's windows:
    strokes that move exactly with the picture. Its warping error is what a measuring flow
    makes of perfectly steady painted detail."""
    photo = Image.open(PHOTO).convert("RGB")
    settings = Settings("fast")
    vector = stylizer.mixed_vector([load_image(STYLE)], settings)
    painted = stylizer.paint(
        photo,
        vector,
        settings,
        photo_vector=stylizer.style_vector(photo),
        network=stylizer.frame_network(*photo.size),
    )
    return [_floats(np.asarray(window(painted, kind, i, frames, size))) for i in range(frames)]


def _bytes(pixels: np.ndarray) -> np.ndarray:
    return np.clip(pixels * 255.0, 0, 255).round().astype(np.uint8)


def _floats(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 255.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--side", type=int, default=480)
    parser.add_argument("--cores", default="0,1", help="CPUs to pin to; '' for all")
    parser.add_argument("--clips", default="pan,zoom", help="made clips: pan, zoom; '' for none")
    parser.add_argument("--video", action="append", default=[], help="a real clip; repeatable")
    parser.add_argument("--frames", type=Path, default=None, help="write frames here")
    parser.add_argument("--tv-l1", action="store_true", help="measure by TV-L1 too (contrib)")
    args = parser.parse_args()
    measuring = MEASURING_FLOWS | ({"TV-L1": motion.TVL1} if args.tv_l1 else {})
    try:
        for preset in measuring.values():
            motion.Tracker(preset)  # TV-L1 without opencv-contrib fails here, not after a clip
    except RuntimeError as error:
        parser.error(str(error))
    if args.cores:
        os.sched_setaffinity(0, {int(core) for core in args.cores.split(",")})
    models = os.environ.get("NST_FAST_MODELS_DIR") or SHARED / "models"
    if args.frames is not None:
        args.frames.mkdir(parents=True, exist_ok=True)

    from nst_engine.fast import FastStylizer  # after pinning: LiteRT sizes its threads then

    stylizer = FastStylizer(models)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for kind in filter(None, args.clips.split(",")):
            source = folder / f"{kind}.mp4"
            make_clip(source, kind, args.seconds, args.fps, args.side)
            measure(stylizer, kind, source, folder, args.frames, kind, measuring)
        for name, _, start in (argument.partition("@") for argument in args.video):
            video = Path(name)
            digest = hashlib.sha256(video.read_bytes()).hexdigest()[:12]
            print(f"{video.name}: sha256 {digest}..., from {float(start or 0):g} s")
            source = folder / f"{video.stem}.mp4"
            cut_clip(video, source, float(start or 0), args.seconds)
            measure(stylizer, video.stem, source, folder, args.frames, None, measuring)


if __name__ == "__main__":
    main()
