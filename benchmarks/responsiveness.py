"""Does the chat stay responsive while a painting is being made? /help round trips, idle and busy.

The bot runs as `python -m bot`, a separate process as in production, against the fake Bot API
(tests/fakebot) served from this process. One user starts a job big enough to keep every core busy
for the whole measurement; another sends /help again and again. The figure is the time from the
update being available to the bot until the bot's sendMessage reaches the server, which is
what a person would feel, over --requests requests: p50 and p99, with the bot process's CPU use
during the measurement to show the engine really was running flat out.

    python benchmarks/responsiveness.py [--requests 100] [--side 512] [--json]

Needs the VGG19 weights: $NST_VGG19_WEIGHTS, else ../shared/models' copy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # for tests.fakebot when run as a script

from bot.jobs.store import Store  # noqa: E402
from bot.models import UserSettings  # noqa: E402
from tests.fakebot import FakeTelegram, FakeUser  # noqa: E402

SHARED = REPO_ROOT.parent / "shared"
PAUSE_S = 0.05  # between requests, so each one meets the bot in a different moment of a step
WARM_UP = 5


@dataclass
class Figures:
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    bot_cpu_percent: float  # of one core; 200 = both cores of a 2-core machine
    load_average: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def round_trips(user: FakeUser, count: int) -> list[float]:
    """Seconds from each /help being available to the bot to its answer arriving."""
    latencies = []
    for _ in range(count):
        sent = time.monotonic()
        await user.send_message("/help")
        answer = await user.wait_for("sendMessage", within=30)
        latencies.append(answer.received_at - sent)
        await asyncio.sleep(PAUSE_S)
    return latencies


async def measure(user: FakeUser, count: int, pid: int) -> Figures:
    await round_trips(user, WARM_UP)
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    latencies = await round_trips(user, count)
    cpu = (cpu_seconds(pid) - cpu_before) / (time.monotonic() - wall_before)
    return Figures(
        requests=count,
        p50_ms=round(statistics.median(latencies) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        max_ms=round(max(latencies) * 1000, 1),
        bot_cpu_percent=round(cpu * 100),
        load_average=round(os.getloadavg()[0], 2),
    )


async def run(requests: int, side: int) -> dict[str, Figures]:
    weights = os.environ.get("NST_VGG19_WEIGHTS") or str(
        SHARED / "models" / "vgg19_normalised_to_block4_conv1.h5"
    )
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        async with FakeTelegram() as telegram:
            sender, asker = telegram.user("Sender"), telegram.user("Asker")
            store = await Store.open(data / "bot.sqlite3")
            await store.save_settings(sender.id, UserSettings(preview=False))
            await store.close()
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_BASE_URL": telegram.base_url,
                "TELEGRAM_BASE_FILE_URL": telegram.base_file_url,
                "NST_DATA_DIR": str(data),
                "NST_VGG19_WEIGHTS": weights,
                "NST_STANDARD_SIDE": str(side),
                "NST_JOB_TIMEOUT": "3600",
                "LOG_LEVEL": "WARNING",
            }
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env
            )
            try:
                await telegram.wait_for_poll(within=180)
                idle = await measure(asker, requests, bot.pid)

                await sender.send_photo(SHARED / "images" / "photos" / "tubingen.jpg")
                await sender.send_photo(SHARED / "images" / "styles" / "starry_night.jpg")
                await sender.wait_for("editMessageText", text=lambda s: "%" in s, within=120)
                busy = await measure(asker, requests, bot.pid)
                finished = [c for c in telegram.calls if c.method == "sendDocument"]
                if finished:
                    raise SystemExit(f"the job ended during the measurement: raise --side ({side})")
            finally:
                bot.terminate()
                await bot.wait()
    return {"idle": idle, "busy": busy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--side", type=int, default=512, help="the busy job's output side")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures = asyncio.run(run(args.requests, args.side))
    if args.json:
        print(json.dumps({name: asdict(f) for name, f in figures.items()}, indent=2))
        return
    print(f"/help round trips, {os.cpu_count()} CPU cores, job side {args.side} px")
    print(f"{'':6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'bot CPU %':>10} {'load':>6}")
    for name, f in figures.items():
        print(
            f"{name:6} {f.p50_ms:8.1f} {f.p99_ms:8.1f} {f.max_ms:8.1f} "
            f"{f.bot_cpu_percent:10d} {f.load_average:6.2f}"
        )


if __name__ == "__main__":
    main()
