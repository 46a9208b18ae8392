"""The quality engine's speed and quality on ../shared/images, against the TF tutorial's recipe.

    python benchmarks/engine.py [--pairs all|PHOTO:STYLE,...] [--sizes 256,512] [--skip-reference]
                                [--reference-pairs 1] [--out DIR] [--grid docs/engine_grid.png]

For every photo x painting pair and size it runs the engine with default settings and prints
seconds, steps, seconds per step and the figures of ../shared/eval/nst_metrics.py (run as its own
process, so this one's peak memory is the engine's). The reference is the tutorial's recipe on
the same losses and layers: one scale, Adam (rate 0.02 of the full range, beta1 0.99) from the
photo for 1000 steps. The last table gives the speed-up at (about) equal quality. The machine's
load average is printed with every row: other processes sharing the cores make seconds noisy.

The fast (preview) method runs on the same pairs at 384 and 1024 px with its models already loaded
and the images already decoded: its seconds are the median of --fast-repeats runs after one warm-up.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst_engine.images import load_image  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402

if TYPE_CHECKING:  # imported for real in main(), after the clock starts on the build
    from nst_engine.engine import Engine
    from nst_engine.fast import FastStylizer
    from nst_engine.gatys import Plan

SHARED = REPO.parent / "shared"
PHOTOS = ("tubingen", "golden_gate")
STYLES = ("starry_night", "the_scream", "shipwreck", "monet_garden", "cezanne_sainte_victoire")
METRICS = ("style_gain", "style_mobile", "ssim_luma", "content")
FAST_SIZES = (384, 1024)
# The tutorial's Adam: rate 0.02 on [0, 1] images is 0.02 * 255 on the engine's 0-255 scale.
# Its epsilon 0.1 was far below the tutorial's gradients (its total-variation term alone gives
# 30-120 per pixel), so on the normalised losses, whose gradients are ~1e-7, it is scaled likewise.
REFERENCE_RATE, REFERENCE_BETA1, REFERENCE_EPSILON, REFERENCE_STEPS = 0.02 * 255, 0.99, 1e-10, 1000


@dataclass
class Row:
    method: str
    photo: str
    style: str
    size: int
    seconds: float
    steps: int
    load: float
    figures: dict[str, float]

    @property
    def pair(self) -> str:
        return f"{self.photo} x {self.style}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pairs = parse_pairs(args.pairs)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; out: {args.out}")

    start = time.perf_counter()
    from nst_engine.engine import Engine

    engine = Engine(
        args.weights or SHARED / "models/vgg19_normalised_to_block4_conv1.h5",
        fast_models_dir=os.environ.get("NST_FAST_MODELS_DIR") or SHARED / "models",
        mixed_precision=args.mixed_precision,
    )
    build = time.perf_counter() - start
    print(f"engine build (TensorFlow import, VGG19, weights): {build:.1f} s on {engine.device}")

    rows = [
        run(engine, "engine", photo, style, size, None, args.out)
        for photo, style in pairs
        for size in args.sizes
    ]
    engine_peak_mb = peak_rss_mb()
    if engine.fast is None:
        print(f"fast method skipped: {engine.fast_error}")
    else:
        rows += [
            run_fast(engine.fast, photo, style, size, args.fast_repeats, args.out)
            for photo, style in pairs
            for size in FAST_SIZES
        ]
    if args.adam_rate:
        rows += [
            run(engine, "adam", photo, style, size, adam_plan(size, args.adam_rate), args.out)
            for photo, style in pairs
            for size in args.sizes
        ]
    if not args.skip_reference:
        rows += [
            run(engine, "reference", photo, style, size, reference_plan(size), args.out)
            for photo, style in pairs[: args.reference_pairs]
            for size in args.sizes
        ]
    print_tables(rows)
    print(f"\nengine build {build:.1f} s; first 512-px result with build: ", end="")
    first = next((r for r in rows if r.method == "engine" and r.size == 512), None)
    print(f"{first.seconds + build:.1f} s" if first else "n/a")
    print(f"peak RSS: {engine_peak_mb:.0f} MB after the engine runs, {peak_rss_mb():.0f} MB in all")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    (args.out / "results.json").write_text(json.dumps([asdict(r) for r in rows], indent=1))
    if args.grid:
        write_grid(rows, args.out, args.grid)
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default="all", help="'all' or PHOTO:STYLE,... by file stem")
    parser.add_argument("--sizes", default="256,512", help="longer sides, comma-separated")
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument(
        "--reference-pairs", type=int, default=1, help="run the reference on the first N pairs"
    )
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nst-benchmark")
    parser.add_argument("--grid", type=Path, default=None, help="write content|style|result PNG")
    parser.add_argument("--weights", default=None, help="VGG19 weights (default: ../shared's)")
    parser.add_argument(
        "--mixed-precision", action="store_true", help="bfloat16 convolutions on a CPU"
    )
    parser.add_argument(
        "--adam-rate", type=float, default=None, help="also run the default plan with Adam at R px"
    )
    parser.add_argument("--fast-repeats", type=int, default=9, help="timed runs per fast row")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    return args


def parse_pairs(spec: str) -> list[tuple[str, str]]:
    if spec == "all":
        return [(photo, style) for photo in PHOTOS for style in STYLES]
    return [(pair.split(":")[0], pair.split(":")[1]) for pair in spec.split(",")]


def photo_path(photo: str) -> Path:
    return SHARED / "images/photos" / f"{photo}.jpg"


def style_path(style: str) -> Path:
    return SHARED / "images/styles" / f"{style}.jpg"


def reference_plan(size: int) -> Plan:
    from nst_engine.gatys import Plan
    from nst_engine.optim import Adam

    adam = functools.partial(Adam, REFERENCE_RATE, REFERENCE_BETA1, epsilon=REFERENCE_EPSILON)
    return Plan(((size, REFERENCE_STEPS),), optimiser=adam, tolerance=None, init_noise=0.0)


def adam_plan(size: int, rate: float) -> Plan:
    """The engine's own schedule with Adam instead of L-BFGS, for the optimiser comparison."""
    from nst_engine.gatys import default_plan
    from nst_engine.optim import Adam

    plan = default_plan(Settings(max_side=size))
    return replace(plan, optimiser=functools.partial(Adam, rate, epsilon=REFERENCE_EPSILON))


def run(
    engine: Engine, method: str, photo: str, style: str, size: int, plan: Plan | None, out: Path
) -> Row:
    """One stylization at default settings (or `plan`), saved to `out` and measured."""
    result = engine.run(photo_path(photo), style_path(style), Settings(max_side=size), plan=plan)
    output = out / f"{method}_{photo}_{style}_{size}.png"
    result.image.save(output)
    row = Row(
        method,
        photo,
        style,
        size,
        result.seconds,
        result.steps,
        os.getloadavg()[0],
        metrics(photo_path(photo), style_path(style), output),
    )
    print_row(row)
    return row


def run_fast(
    stylizer: FastStylizer, photo: str, style: str, size: int, repeats: int, out: Path
) -> Row:
    """The fast method's median seconds over `repeats` runs, models loaded, images decoded."""
    content, painting = load_image(photo_path(photo)), load_image(style_path(style))
    settings = Settings(method="fast", max_side=size)
    image = stylizer.stylize(content, painting, settings)  # warm-up: first-call allocations
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        stylizer.stylize(content, painting, settings)
        seconds.append(time.perf_counter() - start)
    output = out / f"fast_{photo}_{style}_{size}.png"
    image.save(output)
    figures = metrics(photo_path(photo), style_path(style), output)
    median = statistics.median(seconds)
    row = Row("fast", photo, style, size, median, 1, os.getloadavg()[0], figures)
    print_row(row)
    return row


def metrics(content: Path, style: Path, output: Path) -> dict[str, float]:
    """The figures of ../shared/eval/nst_metrics.py, run as its own process."""
    script = SHARED / "eval/nst_metrics.py"
    command = [sys.executable, str(script), "--content", str(content), "--style", str(style)]
    answer = subprocess.run(
        [*command, "--output", str(output), "--json"], capture_output=True, text=True, check=True
    )
    figures = json.loads(answer.stdout.strip().splitlines()[-1])["output"]
    return {name: float(figures[name]) for name in METRICS}


HEADER = (
    f"{'method':9s} {'pair':38s} {'px':>4s} {'seconds':>8s} {'steps':>5s} {'s/step':>6s} "
    + " ".join(f"{m:>12s}" for m in METRICS)
    + f" {'load':>5s}"
)


def print_row(row: Row) -> None:
    figures = " ".join(f"{row.figures[m]:12.3f}" for m in METRICS)
    print(
        f"{row.method:9s} {row.pair:38s} {row.size:4d} {row.seconds:8.2f} {row.steps:5d} "
        f"{row.seconds / row.steps:6.3f} {figures} {row.load:5.2f}",
        flush=True,
    )


def print_tables(rows: list[Row]) -> None:
    print("\n" + HEADER)
    for row in rows:
        print_row(row)
    engine = {(r.pair, r.size): r for r in rows if r.method == "engine"}
    compared = [(engine[(r.pair, r.size)], r) for r in rows if r.method == "reference"]
    if not compared:
        return
    print(
        f"\n{'pair':38s} {'px':>4s} {'speed-up':>8s} {'style_gain engine/ref':>22s} "
        f"{'ssim_luma engine/ref':>21s}"
    )
    for ours, ref in compared:
        print(
            f"{ours.pair:38s} {ours.size:4d} {ref.seconds / ours.seconds:7.1f}x "
            f"{ours.figures['style_gain']:10.3f} / {ref.figures['style_gain']:.3f} "
            f"{ours.figures['ssim_luma']:10.3f} / {ref.figures['ssim_luma']:.3f}"
        )


def write_grid(rows: list[Row], out: Path, path: Path, height: int = 136) -> None:
    """content | style | result for each pair at the largest size, palette PNG to stay small."""
    engine = [r for r in rows if r.method == "engine"]
    chosen = [r for r in engine if r.size == max(r.size for r in engine)]
    tiles = [
        [
            load_image(photo_path(r.photo)),
            load_image(style_path(r.style)),
            load_image(out / f"engine_{r.photo}_{r.style}_{r.size}.png"),
        ]
        for r in chosen
    ]
    tiles = [
        [t.resize((round(t.size[0] * height / t.size[1]), height)) for t in row] for row in tiles
    ]
    widths = [max(row[i].size[0] for row in tiles) for i in range(3)]
    grid = Image.new("RGB", (sum(widths) + 8, len(tiles) * (height + 4)), "white")
    for y, row in enumerate(tiles):
        for x, tile in enumerate(row):
            grid.paste(tile, (sum(widths[:x]) + 4 * x, y * (height + 4)))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    print(f"grid: {path} ({path.stat().st_size // 1024} KB)")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
