"""Print size: a 512 px painting continued at 2048 and 4096 px, its time, memory and figures.

    python benchmarks/prints.py [--pairs anchors] [--sides 2048,4096] [--out DIR] [--seam]
                                [--from-photo] [--grid docs/print_grid.png]

For each pair it paints 512 px (default settings), then continues that painting at each side in
a process of its own, so the peak memory printed is that print's alone (RSS; on JAX with a GPU,
the device's peak too). --from-photo paints each side from the photo instead, as `nst stylize
--size SIDE` does (Engine.run paints 512 px, then continues it): time and memory of both. The
figures (../shared/eval/nst_metrics.py): the print shrunk to 512 px against the 512 px painting
(it must keep its style_gain and gain@128 within 0.02), and at its own size (its style_gain
must not be below the 512 px one's). --seam compares, at the first pair's 2048 px print, the
loss and gradient computed window by window with the whole canvas's (maximum difference over
the gradient's largest value; float32 rounding is about 1e-6).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import engine as bench  # noqa: E402 (benchmarks/engine.py: pairs, paths, figures)

MEASURED_SIDE = 2048


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", default="anchors")
    parser.add_argument("--sides", default="2048,4096")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nst-prints")
    parser.add_argument("--seam", action="store_true")
    parser.add_argument("--from-photo", action="store_true")
    parser.add_argument("--grid", type=Path, default=None)
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)  # PHOTO STYLE SIDE OUT
    args = parser.parse_args(argv)
    bench.use_test_models(args.out)
    if args.one:
        photo, style, side, output = args.one
        return paint_one(photo, style, side, output, args.from_photo)
    args.out.mkdir(parents=True, exist_ok=True)
    sides = [int(side) for side in args.sides.split(",")]
    rows: list[bench.Row] = []
    for photo, style in bench.parse_pairs(args.pairs):
        for side in [512, *sides]:
            output = args.out / f"{photo}_{style}_{side}.png"
            report = run_child(photo, style, side, output, args.from_photo)
            rows.append(bench.Row(str(side), photo, style, output, report["seconds"]))
            print(json.dumps({"pair": f"{photo} x {style}", **report}), flush=True)
    measure(rows)
    print_table(rows)
    if args.seam:
        first = rows[0]
        print(seam(first.photo, first.style, args.out / f"{first.photo}_{first.style}_512.png"))
    if args.grid:
        write_grid(rows, args.grid)
    return 0


def run_child(photo: str, style: str, side: int, output: Path, from_photo: bool) -> dict[str, Any]:
    """One painting (512 px) or print (larger, from the 512 px one, or from_photo: painted
    from the photo) in a process of its own."""
    command = [sys.executable, __file__, "--one", photo, style, str(side), str(output)]
    command += ["--from-photo"] if from_photo else []
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def paint_one(photo: str, style: str, side_text: str, output: str, from_photo: bool) -> int:
    from nst_engine.engine import Engine
    from nst_engine.settings import Settings

    side = int(side_text)
    engine = Engine(
        bench.SHARED / "models/vgg19_normalised_to_block4_conv1.h5",
        fast_models_dir=bench.SHARED / "models",
        face_models_dir=os.environ["NST_FACE_MODELS_DIR"],  # use_test_models
    )
    painted = Path(output).with_name(f"{photo}_{style}_512.png")
    resume = painted if side > 512 and not from_photo else None
    began, cpu = time.perf_counter(), time.process_time()
    result = engine.run(
        bench.photo_path(photo), bench.style_path(style), Settings(max_side=side), resume=resume
    )
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    result.image.save(output)
    report = {
        "side": side,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "steps": result.steps,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": result.device,
    }
    print(json.dumps(report))
    return 0


def measure(rows: list[bench.Row]) -> None:
    """Each result's figures at its own size (up to 2048 px: the metric networks at 4096 px
    would need 13 GB), and each print's shrunk to 512 px (suffix _at512)."""
    bench.measure([row for row in rows if int(row.method) <= MEASURED_SIDE])
    from PIL import Image

    shrunk = []
    for row in rows:
        if row.method != "512":
            image = Image.open(row.output)
            scale = 512 / max(image.size)
            small = image.resize(
                (round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS
            )
            path = row.output.with_name(row.output.stem + "_at512.png")
            small.save(path)
            shrunk.append(bench.Row(row.method, row.photo, row.style, path))
    bench.measure(shrunk)
    for row, small_row in zip([r for r in rows if r.method != "512"], shrunk, strict=True):
        row.figures.update({f"{k}_at512": v for k, v in small_row.figures.items()})


def print_table(rows: list[bench.Row]) -> None:
    base = {r.pair: r for r in rows if r.method == "512"}
    print(
        "\n| pair | side | seconds | style_gain (own size) | style_gain at 512 | "
        "gain@128 at 512 | 512 px: style_gain, gain@128 |\n|---|---:|---:|---:|---:|---:|---|"
    )
    for row in rows:
        if row.method == "512":
            continue
        painted = base[row.pair].figures
        own = row.figures.get("style_gain")
        print(
            f"| {row.pair} | {row.method} | {row.seconds:.0f} | "
            f"{'' if own is None else f'{own:.3f}'} | "
            f"{row.figures['style_gain_at512']:.3f} | {row.figures['style_gain_128_at512']:.3f} | "
            f"{painted['style_gain']:.3f}, {painted['style_gain_128']:.3f} |"
        )


def seam(photo: str, style: str, painted: Path) -> str:
    """The first finer print scale's loss and gradient at 2048 px, by windows and whole."""
    import numpy as np

    from nst_engine import backend, gatys, plans
    from nst_engine.backend import ops
    from nst_engine.canvas import fit, resize
    from nst_engine.engine import Engine
    from nst_engine.images import load_image, resize_longer_side, to_caffe
    from nst_engine.losses import LossWeights, Scale
    from nst_engine.tiles import GRID, TiledObjective, tiling_for

    engine = Engine(
        bench.SHARED / "models/vgg19_normalised_to_block4_conv1.h5", precision="float32"
    )
    objective = engine._objective(gatys.PRINT_LAYER_SET)
    photo_image = resize_longer_side(load_image(bench.photo_path(photo)), 2048)
    canvas = fit(photo_image.size, buckets=False, multiple=GRID)
    x = ops.convert_to_tensor(canvas.place(resize(to_caffe(load_image(painted)), photo_image.size)))
    keep = ops.convert_to_tensor(canvas.place(to_caffe(photo_image)))
    contents = objective.contents(keep, canvas)
    masks = [ops.zeros((*c.shape[:3], 1)) for c in contents]
    style_target = objective.style_target([(load_image(bench.style_path(style)), 1.0)], 1024, False)
    scale = Scale(ops.convert_to_tensor(canvas.region()), style_target, contents, contents, masks)
    weights = LossWeights(
        style=1.0, content=gatys.CARRY_WEIGHT, total_variation=gatys.FINE_TV_WEIGHT, moments=1.0
    )
    whole, grad = backend.value_and_grad(objective.loss)(x, objective.parameters, scale, weights)
    tiled = TiledObjective(objective, tiling_for(objective.layers.outputs, plans.PRINT_TILE_MEMORY))
    windows = len(tiled.tiling.windows(canvas.shape))
    by_windows, tiled_grad = tiled.value_and_grad(x, scale, weights, tiled.normalisers(scale))
    difference = np.abs(ops.convert_to_numpy(tiled_grad) - ops.convert_to_numpy(grad)).max()
    largest = np.abs(ops.convert_to_numpy(grad)).max()
    return (
        f"seam at {canvas.shape[1]}x{canvas.shape[0]} in {windows} windows: loss "
        f"{float(whole):.6f} whole, {float(by_windows):.6f} by windows; gradient's largest "
        f"difference / its largest value: {difference / largest:.2e}"
    )


def write_grid(rows: list[bench.Row], path: Path, height: int = 300) -> None:
    """The first pair: the 512 px painting, the 2048 px print (both shrunk to `height`), and a
    1:1 crop of each from the middle, the 512 px one enlarged 4x to the same scale."""
    from PIL import Image

    painted = Image.open(next(r.output for r in rows if r.method == "512"))
    printed = Image.open(next(r.output for r in rows if r.method == "2048"))
    box = (printed.width // 2 - 150, printed.height // 2 - 150)
    crop = printed.crop((*box, box[0] + 300, box[1] + 300))
    small_box = (box[0] // 4, box[1] // 4)
    enlarged = painted.crop((*small_box, small_box[0] + 75, small_box[1] + 75)).resize(
        (300, 300), Image.Resampling.NEAREST
    )
    tiles = [
        painted.resize((round(painted.width * height / painted.height), height)),
        printed.resize((round(printed.width * height / printed.height), height)),
        enlarged,
        crop,
    ]
    grid = Image.new("RGB", (sum(t.width for t in tiles) + 12, height), "white")
    left = 0
    for tile in tiles:
        grid.paste(tile, (left, 0))
        left += tile.width + 4
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.save(path, optimize=True)
    print(f"grid: {path}")


if __name__ == "__main__":
    sys.exit(main())
