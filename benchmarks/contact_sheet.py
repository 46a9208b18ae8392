"""Seconds to draw the "try every preset" contact sheet, as the bot does it.

    python benchmarks/contact_sheet.py [--photo tubingen.jpg] [--repeats 5] [--cores 0,1]

Paints ../shared/images/photos/PHOTO (1024 px) in every shipped preset (../shared's copies of the
paintings) by the fast method and prints the first run (style vectors not cached yet: a fresh
bot's first sheet) and the median of the warm runs (vectors cached: every later sheet), with
the load average, since other processes sharing the cores make seconds noisy, and the CPU
seconds used, which they do not. --cores pins this
process to those CPUs first (the target is for 2 cores). Needs the Magenta models in
$NST_FAST_MODELS_DIR or ../shared/models.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

from bot.presets import SHIPPED_MANIFEST, load_manifest  # noqa: E402
from nst_engine.images import load_image  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402
from nst_engine.sheet import contact_sheet, jpeg  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photo", default="tubingen.jpg")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cores", default="0,1", help="CPUs to pin to; '' for all")
    args = parser.parse_args()
    if args.cores:
        os.sched_setaffinity(0, {int(core) for core in args.cores.split(",")})
    models = os.environ.get("NST_FAST_MODELS_DIR") or SHARED / "models"

    from nst_engine.fast import FastStylizer  # after pinning: LiteRT sizes its threads then

    stylizer = FastStylizer(models)
    presets = load_manifest(SHIPPED_MANIFEST)
    styles = [(p.title, SHARED / "images" / "styles" / p.filename) for p in presets]
    photo = load_image(SHARED / "images" / "photos" / args.photo)
    settings = Settings(method="fast")
    seconds, cpu = [], []
    for _ in range(args.repeats + 1):
        start, start_cpu = time.perf_counter(), time.process_time()
        jpeg(contact_sheet(stylizer, photo, styles, settings))
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"contact sheet: {len(styles)} presets, photo {photo.width}x{photo.height}, "
        f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"first (style vectors computed): {seconds[0]:.2f} s")
    print(f"warm median of {args.repeats} (vectors cached): {statistics.median(seconds[1:]):.2f} s")
    # CPU seconds do not grow with other processes' load: on 2 idle cores the wall time is at
    # least half of them (all the time both cores are busy) and at most all of them.
    print(f"warm CPU time (all threads): {statistics.median(cpu[1:]):.2f} s")


if __name__ == "__main__":
    main()
