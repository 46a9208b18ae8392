"""Seconds and flicker of stylizing a short clip by the fast method, as the bot does it.

    python benchmarks/animation.py [--seconds 5] [--fps 24] [--side 480] [--cores 0,1]

The clip is made here (nothing downloaded): a 16:9 window panning across
../shared/images/photos/tubingen.jpg, encoded as H.264, so every frame moves a little like a
hand-held phone video. Prints the frames, the seconds (style vector, decoding, painting,
blending, encoding: everything), and the flicker (mean absolute difference between consecutive
frames, 0-1) of the input, the raw stylized frames and the blended output, with the load
average, since other processes sharing the cores make seconds noisy, and the CPU seconds used
(all threads), which they do not: on 2 idle cores the wall time lies between half of them and
all of them. --cores pins this process
first (the target is for 2 cores). Needs the Magenta models in $NST_FAST_MODELS_DIR or
../shared/models.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

import av  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from nst_engine import animation  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402


def make_clip(path: Path, seconds: float, fps: int, side: int) -> None:
    """A panning window over the Tübingen photo, side x side*9/16, as an H.264 MP4."""
    photo = Image.open(SHARED / "images" / "photos" / "tubingen.jpg").convert("RGB")
    width, height = side, round(side * 9 / 16 / 2) * 2
    crop_w, crop_h = photo.width * 2 // 3, photo.width * 2 // 3 * 9 // 16
    frames = round(seconds * fps)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            left = round((photo.width - crop_w) * index / max(1, frames - 1))
            top = (photo.height - crop_h) // 2
            window = photo.crop((left, top, left + crop_w, top + crop_h)).resize((width, height))
            frame = av.VideoFrame.from_ndarray(np.asarray(window), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--side", type=int, default=480)
    parser.add_argument("--cores", default="0,1", help="CPUs to pin to; '' for all")
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, {int(core) for core in args.cores.split(",")})
    os.environ.setdefault("NST_FAST_MODELS_DIR", str(SHARED / "models"))

    from nst_engine.fast import FastStylizer  # after pinning: LiteRT sizes its threads then

    stylizer = FastStylizer()
    painting = SHARED / "images" / "styles" / "starry_night.jpg"
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "in.mp4", Path(folder) / "out.mp4"
        make_clip(source, args.seconds, args.fps, args.side)
        start, start_cpu = time.perf_counter(), time.process_time()
        stats = animation.stylize_clip(stylizer, source, [painting], Settings("fast"), output)
        seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
        written = animation.probe(output)
    print(
        f"animation: {stats.frames} frames {stats.size[0]}x{stats.size[1]} at {stats.rate} fps "
        f"({written.frames} frames, {float(written.rate):g} fps in the MP4), "
        f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"seconds: {seconds:.1f} ({seconds / stats.frames:.3f} s a frame), CPU {cpu:.1f} s")
    ratio = stats.output_flicker / stats.input_flicker
    print(
        f"flicker: input {stats.input_flicker:.4f}, painted frames {stats.painted_flicker:.4f}, "
        f"output {stats.output_flicker:.4f} ({ratio:.2f}x the input's)"
    )


if __name__ == "__main__":
    main()
