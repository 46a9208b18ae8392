"""Jobs on remote workers: a real Redis, real `nst-worker` processes, our bot against the fake API.

One Redis (AOF on, a password) and two workers serve these tests (tests/remotefixtures.py:
emptied before each test, what a test broke mended); the bot runs in the test (or as
`python -m bot` where it gets killed). Jobs use the fast method or 64-px quality runs; a test
that needs one in flight (to cancel it, kill its worker, restart Redis under it) holds it after
its first step with the workers' hold (tests/holds.py), never by making it slow. Results are
counted at the fake Telegram server: exactly one result photo per user, to that user's chat, is
the promise under test.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data as skimage_data

from bot.app import build_application
from bot.chat.services import services
from bot.config import EngineOptions
from bot.jobs.channel import PERSON_KEY, TaskKeys, TaskSettings, WorkerInfo
from bot.jobs.fast_service import FastService
from bot.jobs.remote import RemoteRunner
from bot.jobs.store import Store
from bot.models import (
    Delivery,
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    PersonMode,
    Quality,
    UserSettings,
)
from bot.texts import t
from nst_engine import animation
from nst_engine.errors import EngineError
from nst_engine.settings import Settings
from tests.botfixtures import RunningBot, tiny_config
from tests.conftest import REPO_ROOT, SHARED, packages_loaded_by
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg, running
from tests.remotefixtures import LEASE_S, RedisServer, Workers, wait_until
from tests.test_animation import make_clip
from tests.test_operations import scrape
from tests.test_startup import free_port

QUALITY_SIDE = 64
FAST = UserSettings(quality=Quality.FAST)
QUALITY = UserSettings(quality=Quality.STANDARD, preview=False)  # one task: no preview's


async def eventually(condition: Callable[[], bool], within: float, what: str) -> None:
    """wait_until, off the event loop, so the bot in this process keeps running meanwhile."""
    await asyncio.to_thread(wait_until, condition, within, lambda: what)


def results(telegram: FakeTelegram, user: FakeUser) -> list[Call]:
    """The result photos (not previews) that reached this user's chat."""
    return [
        c
        for c in telegram.calls
        if c.method == "sendPhoto"
        and c.ok
        and c.params.get("chat_id") == user.id
        and "🖼" in c.params.get("caption", "")
    ]


async def order(user: FakeUser, color: tuple[int, int, int] = (200, 40, 40)) -> None:
    """A photo, then a painting: the user's job is queued."""
    await user.send_photo(jpeg(120, 90, color))
    await user.send_photo(jpeg(80, 80, (30, 60, 200)))


def done(user: FakeUser, within: float) -> Any:
    return user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=within)


@asynccontextmanager
async def remote_bot(
    telegram: FakeTelegram, tmp_path: Path, presets: Path, redis: RedisServer, **overrides: Any
) -> AsyncIterator[RunningBot]:
    """Our bot with NST_REDIS_URL set: no engine in this process, jobs go to the workers."""
    values = {"redis_url": redis.url, "lease_s": LEASE_S, "standard_side": QUALITY_SIDE}
    config = tiny_config(telegram, tmp_path / "data", presets, **{**values, **overrides})
    application = build_application(config)
    async with running(application):
        yield RunningBot(application, services(application.bot_data), config)


async def keys_deleted(redis: RedisServer, job_id: int) -> None:
    """The job's keys (images, result, lease, events) go once the job has ended."""
    await eventually(
        lambda: not redis.client.keys(f"nst:task:{job_id}.*"), 60, f"job {job_id}'s keys deleted"
    )


def lease_holder(redis: RedisServer, key: str) -> str | None:
    """The worker running the task now, from its lease ("<worker>:<run>")."""
    value = redis.client.get(TaskKeys(key).lease)
    return value.decode().rsplit(":", 1)[0] if isinstance(value, bytes) else None


def fake_job(job_id: int) -> Job:
    """A job as RemoteRunner sees it (only its id matters there)."""
    file = FileRef("f", "u")
    request = JobRequest(1, 1, file, file, None, FAST)
    return Job(job_id, request, JobStatus.RUNNING)


def tasks_done(log: str) -> list[str]:
    return re.findall(r"task (\S+) done$", log, re.MULTILINE)


async def test_two_workers_share_ten_users_each_gets_one_result(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    health = await asyncio.to_thread(
        run_worker, {"NST_WORKER_HEARTBEAT": str(cluster.heartbeat("w1"))}, "health"
    )
    assert health.returncode == 0, health.stderr
    people = [make_user(f"P{i}") for i in range(10)]
    # More jobs in flight than workers: both always find one waiting in the stream.
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis, concurrent_jobs=4) as bot:
        for person in people:
            await bot.services.store.save_settings(person.id, FAST)
        await asyncio.gather(*(order(p, (20 * i, 40, 40)) for i, p in enumerate(people)))
        await asyncio.gather(*(done(p, 120) for p in people))
        for person in people:
            job = await bot.services.store.last_job(person.id)
            assert (
                job is not None and job.status is JobStatus.DONE and job.delivery is Delivery.SENT
            )
            await keys_deleted(cluster.redis, job.id)

        async def idle() -> bool:
            capacity = await bot.services.dispatcher.capacity()
            return (capacity.engines, capacity.busy, capacity.remote) == (2, 0, True)

        deadline = asyncio.get_running_loop().time() + 60
        while not await idle():  # the heartbeats catch up within a beat (lease_s / 3)
            assert asyncio.get_running_loop().time() < deadline, "workers never showed idle"
            await asyncio.sleep(0.05)
        await people[0].send_message("/status")
        idle_text = t("en", "status_idle")
        online = t("en", "status_capacity", engines=2, busy=0, queue=0)
        await people[0].wait_for("sendMessage", text=f"{idle_text}\n\n{online}")

    assert [len(results(telegram, p)) for p in people] == [1] * 10  # each to its own chat
    ran = {name: tasks_done(cluster.log(name)) for name in ("w1", "w2")}
    assert sorted(ran["w1"] + ran["w2"]) == sorted(f"{n}.fast" for n in range(1, 11)), ran
    assert ran["w1"] and ran["w2"], ran


async def test_cancel_stops_a_remote_run_and_deletes_its_keys(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        cluster.hold.close()
        await order(user)
        await cluster.hold.until_held()
        await user.wait_for("editMessageText", text=lambda s: "▰" in s or "▱" in s, within=60)
        await user.send_message("/cancel")
        asked = time.monotonic()
        await user.wait_for("editMessageText", text=t("en", "job_cancelled"), within=30)
        stopped_s = time.monotonic() - asked
        await keys_deleted(cluster.redis, 1)
    assert results(telegram, user) == []
    assert tasks_done(cluster.log("w1")) + tasks_done(cluster.log("w2")) == []
    print(f"cancel to cancelled: {stopped_s:.2f} s")


async def test_redis_restarted_mid_job_loses_nothing(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        cluster.hold.close()
        await order(user)
        await cluster.hold.until_held()
        await asyncio.to_thread(cluster.redis.restart)  # AOF brings back the keys and the stream
        cluster.hold.open()
        await done(user, 90)
    assert len(results(telegram, user)) == 1


async def test_bot_killed_while_remote_jobs_run_each_result_is_delivered_once(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    store = await Store.open(data / "bot.sqlite3")
    people = [make_user(f"P{i}") for i in range(2)]  # one job on each worker when it dies
    for person in people:
        await store.save_settings(person.id, QUALITY)
    await store.close()
    env = bot_env(telegram, data, cluster.redis.url, presets_dir, NST_CONCURRENT_JOBS="2")
    cluster.hold.close()

    async def launch(n: int) -> asyncio.subprocess.Process:
        with (tmp_path / f"bot-{n}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=log, stderr=log
            )
        await telegram.wait_for_poll(within=60)
        return process

    first = await launch(1)
    try:
        await asyncio.gather(*(order(p, (60 * i, 40, 40)) for i, p in enumerate(people)))
        await cluster.hold.until_held(2)  # both jobs run, one on each worker
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    cluster.hold.open()  # they finish while no bot runs
    second = await launch(2)
    try:
        await asyncio.gather(*(done(p, 120) for p in people))
    finally:
        second.terminate()
        await second.wait()
    assert [len(results(telegram, p)) for p in people] == [1, 1]
    ran = tasks_done(cluster.log("w1")) + tasks_done(cluster.log("w2"))
    assert sorted(ran) == ["1.quality", "2.quality"]  # none computed twice
    for n in (1, 2):
        assert telegram.token not in (tmp_path / f"bot-{n}.log").read_text(errors="replace")


async def test_no_worker_online_the_job_waits_in_the_queue_and_says_why(
    telegram: FakeTelegram,
    user: FakeUser,
    redis_server: RedisServer,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    """No worker has beaten: the job is never claimed (so never timed out), and its status
    message, /status and the metrics say that the painter is offline and who waits how long."""
    port = free_port()
    async with remote_bot(
        telegram, tmp_path, presets_dir, redis_server, job_timeout_s=10, metrics_port=port
    ) as bot:
        await bot.services.store.save_settings(user.id, FAST)
        await order(user)
        offline = t("en", "job_queued_offline", position=1)
        await user.wait_for("sendMessage", text=offline)
        await user.send_message("/status")
        reply = await user.wait_for("sendMessage", text=lambda s: s.startswith(offline))
        metrics = await scrape(port)
        job = await bot.services.store.last_job(user.id)
    assert t("en", "status_offline", queue=1) in reply.params["text"]
    assert t("en", "status_oldest", wait="").rstrip(".") in reply.params["text"]
    assert job is not None and (job.status, job.attempts) == (JobStatus.QUEUED, 0)
    assert metrics[("nst_engines_online", ())] == 0
    assert metrics[("nst_queue_length", ())] == 1
    assert metrics[("nst_oldest_job_wait_seconds", ())] > 0
    assert results(telegram, user) == []


def bot_env(
    telegram: FakeTelegram, data: Path, redis_url: str, presets: Path | None = None, **more: str
) -> dict[str, str]:
    """The environment of `python -m bot` on the fake Bot API and this Redis, 64-px jobs."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_BASE_FILE_URL": telegram.base_file_url,
        "NST_DATA_DIR": str(data),
        "NST_REDIS_URL": redis_url,
        "NST_LEASE_S": str(LEASE_S),
        "NST_STANDARD_SIDE": str(QUALITY_SIDE),
        "NST_FAST_MODELS_DIR": str(SHARED / "models"),  # its sheets and clips: never downloaded
        **more,
    }
    if presets is not None:
        env["NST_PRESETS_DIR"] = str(presets)
    return env


async def bot_that_stops(telegram: FakeTelegram, data: Path, url: str) -> tuple[int | None, str]:
    """`python -m bot` with this Redis URL, expected to stop at start: its exit code, stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=REPO_ROOT,
        env=bot_env(telegram, data, url),
        stderr=subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, stderr.decode()


def run_worker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.jobs.remote_worker", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "NST_REDIS_URL": "redis://127.0.0.1:1/0", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_worker_with_a_broken_redis_url_says_so_in_one_line() -> None:
    unreachable = run_worker({"NST_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert unreachable.returncode == 2
    assert unreachable.stderr.startswith(
        "NST_REDIS_URL: cannot reach Redis at redis://127.0.0.1:1/0"
    )
    assert unreachable.stderr.count("\n") == 1
    malformed = run_worker({"NST_REDIS_URL": "localhost:6379"})
    assert (malformed.returncode, malformed.stderr.count("\n")) == (2, 1)
    assert malformed.stderr.startswith("NST_REDIS_URL must start with redis://")


async def test_bot_with_a_broken_redis_url_says_so_in_one_line(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    code, stderr = await bot_that_stops(telegram, tmp_path, "redis://127.0.0.1:1/0")
    assert code == 2
    assert stderr.splitlines()[-1].startswith(
        "NST_REDIS_URL: cannot reach Redis at redis://127.0.0.1:1/0"
    )
    assert "Traceback" not in stderr
    code, stderr = await bot_that_stops(telegram, tmp_path, "localhost:6379")
    assert (code, stderr.count("\n")) == (2, 1)


async def test_worker_without_models_says_so_in_one_line(redis_server: RedisServer) -> None:
    missing = await asyncio.to_thread(
        run_worker,
        {"NST_REDIS_URL": redis_server.url, "NST_VGG19_WEIGHTS": "/nonexistent/missing.h5"},
    )
    assert missing.returncode == 2
    assert "Traceback" not in missing.stderr
    assert [line for line in missing.stderr.splitlines() if "missing.h5" in line] == [
        missing.stderr.strip().splitlines()[-1]
    ]


def test_the_worker_imports_nothing_of_telegram() -> None:
    assert packages_loaded_by("bot.jobs.remote_worker", {"telegram"}) == []


async def test_a_frozen_worker_is_replaced_and_its_late_result_dropped(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    """SIGSTOP: a worker that stops answering without dying; after SIGCONT it is too late."""
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        cluster.hold.close()
        await order(user)
        await cluster.hold.until_held()
        frozen = lease_holder(cluster.redis, "1.quality")
        assert frozen is not None
        cluster.processes[frozen].send_signal(signal.SIGSTOP)
        cluster.hold.open()  # the other worker, which takes the job over, is not held
        try:
            await done(user, 90)
        finally:
            cluster.processes[frozen].send_signal(signal.SIGCONT)
        late = ("lease lost; stopping", "result dropped")
        await eventually(
            lambda: any(line in cluster.log(frozen) for line in late),
            30,
            "the late worker gives up",
        )
        await keys_deleted(cluster.redis, 1)  # the late worker wrote no result back
    assert len(results(telegram, user)) == 1
    assert tasks_done(cluster.log(frozen)) == []


async def order_print(user: FakeUser, job_id: int, side: int = 128) -> None:
    """[🖨 Print size] under the job's result, then the side: the print is queued."""
    await user.press(f"print:{job_id}")
    offer = await user.wait_for("sendMessage", text=t("en", "print_offer"))
    await user.press(f"print:{job_id}:{side}", message=offer.result)


def prints_to(telegram: FakeTelegram, user: FakeUser) -> list[Call]:
    return [
        c
        for c in telegram.calls
        if c.method == "sendDocument"
        and c.ok
        and c.params.get("caption", "").startswith("🖨")
        and c.params.get("chat_id") == user.id
    ]


async def test_a_workers_print_stands_aside_for_a_painting_on_its_regular_slot(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One worker, painting a print: the painting is not left waiting behind it, and the print
    stands aside on the worker meanwhile (it says so to the bot)."""
    caplog.set_level("INFO", logger="bot.jobs")
    cluster.processes["w2"].kill()  # the cluster fixture starts it again after the test
    cluster.processes["w2"].wait()
    anna, boris = make_user("Anna"), make_user("Boris")
    async with remote_bot(
        telegram, tmp_path, presets_dir, cluster.redis, print_sides=(128,)
    ) as bot:
        for person in (anna, boris):
            await bot.services.store.save_settings(person.id, QUALITY)
        await order(anna)
        await done(anna, 60)
        cluster.hold.close()
        await order_print(anna, 1)
        await cluster.hold.until_held()  # the print, on w1's print slot
        await order(boris)
        await cluster.hold.until_held(2)  # the painting, on w1 too, on its regular slot
        cluster.hold.open()
        await done(boris, 60)
        await done(anna, 60)
    assert len(results(telegram, boris)) == 1 and len(prints_to(telegram, anna)) == 1
    assert "job 2 stood aside" in caplog.text
    assert sorted(tasks_done(cluster.log("w1"))) == ["1.quality", "2.quality", "3.quality"]


async def test_a_print_on_a_killed_worker_is_painted_by_the_other_once(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    async with remote_bot(
        telegram, tmp_path, presets_dir, cluster.redis, print_sides=(128,)
    ) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        await order(user)
        await done(user, 60)
        cluster.hold.close()
        await order_print(user, 1)
        await cluster.hold.until_held()
        holder = lease_holder(cluster.redis, "2.quality")
        assert holder is not None
        survivor = "w2" if holder == "w1" else "w1"
        cluster.processes[holder].send_signal(signal.SIGKILL)
        cluster.hold.open()
        await done(user, 120)
        printed = await bot.services.store.last_job(user.id)
    assert len(prints_to(telegram, user)) == 1
    assert (
        printed is not None
        and printed.delivery is Delivery.SENT
        and printed.request.extras.print_size is not None
    )
    assert tasks_done(cluster.log(survivor)).count("2.quality") == 1


# Last: it kills one of the module's workers (the next user of `cluster` starts it again).
async def test_worker_killed_mid_job_the_other_finishes_it_once(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        cluster.hold.close()
        await order(user)
        await cluster.hold.until_held()
        holder = lease_holder(cluster.redis, "1.quality")
        assert holder is not None
        survivor = "w2" if holder == "w1" else "w1"
        cluster.processes[holder].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        cluster.hold.open()
        # The lease lapses (LEASE_S), the bot looks (every <= 1 s) and sends the task again, and
        # the idle worker takes it at once: seconds, printed below; the bound only ends a failure.
        await eventually(
            lambda: lease_holder(cluster.redis, "1.quality") == survivor,
            60,
            "the other worker takes the job over",
        )
        takeover_s = time.monotonic() - killed
        await done(user, 120)
        recovered_s = time.monotonic() - killed
        job = await bot.services.store.last_job(user.id)

    assert len(results(telegram, user)) == 1
    assert (
        job is not None and job.delivery is Delivery.SENT and job.attempts == 1
    )  # the bot never lost it
    assert tasks_done(cluster.log(survivor)) == ["1.quality"]
    print(
        f"killed to taken over {takeover_s:.1f} s, to result {recovered_s:.1f} s"
        f" (lease {LEASE_S} s)"
    )


async def test_mixed_paintings_reach_the_worker_and_sheets_and_clips_stay_on_the_bot(
    cluster: Workers,
    fast_service: FastService,
    content_photo: Path,
    style_painting: Path,
    tmp_path: Path,
) -> None:
    blue = tmp_path / "blue.jpg"
    blue.write_bytes(jpeg(80, 80, (30, 60, 200)))
    runner = RemoteRunner(cluster.redis.url, LEASE_S, fast_service)
    await runner.start()
    try:
        outputs = []
        for job_id, (paintings, weights) in enumerate(
            [
                ([style_painting, blue], (1.0, 0.0)),
                ([style_painting, blue], (0.0, 1.0)),
                ([blue], None),
            ],
            start=1,
        ):
            output = tmp_path / f"{job_id}.png"
            settings = Settings(method="fast", max_side=96, style_weights=weights)
            await runner.run(
                fake_job(job_id),
                content_photo,
                paintings,
                settings,
                output,
                lambda _: None,
                threading.Event(),
            )
            outputs.append(np.asarray(Image.open(output), np.float32))
            await runner.forget(job_id)
        sheet = tmp_path / "sheet.jpg"
        await runner.contact_sheet(
            content_photo, [("A", style_painting), ("B", blue)], Settings(method="fast"), sheet
        )
        clip = make_clip(tmp_path / "in.mp4", content_photo, frames=4, fps=4)
        animated = tmp_path / "out.mp4"
        progress: list[float] = []
        await runner.animate(
            fake_job(9),
            clip,
            [blue],
            Settings(method="fast"),
            animated,
            progress.append,
            threading.Event(),
        )
    finally:
        await runner.stop()
    first_only, second_only, blue_alone = outputs
    # The second painting reached the engine: weighted to it alone, it paints as it alone does.
    assert np.abs(second_only - blue_alone).mean() < 1.0
    assert np.abs(first_only - second_only).mean() > 10.0
    assert Image.open(sheet).format == "JPEG"
    assert animation.probe(animated).frames == 4 and progress[-1] == 1.0
    # Sheets and clips were made here: no worker ran any task but the three jobs.
    ran = tasks_done(cluster.log("w1")) + tasks_done(cluster.log("w2"))
    assert sorted(ran) == ["1.fast", "2.fast", "3.fast"]


async def test_sheets_and_clips_count_on_the_bots_own_fast_models_not_the_workers(
    fast_service: FastService, content_photo: Path, tmp_path: Path
) -> None:
    """They are made on the bot: a bot without the fast models has no /try, whatever the
    workers have (their heartbeats speak for the previews only)."""
    empty = EngineOptions(fast_models_dir=tmp_path, face_models_dir=tmp_path)
    missing = FastService.from_options(empty)
    await missing.start()
    try:
        without = RemoteRunner("redis://127.0.0.1:1/0", LEASE_S, missing)  # never started
        assert RemoteRunner("redis://127.0.0.1:1/0", LEASE_S, fast_service).sheet_error is None
        assert without.sheet_error is not None and str(tmp_path) in without.sheet_error
        assert without.fast_error is None  # no worker known yet: previews are not ruled out
        sheet = tmp_path / "sheet.jpg"
        with pytest.raises(EngineError, match="fast mode is not available"):
            await without.contact_sheet(content_photo, [("A", content_photo)], Settings(), sheet)
        assert not sheet.exists()
    finally:
        await missing.stop()


async def test_person_mode_is_applied_on_the_worker(
    cluster: Workers,
    selfie_model: Path,
    fast_service: FastService,
    style_painting: Path,
    tmp_path: Path,
) -> None:
    """The worker loaded the segmenter at its start (its heartbeat says so) and keeps the
    astronaut's face as photographed while the background is painted."""
    photo = tmp_path / "astronaut.png"
    Image.fromarray(skimage_data.astronaut()).save(photo)
    runner = RemoteRunner(cluster.redis.url, LEASE_S, fast_service)
    await runner.start()
    try:
        assert runner.person_error is None
        output = tmp_path / "kept.png"
        await runner.run(
            fake_job(11),
            photo,
            [style_painting],
            Settings(method="fast", max_side=128),
            output,
            lambda _: None,
            threading.Event(),
            PersonMode.BACKGROUND,
        )
        await runner.forget(11)
    finally:
        await runner.stop()
    painted = np.asarray(Image.open(output).convert("RGB"), np.float32)
    original = Image.open(photo).resize((128, 128), Image.Resampling.LANCZOS)
    diff = np.abs(painted - np.asarray(original, np.float32))
    face, backdrop = diff[12:37, 48:65].mean(), diff[0:27, 78:95].mean()
    assert face < 4 and backdrop > 20, (face, backdrop)


async def test_a_print_is_painted_on_a_remote_worker_and_sent_as_a_file(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    async with remote_bot(
        telegram, tmp_path, presets_dir, cluster.redis, print_sides=(128,)
    ) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        await order(user)
        await done(user, 60)
        await order_print(user, 1)
        sent = await user.wait_for("sendDocument", caption=lambda c: c.startswith("🖨"), within=60)
        await done(user, 60)
        await keys_deleted(cluster.redis, 2)
    # The worker painted on the painting that Redis brought it: only a print is this file.
    with Image.open(io.BytesIO(sent.upload("document").data)) as image:
        assert (image.format, max(image.size)) == ("JPEG", 128)
        assert tuple(round(d) for d in image.info["dpi"]) == (300, 300)
    ran = tasks_done(cluster.log("w1")) + tasks_done(cluster.log("w2"))
    assert sorted(ran) == ["1.quality", "2.quality"]


async def test_a_workers_result_takes_the_users_pictures_with_it(
    cluster: Workers, fast_service: FastService, content_photo: Path, tmp_path: Path
) -> None:
    """Once the result is in Redis, the photo, the paintings and a print's painting are gone
    from it, before the bot has forgotten the job (and the worker's folder with them)."""
    painting = tmp_path / "painting.png"
    Image.new("RGB", (64, 48), (30, 60, 200)).save(painting)
    runner = RemoteRunner(cluster.redis.url, LEASE_S, fast_service)
    await runner.start()
    try:
        output = tmp_path / "print.jpg"
        settings = Settings(max_side=128)
        await runner.run(
            fake_job(21),
            content_photo,
            [painting],
            settings,
            output,
            lambda _: None,
            threading.Event(),
            resume=painting,
        )
        keys = TaskKeys("21.quality")
        left = {key for key in keys.all() if cluster.redis.client.exists(key)}
        assert keys.result in left and not left & set(keys.inputs), left
        await runner.forget(21)
    finally:
        await runner.stop()
    assert Image.open(output).size == (128, 96)


def test_person_mode_and_prints_on_the_wire_read_as_before_without_them() -> None:
    """Only a job with person mode, or a print, carries its key, so a job without them is the
    same message an older worker reads; a heartbeat with fields this bot does not know still
    reads."""
    settings = Settings(method="fast", max_side=96)
    assert TaskSettings(settings).to_wire() == asdict(settings)
    assert TaskSettings.from_wire(asdict(settings)) == TaskSettings(settings)
    for task in (
        TaskSettings(settings, PersonMode.PERSON),
        TaskSettings(settings, resume=True),
        TaskSettings(settings, PersonMode.BACKGROUND, resume=True),
    ):
        assert TaskSettings.from_wire(task.to_wire()) == task
    old = WorkerInfo("w", 1, 0, None, "CPU").to_json()
    assert WorkerInfo.from_json(old).person_error is not None  # an old worker: no person mode
    newer = json.dumps({**json.loads(old), "person_error": None, "colour": "blue"})
    assert WorkerInfo.from_json(newer).person_error is None


def test_a_task_from_an_older_bot_with_a_key_the_worker_does_not_know_is_still_read() -> None:
    """An older bot sent `vgg_weights` (a path of its own machine) with every task: the worker
    paints such a task with its own weights instead of refusing it."""
    settings = Settings(method="quality", max_side=128, style_strength=0.4)
    older = {**asdict(settings), "vgg_weights": "/models/vgg19.h5", PERSON_KEY: "person"}
    assert TaskSettings.from_wire(older) == TaskSettings(settings, PersonMode.PERSON)
