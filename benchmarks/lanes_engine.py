"""A painting while a print runs, in one process: does the print have to stand aside?

    python benchmarks/lanes_engine.py [--runs 3] [--print-side 4096] [--json]

The choice issue 33 asks to make by measurement, on the engine alone (no Telegram, no queue):
person B's 512 px painting (the bot's standard settings) timed

- alone, on an idle engine;
- beside a print running on a second Engine of its own, on its own thread (a lane of its own:
  the two share the cores, as TensorFlow runs every engine's ops on one process-wide pool);
- beside a print on the same Engine that stands aside at its yield points while the painting
  runs (cooperative preemption: its state waits in memory, then it goes on).

The print (4096 px from a 512 px painting) is started first, and the painting once the print
has made its first step at its full side, so the painting meets the print's costliest scale. The
print is cancelled once the painting is done. Wall and CPU seconds (user+sys of the process)
are printed with the load average, and each painting's time over the alone time of the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst_engine.errors import Cancelled  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED") or REPO.parent / "shared")
WEIGHTS = SHARED / "models/vgg19_normalised_to_block4_conv1.h5"
PRINT_PHOTO = SHARED / "images/photos/tubingen.jpg"
PRINT_STYLE = SHARED / "images/styles/starry_night.jpg"
PAINTING_PHOTO = SHARED / "images/photos/golden_gate.jpg"
PAINTING_STYLE = SHARED / "images/styles/the_scream.jpg"
# The bot's standard quality: 512 px, medium strength, the engine's own step budget.
STANDARD = Settings(max_side=512)


@dataclass
class Timing:
    """One painting: wall seconds, the process's CPU seconds meanwhile (a print's included), and
    the machine's load when it ended."""

    way: str
    wall_s: float
    cpu_s: float
    load: float


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def paint(engine: object, way: str) -> Timing:
    wall, cpu = time.perf_counter(), cpu_s()
    engine.run(PAINTING_PHOTO, PAINTING_STYLE, STANDARD)  # type: ignore[attr-defined]
    return Timing(way, time.perf_counter() - wall, cpu_s() - cpu, os.getloadavg()[0])


# A print's progress counts pixels times steps: from 512 px, 1024 px (4 steps), 2048 px (3) and
# 4096 px (3) are 4 + 12 + 48 parts, so past a quarter it paints at its full side (2048 px: the
# same quarter).
FULL_SIDE_FROM = 0.25


class Print:
    """A print on its own thread, from `painted` (512 px) to `side`. `at_full_side` is set once
    it has made a step at its full side; with `yields`, it stands aside while `painting` is set."""

    def __init__(self, engine: object, painted: Path, side: int, yields: bool) -> None:
        self.cancel = threading.Event()
        self.at_full_side = threading.Event()
        self.painting = threading.Event()

        def progress(fraction: float, _preview: object) -> None:
            if fraction > FULL_SIDE_FROM:
                self.at_full_side.set()

        def run() -> None:
            with contextlib.suppress(Cancelled):  # stopped once the painting is done
                engine.run(  # type: ignore[attr-defined]
                    PRINT_PHOTO,
                    PRINT_STYLE,
                    Settings(max_side=side),
                    progress=progress,
                    cancel=self.cancel,
                    resume=painted,
                    pause=self.stand_aside if yields else None,
                )

        self.thread = threading.Thread(target=run, name="print")
        self.thread.start()

    def stand_aside(self) -> None:
        """The print's yield point: wait while the painting runs."""
        while self.painting.is_set() and not self.cancel.is_set():
            self.cancel.wait(0.02)

    def stop(self) -> None:
        self.cancel.set()
        self.thread.join()


def beside_print(painter: object, printer: object, painted: Path, side: int, way: str) -> Timing:
    job = Print(printer, painted, side, yields=painter is printer)
    if not job.at_full_side.wait(3600):
        raise SystemExit("the print never reached its full side")
    job.painting.set()
    try:
        return paint(painter, way)
    finally:
        job.painting.clear()
        job.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--print-side", type=int, default=4096)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from nst_engine.engine import Engine

    engines = [Engine(WEIGHTS, fast_models_dir=SHARED / "models") for _ in range(2)]
    for engine in engines:
        engine.warm_up((512,))
    with tempfile.TemporaryDirectory() as scratch:
        painted = Path(scratch) / "painted.png"
        engines[0].run(PRINT_PHOTO, PRINT_STYLE, STANDARD).image.save(painted)
        timings: list[Timing] = []
        for run in range(args.runs):
            timings.append(paint(engines[0], "alone"))
            timings.append(beside_print(engines[0], engines[1], painted, args.print_side, "lane"))
            timings.append(beside_print(engines[0], engines[0], painted, args.print_side, "yield"))
            for timing in timings[-3:]:
                print(json.dumps({"run": run + 1, **asdict(timing)}), flush=True)
    report(timings, args.json)


def report(timings: list[Timing], as_json: bool) -> None:
    alone = [t for t in timings if t.way == "alone"]
    rows = []
    for way in ("alone", "lane", "yield"):
        mine = [t for t in timings if t.way == way]
        ratios = [t.wall_s / a.wall_s for t, a in zip(mine, alone, strict=True)]
        rows.append(
            {
                "way": way,
                "wall_s": round(statistics.median(t.wall_s for t in mine), 1),
                "cpu_s": round(statistics.median(t.cpu_s for t in mine), 1),
                "vs_alone": round(statistics.median(ratios), 2),
                "load": round(statistics.median(t.load for t in mine), 1),
            }
        )
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    print(f"\n{os.cpu_count()} cores; B's 512 px painting, medians of {len(alone)} runs")
    print("| B's painting | wall s | process CPU s | vs alone (same run) | load |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['way']} | {row['wall_s']} | {row['cpu_s']} | {row['vs_alone']}× "
            f"| {row['load']} |"
        )


if __name__ == "__main__":
    main()
