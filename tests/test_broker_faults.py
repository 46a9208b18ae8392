"""Redis as it fails in production, with real `nst-worker` processes and our bot on it.

Redis runs with a password (`requirepass`, carried in NST_REDIS_URL). It is killed with SIGKILL
and started again empty (its files deleted, as a Redis without persistence comes back), frozen
with SIGSTOP past the clients' socket timeout, and turned into a replica (READONLY) and back,
while jobs are held in flight (tests/holds.py): every person gets exactly one result, both
workers stay alive, each says when Redis goes and when it is back (a line or two each way, never
a storm), and the password is in no log. With nobody to paint (Redis away 30 s, every worker
killed) jobs wait in the queue, say so, and drain in order once a worker is back. Jobs are 64-px
quality runs (tests/test_remote.py's helpers). Whatever a test breaks, the `cluster` fixture
mends after it, so one failure stays one failure.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.config import safe_url
from bot.jobs.availability import CHECK_EVERY_S
from bot.jobs.channel import BACKOFF_CAP_S
from bot.jobs.fast_service import FastService
from bot.jobs.remote import RemoteRunner
from bot.jobs.store import Store
from bot.texts import t
from tests.botfixtures import RunningBot
from tests.conftest import REPO_ROOT
from tests.fakebot import FakeTelegram, FakeUser
from tests.remotefixtures import (
    LEASE_S,
    REDIS_PASSWORD,
    WORKER_NAMES,
    RedisServer,
    Workers,
)
from tests.test_remote import (
    QUALITY,
    bot_env,
    bot_that_stops,
    done,
    eventually,
    lease_holder,
    order,
    remote_bot,
    results,
    run_worker,
    tasks_done,
)

PASSWORD = REDIS_PASSWORD
OUTAGE_S = 30.0
# Lines per outage each way: one is the design; a second can come when Redis answers a probe
# and fails the next command (a replica's READONLY, a restart still loading). More is a storm.
MOST_LINES = 3


def progress_bar(text: str) -> bool:
    return "▰" in text or "▱" in text


def outage_lines(workers: Workers, name: str) -> tuple[int, int]:
    """How often the worker said Redis went away, and came back, since the test began."""
    log = workers.log(name)
    return log.count("Redis unreachable"), log.count("Redis answers again")


def all_alive(workers: Workers) -> bool:
    return all(process.poll() is None for process in workers.processes.values())


def said_back(workers: Workers, name: str) -> bool:
    return outage_lines(workers, name)[1] >= 1


def said_once_or_so(workers: Workers, name: str) -> bool:
    """The worker said that Redis went and that it came back, and not over and over."""
    went, back = outage_lines(workers, name)
    return 1 <= went <= MOST_LINES and 1 <= back <= MOST_LINES


async def paint_through(
    telegram: FakeTelegram,
    people: list[FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
    fault: Callable[[], object],
    heal: Callable[[], object],
) -> None:
    """Everyone orders; with a job held on each worker and its progress bar out, `fault` hits
    Redis, and once both workers have said so, `heal` ends it and the jobs go on; then each
    person gets one result, and the workers never left."""
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis, concurrent_jobs=4) as bot:
        for person in people:
            await bot.services.store.save_settings(person.id, QUALITY)
        cluster.hold.close()
        await asyncio.gather(*(order(p, (60 * i, 40, 40)) for i, p in enumerate(people)))
        await cluster.hold.until_held(len(WORKER_NAMES))
        await telegram.wait_for("editMessageText", text=progress_bar, within=60)
        await asyncio.to_thread(fault)
        await eventually(
            lambda: all(outage_lines(cluster, name)[0] for name in WORKER_NAMES),
            60,
            "both workers notice",
        )
        await asyncio.to_thread(heal)
        cluster.hold.open()
        await asyncio.gather(*(done(p, 180) for p in people))
        await eventually(
            lambda: all(outage_lines(cluster, name)[1] for name in WORKER_NAMES),
            60,
            "both workers say Redis is back",
        )
    assert [len(results(telegram, p)) for p in people] == [1] * len(people)
    assert all_alive(cluster)
    for name in WORKER_NAMES:
        assert said_once_or_so(cluster, name), cluster.log(name)


async def test_redis_killed_mid_job_and_back_empty_each_job_delivered_once(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    """The operator's run from issue 24: four people, Redis killed at the first progress edit."""
    people = [make_user(f"P{i}") for i in range(4)]
    await paint_through(
        telegram,
        people,
        cluster,
        presets_dir,
        tmp_path,
        lambda: cluster.redis.kill(keep_data=False),
        cluster.redis.start,
    )


async def test_redis_frozen_past_the_socket_timeout_each_job_delivered_once(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    """SIGSTOP: connections stay open and nothing answers, as when a host or its network dies.
    Without a socket timeout a worker would wait on its read for ever and say nothing."""
    process = cluster.redis.process
    assert process is not None
    people = [make_user(f"P{i}") for i in range(2)]
    await paint_through(
        telegram,
        people,
        cluster,
        presets_dir,
        tmp_path,
        lambda: process.send_signal(signal.SIGSTOP),
        lambda: process.send_signal(signal.SIGCONT),
    )


async def test_redis_turned_replica_and_promoted_again_each_job_delivered_once(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    """A failover as the workers' address sees it: the node there becomes a replica of another
    (every write refused with READONLY, its data replaced by the other's), then is promoted."""
    other = RedisServer(tmp_path / "other", aof=False)
    other.start()
    try:
        people = [make_user(f"P{i}") for i in range(2)]
        await paint_through(
            telegram,
            people,
            cluster,
            presets_dir,
            tmp_path,
            lambda: cluster.redis.client.replicaof("127.0.0.1", other.port),
            lambda: cluster.redis.client.replicaof("NO", "ONE"),
        )
    finally:
        other.stop()
        other.client.close()


async def engines_gone(bot: RunningBot, within: float) -> None:
    """Until the bot's dispatcher counts no engine online (no heartbeat read for a lease), so
    that it claims nothing and a queued message says so."""
    deadline = time.monotonic() + within
    while bot.services.dispatcher.engines_online:
        assert time.monotonic() < deadline, f"engines still online after {within} s"
        await asyncio.sleep(CHECK_EVERY_S)


async def test_redis_down_30_s_between_jobs_the_job_sent_meanwhile_waits_and_is_painted(
    telegram: FakeTelegram, user: FakeUser, cluster: Workers, presets_dir: Path, tmp_path: Path
) -> None:
    """Redis away for 30 s (ten leases) with nothing running: a job sent meanwhile says the
    painter is offline, and once Redis is back (empty) the workers take it within seconds."""
    async with remote_bot(telegram, tmp_path, presets_dir, cluster.redis) as bot:
        await bot.services.store.save_settings(user.id, QUALITY)
        await asyncio.to_thread(cluster.redis.kill, keep_data=False)
        killed = time.monotonic()
        await engines_gone(bot, within=60)
        await order(user)
        await user.wait_for(
            "sendMessage", text=t("en", "job_queued_offline", position=1), within=60
        )
        await asyncio.sleep(OUTAGE_S - (time.monotonic() - killed))  # the outage's length
        await asyncio.to_thread(cluster.redis.start)
        back = time.monotonic()
        await eventually(lambda: lease_holder(cluster.redis, "1.quality") is not None, 60, "taken")
        taken_s = time.monotonic() - back
        await done(user, 120)
        for name in WORKER_NAMES:  # the worker that did not paint it may be in its last pause
            await eventually(functools.partial(said_back, cluster, name), 60, f"{name} is back")
    assert len(results(telegram, user)) == 1
    assert all_alive(cluster)
    for name in WORKER_NAMES:
        assert said_once_or_so(cluster, name), cluster.log(name)
    # Each side's last pause before Redis answered is at most BACKOFF_CAP_S; then the bot sees
    # a heartbeat (each CHECK_EVERY_S), claims the job, and a worker reads the stream: with
    # no cap the last pause after 30 s away would be 16 s or more.
    assert taken_s < 2 * BACKOFF_CAP_S + 10, taken_s
    print(f"Redis back to the job taken by a worker: {taken_s:.1f} s")


async def test_no_worker_for_longer_than_a_lease_jobs_wait_then_drain_in_order_once(
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    cluster: Workers,
    presets_dir: Path,
    tmp_path: Path,
) -> None:
    """The bot as deployed (`python -m bot`). Both workers are killed while the first person's
    job runs: it goes back to the queue, and it and the two ordered next say the painter is
    offline. A worker starts and paints them, first come first served, each once."""
    data = tmp_path / "data"
    env = bot_env(telegram, data, cluster.redis.url, presets_dir)
    people = [make_user(f"P{i}") for i in range(3)]
    store = await Store.open(data / "bot.sqlite3")
    for person in people:
        await store.save_settings(person.id, QUALITY)
    await store.close()
    log = tmp_path / "bot.log"
    with log.open("wb") as output:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=output, stderr=output
        )
    try:
        await telegram.wait_for_poll(within=60)
        cluster.hold.close()
        await order(people[0])
        await cluster.hold.until_held()
        await people[0].wait_for("editMessageText", text=progress_bar, within=60)
        for process in cluster.processes.values():
            process.kill()
            process.wait()
        cluster.hold.open()
        offline = [t("en", "job_queued_offline", position=n) for n in (1, 2, 3)]
        await people[0].wait_for("editMessageText", text=offline[0], within=60)
        for person, text in zip(people[1:], offline[1:], strict=True):
            await order(person)
            await person.wait_for("sendMessage", text=text, within=60)
        await asyncio.to_thread(cluster.start, "w1")
        await asyncio.gather(*(done(p, 180) for p in people))
    finally:
        bot.terminate()
        await bot.wait()
    assert [len(results(telegram, p)) for p in people] == [1, 1, 1]
    delivered = [results(telegram, p)[0].index for p in people]
    assert delivered == sorted(delivered)  # in the order they were sent
    assert tasks_done(cluster.log("w1")) == ["1.quality", "2.quality", "3.quality"]
    text = log.read_text(errors="replace")
    assert "no engine online" in text and "an engine is online again" in text
    assert safe_url(cluster.redis.url) in text and PASSWORD not in text


def test_a_wrong_password_stops_the_worker_with_one_line(cluster: Workers) -> None:
    wrong = cluster.redis.url.replace(PASSWORD, "not-the-password")
    refused = run_worker({"NST_REDIS_URL": wrong})
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith(f"NST_REDIS_URL: Redis at {safe_url(wrong)} refused the login")
    assert "not-the-password" not in refused.stderr + refused.stdout
    anonymous = run_worker({"NST_REDIS_URL": cluster.redis.url.replace(f":{PASSWORD}@", "")})
    assert (anonymous.returncode, anonymous.stderr.count("\n")) == (2, 1)
    assert "refused the login" in anonymous.stderr


async def test_a_wrong_password_stops_the_bot_with_one_line(
    telegram: FakeTelegram, cluster: Workers, tmp_path: Path
) -> None:
    wrong = cluster.redis.url.replace(PASSWORD, "not-the-password")
    code, text = await bot_that_stops(telegram, tmp_path, wrong)
    assert code == 2
    assert text.splitlines()[-1].startswith(f"NST_REDIS_URL: Redis at {safe_url(wrong)} refused")
    assert "Traceback" not in text and "not-the-password" not in text


async def test_an_acl_user_in_the_url_reaches_the_workers(
    cluster: Workers, fast_service: FastService
) -> None:
    cluster.redis.client.acl_setuser(
        "nst", enabled=True, passwords=["+nst-pw"], keys=["*"], commands=["+@all"]
    )
    url = cluster.redis.url.replace(f":{PASSWORD}@", "nst:nst-pw@")
    runner = RemoteRunner(url, LEASE_S, fast_service)
    await runner.start()
    try:
        assert (await runner.capacity()).engines == len(WORKER_NAMES)
    finally:
        await runner.stop()


def test_the_password_is_in_no_worker_log(cluster: Workers) -> None:
    """Last: every worker log of the module, from its start, including its faults."""
    for name in WORKER_NAMES:
        log = (cluster.folder / f"{name}.log").read_text(errors="replace")
        assert "tasks from redis://:***@127.0.0.1" in log
        assert PASSWORD not in log
