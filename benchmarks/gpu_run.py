"""The engine's timings on the machine it runs on, phase by phase, for benchmarks/gpu.sh.

    python benchmarks/gpu_run.py cold|restart OUT [--sizes 512,1024] [--pairs ...]

Each phase is a process of its own, so that "a new process" is one:
- cold: with an empty compilation cache, the first job (compiling as it goes), then warm_up
  for --sizes, then every pair at every size twice (the second is the warm time), then photos
  of other aspect ratios, each once; the results are saved as PNGs.
- restart: with the cache the cold phase filled, the first job before any warm-up, then
  warm_up from the cache, then one warm job.
- print: two pairs painted at 512 px and continued at 2048 and 4096 px (print size), each twice,
  with the GPU's peak memory after each size.
Every figure goes to OUT/<phase>.json (seconds are wall clock; jobs are `Engine.run` with
default settings, medium strength, the warm start and the face detectors included).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import engine as bench  # noqa: E402 (benchmarks/engine.py: the pairs and their paths)

# Crops of the photos to aspect ratios (width / height) other than their own.
ASPECT_RATIOS = (3 / 2, 16 / 9, 1.0, 2.0, 3 / 4, 9 / 16, 0.5)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phase", choices=("cold", "restart", "print"))
    parser.add_argument("out", type=Path)
    parser.add_argument("--sizes", default="512,1024")
    parser.add_argument("--pairs", default="anchors,astronaut:starry_night,chelsea:great_wave")
    parser.add_argument("--print-sides", default="2048,4096")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    sizes = [int(size) for size in args.sizes.split(",")]
    pairs = bench.parse_pairs(args.pairs)
    report: dict[str, Any] = {"phase": args.phase}
    from nst_engine.engine import Engine
    from nst_engine.settings import Settings

    report["import_s"] = time.perf_counter() - STARTED
    began = time.perf_counter()
    engine = Engine(
        bench.SHARED / "models/vgg19_normalised_to_block4_conv1.h5",
        fast_models_dir=bench.SHARED / "models",
        face_models_dir=bench.SHARED / "models",
    )
    preview, faces = engine.load_fast(), engine.load_faces()
    report.update(
        build_s=time.perf_counter() - began,
        backend=engine.backend,
        device=engine.device,
        precision=engine.precision or "float32",
        cache=str(engine.compilation_cache),
        preview=preview or "loaded",
        faces=faces or "loaded",
    )
    print(json.dumps(report), flush=True)

    def job(
        photo: Any, style: str, size: int, save: str | None = None, resume: Any = None
    ) -> float:
        settings = Settings(max_side=size)
        began = time.perf_counter()
        result = engine.run(photo, bench.style_path(style), settings, resume=resume)
        seconds = time.perf_counter() - began
        if save:
            result.image.save(args.out / save, quality=92)
        return seconds

    first_photo, first_style = pairs[0]
    first = job(bench.photo_path(first_photo), first_style, sizes[0])
    report["first_job_s"] = first
    report["since_start_s"] = time.perf_counter() - STARTED
    print(f"first job: {first:.2f} s ({report['since_start_s']:.1f} s since start)", flush=True)
    report["warm_up_s"] = engine.warm_up(sizes)
    print(f"warm-up {sizes}: {report['warm_up_s']:.1f} s", flush=True)
    if args.phase == "restart":
        report["warm_job_s"] = job(bench.photo_path(first_photo), first_style, sizes[0])
    elif args.phase == "print":
        print_sides = [int(side) for side in args.print_sides.split(",")]
        report["prints"] = print_jobs(job, pairs[:2], sizes[0], print_sides, args.out)
    else:
        report["jobs"] = [
            {
                "photo": photo,
                "style": style,
                "size": size,
                "first_s": job(bench.photo_path(photo), style, size),
                "warm_s": job(bench.photo_path(photo), style, size, f"{photo}_{style}_{size}.png"),
            }
            for size in sizes
            for photo, style in pairs
        ]
        for row in report["jobs"]:
            print(json.dumps(row), flush=True)
        report["aspects"] = aspect_jobs(job, first_photo, first_style, sizes[0])
    report["cache_mb"] = folder_mb(Path(report["cache"]))
    report["gpu_peak_mb"] = device_peak_mb()
    (args.out / f"{args.phase}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "jobs"}), flush=True)
    return 0


def print_jobs(
    job: Any, pairs: list[tuple[str, str]], painted: int, sides: list[int], out: Path
) -> list[dict[str, Any]]:
    """Each pair painted at `painted` px, then continued at each of `sides`, twice (the first
    compiles the windows' programs); the first pair's prints are kept as JPEGs."""
    rows = []
    for index, (photo, style) in enumerate(pairs):
        base = out / f"print_{photo}_{style}_{painted}.png"
        job(bench.photo_path(photo), style, painted, base.name)
        for side in sides:
            save = f"print_{photo}_{style}_{side}.jpg" if index == 0 else None
            first = job(bench.photo_path(photo), style, side, resume=base)
            warm = job(bench.photo_path(photo), style, side, save, resume=base)
            row = {"photo": photo, "style": style, "size": side, "first_s": first, "warm_s": warm}
            row["gpu_peak_mb"] = device_peak_mb()
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def aspect_jobs(job: Any, photo: str, style: str, size: int) -> list[dict[str, Any]]:
    """The photo cropped to each of ASPECT_RATIOS, once each: what a new photo's shape costs."""
    from nst_engine.images import load_image

    picture = load_image(bench.photo_path(photo))
    rows = []
    for ratio in ASPECT_RATIOS:
        width, height = picture.size
        crop = (min(width, round(height * ratio)), min(height, round(width / ratio)))
        seconds = job(picture.crop((0, 0, *crop)), style, size)
        rows.append({"aspect": round(ratio, 3), "crop": crop, "seconds": seconds})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def folder_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


def device_peak_mb() -> float | None:
    """The accelerator's peak memory in use, where the backend says (JAX on a GPU)."""
    if os.environ.get("KERAS_BACKEND") != "jax":
        return None
    import jax

    stats = jax.devices()[0].memory_stats() or {}
    peak = stats.get("peak_bytes_in_use")
    return peak / 2**20 if peak else None


if __name__ == "__main__":
    sys.exit(main())
