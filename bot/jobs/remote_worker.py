"""`nst-worker` / `python -m bot.jobs.remote_worker`: a style-transfer worker for a bot on Redis.

    nst-worker           take tasks from NST_REDIS_URL until SIGINT/SIGTERM
    nst-worker health    exit 0 if a running worker beat recently (Docker's health check)

It builds its engines once, at taskiq's worker-startup event, then runs one task at a time per
engine (NST_WORKER_CONCURRENCY, default 1: one per device), and beside them one print from the
prints' stream, standing aside while a regular task runs (lanes.py). It never talks to Telegram and
never needs the token: the images come from Redis keys and the result goes back to one (the bot
sends it). It imports nothing of telegram. A task is worked on only under its lease
(bot/jobs/channel.py): a duplicate, late or stale message finds the lease taken, the result there
or the inputs gone, and is dropped. A missing model, or a Redis that cannot be reached or refuses
the password at start, is one line on stderr and exit 2. Once started, a worker never exits on a
Redis fault (down, restarted empty, LOADING, failed over, silent): it logs one line, waits with a
capped backoff and takes work again when Redis is back (see Outage, and docs/jobs.md's fault
table).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from taskiq import TaskiqEvents, TaskiqState
from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver

from bot.config import ConfigError, WorkerConfig, redis_secrets, safe_url
from bot.jobs.channel import (
    DATA_TTL_S,
    END_SCRIPT,
    FINISH_SCRIPT,
    PRINT_STREAM,
    PUSH_SCRIPT,
    RELEASE_SCRIPT,
    RENEW_SCRIPT,
    TASK_NAME,
    UNREACHABLE,
    Outage,
    StreamBroker,
    TaskKeys,
    TaskSettings,
    WorkerInfo,
    connect,
    event,
    unreachable_line,
    worker_key,
)
from bot.jobs.fast_service import FastService
from bot.jobs.hold import Hold
from bot.jobs.in_process import InProcessRunner
from bot.jobs.runner import RunnerUnavailable
from bot.jobs.worker_health import check_health
from bot.logs import configure_logging
from nst_engine.errors import Cancelled, ImageError, WeightsError

log = logging.getLogger("nst.worker")

EXIT_CONFIG = 2
# Progress goes to the bot at most this often (the bot edits the chat every 3 s at most).
PROGRESS_INTERVAL_S = 0.5
# Prints a worker paints at once, beside its regular tasks: one, on its first engine.
PRINTS = 1


class RemoteWorker:
    """One worker process: a taskiq broker with the stylize task, its engines and its heartbeat."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.outage = Outage(log)
        self.redis = connect(config.redis_url, config.lease_s)
        self.broker = StreamBroker(config.redis_url, config.lease_s, self.outage, config.name)
        self.print_broker = StreamBroker(
            config.redis_url, config.lease_s, self.outage, config.name, PRINT_STREAM
        )
        self.broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, self._build_engines)

        async def stylize(key: str, settings: dict[str, Any]) -> None:
            await self.stylize(key, settings)

        for broker in (self.broker, self.print_broker):
            broker.is_worker_process = True
            broker.register_task(stylize, task_name=TASK_NAME)
        self.fast = FastService.from_options(config.engine)  # the process's one, for its engines
        self.runner: InProcessRunner | None = None
        self.stopping = False
        self._running: set[threading.Event] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _build_engines(self, _state: TaskiqState) -> None:
        """taskiq's worker-startup event: the engines are built once, before the first task."""
        hold = Hold(self.config.test_hold) if self.config.test_hold else None
        runner = InProcessRunner(
            self.config.concurrency, self.fast, options=self.config.engine, hold=hold, prints=PRINTS
        )
        await runner.start()
        await self.fast.start()  # its models already loaded by the engines: at once
        self.runner = runner

    async def connect(self) -> None:
        try:
            await self.redis.ping()
        except UNREACHABLE as error:
            raise RunnerUnavailable(unreachable_line(self.config.redis_url, error)) from None

    def info(self) -> WorkerInfo:
        runner = self.runner
        return WorkerInfo(
            name=self.config.name,
            concurrency=self.config.concurrency,
            busy=len(self._running),
            fast_error=runner.fast_error if runner else "starting",
            device=runner.device if runner else "starting",
            person_error=runner.person_error if runner else "starting",
            prints=True,
            pace=runner.pace.to_json() if runner and runner.pace else None,
        )

    async def beat(self) -> None:
        """Tell the bot this worker is alive and how busy it is; touch the health file.

        While Redis is away it tries again after a backoff, not a beat, so a Redis back without
        its data has the heartbeat again within seconds.
        """
        while True:
            await self.outage.retry(
                lambda: self.redis.set(
                    worker_key(self.config.name),
                    self.info().to_json(),
                    px=int(self.config.lease_s * 1000),
                )
            )
            await asyncio.to_thread(self.config.heartbeat_path.touch)
            await asyncio.sleep(self.config.beat_s)

    def stop(self) -> None:
        """Stop taking tasks; running ones stop within a step and go back to the bot's queue."""
        self.stopping = True
        for cancel in self._running:
            cancel.set()

    # The task.

    async def stylize(self, key: str, settings: dict[str, Any]) -> None:
        """Work on one task if nobody else does and it is still wanted."""
        keys = TaskKeys(key)
        lease = f"{self.config.name}:{uuid.uuid4().hex[:8]}"
        lease_ms = int(self.config.lease_s * 1000)
        if self.stopping:
            return
        try:
            if await self.redis.exists(keys.result):
                return  # a stored result is never computed again
            if not await self.redis.set(keys.lease, lease, nx=True, px=lease_ms):
                return  # another worker runs it: this message is a duplicate
        except UNREACHABLE:
            return  # nobody holds it: the bot sends it again once Redis is back
        cancel = threading.Event()
        self._running.add(cancel)
        try:
            with tempfile.TemporaryDirectory(prefix="nst-task-") as folder:
                await self._work(keys, lease, settings, Path(folder), cancel)
        finally:
            self._running.discard(cancel)

    async def _work(
        self,
        keys: TaskKeys,
        lease: str,
        settings: dict[str, Any],
        folder: Path,
        cancel: threading.Event,
    ) -> None:
        task = TaskSettings.from_wire(settings)
        try:
            inputs = await self._fetch_inputs(keys, folder, task.resume)
        except UNREACHABLE:
            inputs = None  # not ours any more: the lease goes, and the bot sends it again
        if inputs is None:  # the job ended (its keys were deleted) before this message came
            await self._release(keys, lease)
            return
        photo, styles, painted = inputs
        result = folder / "result"
        await self._push(keys, lease, event("started", worker=self.config.name))
        lost = asyncio.Event()
        watcher = asyncio.create_task(self._watch(keys, lease, cancel, lost))
        last = -PROGRESS_INTERVAL_S

        def progress(fraction: float) -> None:
            nonlocal last
            if time.monotonic() - last >= PROGRESS_INTERVAL_S:
                last = time.monotonic()
                self._spawn(self._push(keys, lease, event("progress", fraction=fraction)))

        def paused(now: bool) -> None:
            self._spawn(self._push(keys, lease, event("paused" if now else "resumed")))

        assert self.runner is not None
        try:
            await self.runner.stylize(
                photo, styles, task.engine, result, progress, cancel, task.person, painted, paused
            )
        except Cancelled:
            if lost.is_set() or self.stopping:  # the bot sends it again (or has)
                await self._release(keys, lease)
            else:
                await self._end(keys, lease, event("cancelled"))
            return
        except ImageError as error:
            await self._end(keys, lease, event("failed", kind="image", error=str(error)))
            return
        except Exception as error:
            log.exception("task %s failed", keys.key)
            await self._end(keys, lease, event("failed", kind="engine", error=str(error)))
            return
        finally:
            watcher.cancel()
        await self._finish(keys, lease, result)

    async def _fetch_inputs(
        self, keys: TaskKeys, folder: Path, resume: bool
    ) -> tuple[Path, list[Path], Path | None] | None:
        """The task's photo, paintings and (resume: a print) finished painting, from Redis into
        folder; None if they are gone."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(keys.content)
            pipe.lrange(keys.style, 0, -1)
            pipe.get(keys.resume)
            content, paintings, painted = await pipe.execute()
        if not (isinstance(content, bytes) and paintings) or (resume and painted is None):
            return None
        photo, painting = folder / "content", folder / "resume"
        styles = [folder / f"style{index}" for index in range(len(paintings))]
        files = {photo: content, **dict(zip(styles, paintings, strict=True))}
        if resume:
            files[painting] = painted
        await asyncio.to_thread(_write, files)
        return photo, styles, painting if resume else None

    async def _finish(self, keys: TaskKeys, lease: str, result: Path) -> None:
        """Store the result and "done", only while the lease is still ours (FINISH_SCRIPT)."""
        image = await asyncio.to_thread(result.read_bytes)
        finished = await self._settle(
            FINISH_SCRIPT, 6, keys.lease, keys.result, keys.events, *keys.inputs,
            lease, image, DATA_TTL_S, event("done"),
        )  # fmt: skip
        if finished:
            log.info("task %s done", keys.key)
        else:
            log.info("task %s done, but its lease had passed on: result dropped", keys.key)

    async def _watch(
        self, keys: TaskKeys, lease: str, cancel: threading.Event, lost: asyncio.Event
    ) -> None:
        """Renew the lease while the engine works; stop it on a cancel or a lost lease.

        While Redis is away the engine keeps painting. Back with the lease (AOF on, away for less
        than a lease), the run goes on; back without it (expired, or Redis lost its data), the
        bot sends the task again, so this run stops and leaves the task to whoever takes it.
        """
        lease_ms = int(self.config.lease_s * 1000)

        async def must_stop() -> bool:
            if await self.redis.blpop([keys.cancel], timeout=self.config.beat_s):
                return True
            if not await self.redis.eval(RENEW_SCRIPT, 1, keys.lease, lease, lease_ms):
                log.warning("task %s: lease lost; stopping", keys.key)
                lost.set()
                return True
            return False

        while not cancel.is_set():
            if await self.outage.retry(must_stop):
                cancel.set()

    async def _push(self, keys: TaskKeys, lease: str, message: str) -> None:
        """An event for the bot (best effort: progress may be skipped while Redis is away)."""
        lease_ms = int(self.config.lease_s * 1000)
        with contextlib.suppress(*UNREACHABLE):
            await self.redis.eval(
                PUSH_SCRIPT, 2, keys.lease, keys.events, lease, message, DATA_TTL_S, lease_ms
            )

    async def _end(self, keys: TaskKeys, lease: str, message: str) -> None:
        await self._settle(
            END_SCRIPT, 5, keys.lease, keys.events, *keys.inputs, lease, message, DATA_TTL_S
        )

    async def _release(self, keys: TaskKeys, lease: str) -> None:
        with contextlib.suppress(*UNREACHABLE):
            await self.redis.eval(RELEASE_SCRIPT, 1, keys.lease, lease)

    async def _settle(self, script: str, numkeys: int, *args: Any) -> Any:
        """An outcome's script, tried until Redis answers (the lease there says whether it still
        counts); 0 if the worker stops first: the lease then expires and the bot sends it again."""
        try:
            return await self.outage.retry(
                lambda: self.redis.eval(script, numkeys, *args), give_up=lambda: self.stopping
            )
        except UNREACHABLE:
            return 0

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _write(files: dict[Path, bytes]) -> None:
    for path, data in files.items():
        path.write_bytes(data)


async def serve(config: WorkerConfig) -> None:
    """Connect, build the engines, then take tasks until SIGINT/SIGTERM."""
    worker = RemoteWorker(config)
    await worker.connect()
    for broker in (worker.broker, worker.print_broker):  # the first's startup builds the engines
        await broker.startup()
    finished = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):

        def on_signal() -> None:
            worker.stop()
            finished.set()

        loop.add_signal_handler(signum, on_signal)
    beat = asyncio.create_task(worker.beat())
    receivers = [
        Receiver(
            broker,
            max_async_tasks=slots,
            max_prefetch=0,
            run_startup=False,
            ack_type=AcknowledgeType.WHEN_RECEIVED,
        )
        for broker, slots in ((worker.broker, config.concurrency), (worker.print_broker, PRINTS))
    ]
    log.info(
        "worker %s ready: %d engine(s) on %s, tasks from %s",
        config.name,
        config.concurrency,
        worker.info().device,
        safe_url(config.redis_url),
    )
    try:
        await asyncio.gather(*(receiver.listen(finished) for receiver in receivers))
    finally:
        beat.cancel()
        with contextlib.suppress(*UNREACHABLE):
            await worker.redis.delete(worker_key(config.name))
        for broker in (worker.broker, worker.print_broker):
            await broker.shutdown()
        if worker.runner is not None:
            await worker.runner.stop()
        await worker.fast.stop()
        await worker.redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nst-worker", description="Style-transfer worker for nst-bot, through Redis."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("health", help="exit 0 if the running worker is alive")
    args = parser.parse_args(argv)
    try:
        config = WorkerConfig.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "health":
        return check_health(config)
    # The bot's redacting log, with no token here: the Redis password is what it blanks out.
    formatter = configure_logging("", config.log_level)
    for secret in redis_secrets(config.redis_url):
        formatter.add_secret(secret)
    try:
        asyncio.run(serve(config))
    except (RunnerUnavailable, WeightsError) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())
