"""docs/gpu-figures.md from a run of benchmarks/gpu.sh, beside the same pictures painted here.

    python benchmarks/gpu_report.py DIR [--cpu DIR] [--report docs/gpu-figures.md]

DIR holds what gpu.sh wrote (cold.json, restart.json, results.tar, gpu-log.txt). The GPU
machine has no TensorFlow, so the quality figures (../shared/eval/nst_metrics.py) are taken
here: for each picture the GPU painted, this machine paints the same pair at the same size on
its own backend (TensorFlow on the CPU; kept in --cpu, so a second report paints nothing) and
both are measured alike.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import engine as bench  # noqa: E402 (benchmarks/engine.py: paths, figures)

TARGETS = {512: 0.5, 1024: 1.0}  # warm seconds a job (issue: the GPU engine)
FIGURE_TOLERANCE = 0.01


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--cpu", type=Path, default=Path(tempfile.gettempdir()) / "nst-cpu")
    parser.add_argument("--report", type=Path, default=REPO / "docs/gpu-figures.md")
    args = parser.parse_args(argv)
    cold = json.loads((args.results / "cold.json").read_text())
    restart = json.loads((args.results / "restart.json").read_text())
    gpu = args.results / "gpu"
    with tarfile.open(args.results / "results.tar") as archive:
        archive.extractall(gpu, filter="data")
    args.cpu.mkdir(parents=True, exist_ok=True)
    rows = []
    for job in cold["jobs"]:
        name = f"{job['photo']}_{job['style']}_{job['size']}.png"
        rows.append(bench.Row("gpu", job["photo"], job["style"], gpu / name, job["warm_s"]))
        rows.append(bench.Row("cpu", job["photo"], job["style"], paint_here(job, args.cpu / name)))
    bench.measure(rows)
    log = (args.results / "gpu-log.txt").read_text().splitlines()
    args.report.write_text(render(cold, restart, rows, log))
    print(f"written: {args.report}")
    return 0


def paint_here(job: dict[str, Any], output: Path) -> Path:
    """The same job on this machine's engine, unless an earlier report painted it already."""
    if not output.exists():
        from nst_engine.settings import Settings

        photo, style = bench.photo_path(job["photo"]), bench.style_path(job["style"])
        local_engine().run(photo, style, Settings(max_side=job["size"])).image.save(output)
        print(f"painted here: {output.name}", flush=True)
    return output


@functools.cache
def local_engine() -> Any:
    from nst_engine.engine import Engine

    weights = bench.SHARED / "models/vgg19_normalised_to_block4_conv1.h5"
    return Engine(weights, fast_models_dir=bench.SHARED / "models")


def render(
    cold: dict[str, Any], restart: dict[str, Any], rows: list[bench.Row], log: list[str]
) -> str:
    lines = [
        "# GPU figures (benchmarks/gpu.sh, benchmarks/gpu_report.py)",
        "",
        *[f"- {line}" for line in log if line.startswith(("machine", "python", "whole"))],
        f"- backend {cold['backend']}, {cold['device']}, precision {cold['precision']}",
        "",
        "## Time",
        "",
        "| what | seconds |",
        "|---|---:|",
        f"| import (Keras, JAX) in a new process | {cold['import_s']:.1f} |",
        f"| engine build (VGG19, weights, preview, face detectors) | {cold['build_s']:.1f} |",
        f"| first job in a new process, empty compilation cache | {cold['first_job_s']:.1f} |",
        f"| warm-up of every canvas for {cold.get('sizes', '512 and 1024 px')} | "
        f"{cold['warm_up_s']:.1f} |",
        f"| restarted process: first job, before any warm-up (cache on disk) | "
        f"{restart['first_job_s']:.1f} |",
        f"| restarted process: from start to that job's end | {restart['since_start_s']:.1f} |",
        f"| restarted process: warm-up from the cache | {restart['warm_up_s']:.1f} |",
        f"| compilation cache on disk | {cold['cache_mb']:.0f} MB |",
        f"| GPU memory, peak | {cold['gpu_peak_mb'] or 0:.0f} MB |",
        "",
        "Every job below is `Engine.run` with default settings (medium strength, the warm start",
        "and the face detectors included), its wall time after the warm-up:",
        "",
        "| pair | size | first run (s) | warm (s) | target |",
        "|---|---:|---:|---:|---|",
    ]
    for job in cold["jobs"]:
        target = TARGETS.get(job["size"])
        met = "" if target is None else ("met" if job["warm_s"] <= target else "NOT met")
        lines.append(
            f"| {job['photo']} x {job['style']} | {job['size']} | {job['first_s']:.2f} | "
            f"{job['warm_s']:.2f} | {met} |"
        )
    lines += ["", "Photos cropped to other aspect ratios, each painted once after the warm-up:", ""]
    lines += ["| aspect (w/h) | crop | seconds |", "|---:|---|---:|"]
    lines += [
        f"| {a['aspect']} | {a['crop'][0]}x{a['crop'][1]} | {a['seconds']:.2f} |"
        for a in cold["aspects"]
    ]
    lines += ["", "## Figures: the GPU's pictures against this CPU's (TensorFlow)", ""]
    lines += [
        "| pair | size | "
        + " | ".join(f"{c} GPU / CPU" for c in bench.COLUMNS)
        + " | largest gap |",
        "|---|---:|" + "---|" * len(bench.COLUMNS) + "---:|",
    ]
    by_key = {(r.method, r.pair, r.output.name): r for r in rows}
    for row in rows:
        if row.method != "gpu":
            continue
        cpu = by_key[("cpu", row.pair, row.output.name)]
        gaps = [abs(row.figures[c] - cpu.figures[c]) for c in bench.COLUMNS]
        cells = " | ".join(f"{row.figures[c]:.3f} / {cpu.figures[c]:.3f}" for c in bench.COLUMNS)
        size = row.output.stem.rsplit("_", 1)[-1]
        flag = "" if max(gaps) <= FIGURE_TOLERANCE else " (over 0.01)"
        lines.append(f"| {row.pair} | {size} | {cells} | {max(gaps):.3f}{flag} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
