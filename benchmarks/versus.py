"""This checkout's engine against another revision's, in one run, on the same pictures.

    python benchmarks/versus.py REV [--pairs anchors,subjects|PHOTO:STYLE,...] [--size 512]
                                    [--strengths medium] [--out DIR]

Each revision's engine runs in a process of its own (two copies of nst_engine cannot share one
process), built once; the two take turns on every picture, in alternating order, so that
whatever else loads the machine weighs on both alike. For each picture it prints both wall and
CPU seconds and their ratio (this checkout over REV), then both results' quality figures
(../shared/eval/nst_metrics.py, as benchmarks/engine.py measures them) and their difference.
The previous revision is unpacked with `git archive`, outside the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import engine as bench  # noqa: E402 (benchmarks/engine.py: the pairs, their paths, figures)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    bench.use_test_models(args.out)
    previous = unpack(args.rev, args.out / "previous-tree")
    processes = {"previous": start(previous), "current": start(REPO)}
    print(f"load average before: {os.getloadavg()[0]:.2f}; previous = {args.rev}", flush=True)
    rows: list[bench.Row] = []
    jobs = [(p, s, k) for p, s in bench.parse_pairs(args.pairs) for k in args.strengths]
    for index, (photo, style, strength) in enumerate(jobs):
        order = ("previous", "current") if index % 2 == 0 else ("current", "previous")
        for name in order:
            output = args.out / f"{name}_{photo}_{style}_{strength}_{args.size}.png"
            job = {
                "photo": str(bench.photo_path(photo)),
                "style": str(bench.style_path(style)),
                "size": args.size,
                "strength": bench.STRENGTHS[strength],
                "out": str(output),
            }
            done = ask(processes[name], job)
            row = bench.Row(name, photo, style, output, done["seconds"], done["cpu"], done["steps"])
            row.load = os.getloadavg()[0]
            rows.append(row)
            print(f"{name:9s} {row.pair:45s} {row.seconds:7.1f} s {row.cpu_seconds:7.1f} cpu-s")
    for process in processes.values():
        process.stdin.close()  # type: ignore[union-attr]
        process.wait(timeout=60)
    bench.measure(rows)
    print_comparison(rows)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD", help="the revision to compare with")
    parser.add_argument("--pairs", default="anchors")
    parser.add_argument("--strengths", default="medium", help="comma-separated")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nst-versus")
    args = parser.parse_args(argv)
    args.strengths = args.strengths.split(",")
    return args


def unpack(rev: str, folder: Path) -> Path:
    """REV's files in `folder` (replaced if there), without touching the repository."""
    subprocess.run(["rm", "-rf", str(folder)], check=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def start(tree: Path) -> subprocess.Popen[str]:
    """An engine process (benchmarks/engine_process.py) on `tree`'s nst_engine."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(REPO / "benchmarks/engine_process.py")]
    return subprocess.Popen(
        command, cwd=tree, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def ask(process: subprocess.Popen[str], job: dict[str, Any]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(job) + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("an engine process died; its error is above")
    return dict(json.loads(line))


def print_comparison(rows: list[bench.Row]) -> None:
    """One line a picture: seconds, CPU seconds, each ratio (current / previous), figures."""
    pairs: dict[str, dict[str, bench.Row]] = {}
    for row in rows:
        pairs.setdefault(row.pair, {})[row.method] = row
    figures = bench.COLUMNS
    print(
        "\n| pair | seconds prev → now (ratio) | CPU s prev → now (ratio) | "
        + " | ".join(f"{name} prev → now" for name in figures)
        + " |\n|---|---|---|"
        + "---|" * len(figures)
    )
    wall, cpu = [], []
    for pair, by_name in pairs.items():
        before, after = by_name["previous"], by_name["current"]
        wall.append(after.seconds / before.seconds)
        cpu.append(after.cpu_seconds / before.cpu_seconds)
        changes = " | ".join(f"{before.figures[n]:.3f} → {after.figures[n]:.3f}" for n in figures)
        print(
            f"| {pair} | {before.seconds:.1f} → {after.seconds:.1f} ({wall[-1]:.2f}) | "
            f"{before.cpu_seconds:.1f} → {after.cpu_seconds:.1f} ({cpu[-1]:.2f}) | {changes} |"
        )
    print(f"\nratio now/previous: wall {sum(wall) / len(wall):.3f}, CPU {sum(cpu) / len(cpu):.3f}")


if __name__ == "__main__":
    sys.exit(main())
