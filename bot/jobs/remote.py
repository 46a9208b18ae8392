"""RemoteRunner: the JobRunner that sends jobs to `nst-worker` processes through taskiq on Redis.

Chosen when NST_REDIS_URL is set. The bot stays the only one that talks to Telegram and the SQLite
store stays the truth about jobs: this runner only gets one picture made. It writes the inputs to
Redis, sends a taskiq message naming the task, then watches the task's keys (bot/jobs/channel.py):
events bring progress and the outcome, the lease says a worker is alive. It is also the
reconciler: a task whose lease lapsed (its worker was killed or lost), whose inputs Redis lost, or
that nobody took is sent again, and a duplicate that reaches a second worker is dropped there by
the lease. A result already in Redis is taken as it is, never computed again, which is how a
restarted bot picks up the work its predecessor sent out. With no worker online for a lease (none
beating, or Redis away that long) a task nobody holds gives up with EngineOffline, and the job
waits in the queue (bot/jobs/availability.py). Contact sheets and clips are made here, by the
process's fast service (fast_service.py), and a person-mode photo is looked at for a face here.
Prints go to the prints' stream, which every worker reads with a slot of its own (channel.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import statistics
import threading
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker

from bot import metrics
from bot.config import safe_url
from bot.jobs.channel import (
    DATA_TTL_S,
    PRINT_STREAM,
    TASK_NAME,
    UNREACHABLE,
    WORKER_PATTERN,
    Outage,
    StreamBroker,
    TaskKeys,
    TaskSettings,
    WorkerInfo,
    connect,
    task_key,
    unreachable_line,
)
from bot.jobs.fast_service import FastService
from bot.jobs.runner import (
    Capacity,
    EngineOffline,
    NotStarted,
    Paused,
    Progress,
    RunnerUnavailable,
)
from bot.jobs.task_watch import TaskWatch
from bot.models import Job, PersonMode
from nst_engine.errors import Cancelled, EngineError, ImageError
from nst_engine.pace import Pace
from nst_engine.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# How long one wait for an event lasts: also how soon a cancel set on the loop is passed on.
POLL_S = 0.25
# Methods whose task keys a job may have (the preview is "fast", the main run either).
METHODS = ("fast", "quality")


class RemoteRunner:
    """Runs jobs on remote workers; `lease_s` is how long a silent worker is still trusted."""

    def __init__(self, url: str, lease_s: float, fast: FastService) -> None:
        """fast: this process's fast service (started after this runner): sheets and clips
        are made with it, and a photo without a face is said so before its person-mode job is
        sent."""
        self._url = url
        self._lease_s = lease_s
        self._redis: Redis | None = None
        self._outage = Outage(log)
        self._broker = StreamBroker(url, lease_s, self._outage)
        self._kicker: AsyncKicker[Any, Any] = AsyncKicker(TASK_NAME, self._broker, {})
        self._print_kicker: AsyncKicker[Any, Any] = AsyncKicker(
            TASK_NAME, self._broker, {"queue_name": PRINT_STREAM}
        )
        self._workers: list[WorkerInfo] = []
        self._worker_seen_at = -math.inf  # the loop's time a heartbeat was last read
        self._fast = fast

    async def start(self) -> None:
        self._redis = connect(self._url, self._lease_s)
        try:
            await self._redis.ping()
            await self._broker.startup()
        except UNREACHABLE as error:
            await self._redis.aclose()
            raise RunnerUnavailable(unreachable_line(self._url, error)) from None
        await self.capacity()
        log.info("sending jobs to workers through %s", safe_url(self._url))

    async def stop(self) -> None:
        await self._broker.shutdown()
        if self._redis is not None:
            await self._redis.aclose()

    @property
    def fast_error(self) -> str | None:
        """None while any worker online has the preview models (or none is known yet): the
        previews are painted there."""
        if not self._workers or any(w.fast_error is None for w in self._workers):
            return None
        return self._workers[0].fast_error

    @property
    def sheet_error(self) -> str | None:
        """This process's: sheets and clips are made here, whatever the workers have."""
        return self._fast.error

    @property
    def person_error(self) -> str | None:
        """As fast_error; a worker without the segmenter paints such a job whole."""
        if not self._workers or any(w.person_error is None for w in self._workers):
            return None
        return self._workers[0].person_error

    async def sees_no_face(self, content: Path) -> bool:
        """On this machine (the fast service's detector), before the job is sent."""
        return await self._fast.sees_no_face(content)

    async def capacity(self) -> Capacity:
        """From the workers' heartbeats, which expire when a worker stops beating."""
        redis = self._client()
        try:
            names = [name async for name in redis.scan_iter(match=WORKER_PATTERN)]
            values = await redis.mget(names) if names else []
            self._outage.answered()
            self._workers = [WorkerInfo.from_json(value) for value in values if value]
        except UNREACHABLE as error:
            self._outage.failed(error)
            self._workers = []
        engines = sum(w.concurrency for w in self._workers)
        metrics.engines_online(engines)
        if engines:
            self._worker_seen_at = asyncio.get_running_loop().time()
        busy = sum(w.busy for w in self._workers)
        return Capacity(engines, busy, remote=True, online=self._online())

    def estimate_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        """The median of what the online workers' paces (from their heartbeats) say."""
        estimates = [
            Pace.from_json(worker.pace).expected_s(settings, painted_side)
            for worker in self._workers
            if worker.pace is not None
        ]
        known = [seconds for seconds in estimates if seconds is not None]
        return statistics.median(known) if known else None

    def _online(self) -> bool:
        """A worker's heartbeat was read within a lease (a Redis away for as long counts too)."""
        return asyncio.get_running_loop().time() - self._worker_seen_at < self._lease_s

    async def forget(self, job_id: int) -> None:
        """Delete the job's keys: its images, result, lease and events (a late worker stops).

        One try: if Redis is away, the keys expire on their own after DATA_TTL_S.
        """
        keys = [name for method in METHODS for name in TaskKeys(f"{job_id}.{method}").all()]
        try:
            await self._client().delete(*keys)
        except UNREACHABLE as error:
            log.warning("job %s: its keys stay until they expire: %s", job_id, error)

    async def run(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
        person: PersonMode = PersonMode.OFF,
        resume: Path | None = None,
        paused: Paused | None = None,
    ) -> None:
        keys = TaskKeys(task_key(job.id, settings))
        wire = TaskSettings(settings, person, resume is not None).to_wire()
        watch = TaskWatch(job.id, keys, self._lease_s)
        await self.capacity()  # keeps fast_error current as workers come and go
        if not await self._retry(lambda: self._result_or_lease(keys, watch), cancel):
            await self._send(keys, content, style, resume, wire, watch, cancel)
        loop = asyncio.get_running_loop()
        reports = (progress, paused or (lambda _: None))
        while True:
            if cancel.is_set():
                await self._stop_or_give_up(keys, watch)
            popped = await self._try(self._client().blpop([keys.events], timeout=POLL_S))
            if popped:
                message = json.loads(popped[1])
                if await self._on_event(message, keys, output, reports, cancel, watch):
                    return
                continue
            if loop.time() < watch.next_probe:
                continue
            watch.next_probe = loop.time() + min(1.0, self._lease_s / 4)
            if await self._try(self._result_or_lease(keys, watch)):
                if watch.has_result:
                    await self._fetch(keys, output, cancel)
                    return
            elif not (await self.capacity()).online:
                raise EngineOffline("no worker online")
            elif watch.due(loop.time()) and watch.cancel_sent_at is None:
                log.warning("job %s: no worker holds task %s; sending it again", job.id, keys.key)
                await self._send(keys, content, style, resume, wire, watch, cancel)

    async def animate(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        """On this machine (the fast service's thread): the fast method paints frame by frame."""
        await self._fast.animate(content, style, settings, output, progress, cancel)

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
    ) -> None:
        """On this machine (the fast service's thread), so a sheet never waits behind the
        workers' queue."""
        await self._fast.contact_sheet(content, styles, settings, output)

    # The conversation with the task's keys.

    async def _send(
        self,
        keys: TaskKeys,
        content: Path,
        style: Sequence[Path],
        resume: Path | None,
        wire: dict[str, Any],
        watch: TaskWatch,
        cancel: threading.Event,
    ) -> None:
        """Upload the inputs (again: a worker deletes them) and ask for the task.

        The paintings go in one list, in order, as settings.style_weights names them; a print's
        finished painting (resume) in a key of its own.
        """
        photo = await asyncio.to_thread(content.read_bytes)
        paintings = await asyncio.to_thread(lambda: [path.read_bytes() for path in style])
        painted = await asyncio.to_thread(resume.read_bytes) if resume else None

        async def send() -> None:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.set(keys.content, photo, ex=DATA_TTL_S)
                pipe.delete(keys.style)
                pipe.rpush(keys.style, *paintings)
                pipe.expire(keys.style, DATA_TTL_S)
                if painted is None:
                    pipe.delete(keys.resume)
                else:
                    pipe.set(keys.resume, painted, ex=DATA_TTL_S)
                pipe.delete(keys.cancel)
                await pipe.execute()
            # A print to the prints' stream once a worker reads it (else as before lanes).
            printing = resume is not None and any(w.prints for w in self._workers)
            kicker = self._print_kicker if printing else self._kicker
            try:
                await kicker.kiq(keys.key, wire)
            except SendTaskError as error:  # taskiq wraps the connection error
                raise RedisConnectionError(str(error.__cause__)) from error

        await self._retry(send, cancel)
        watch.sent(asyncio.get_running_loop().time())

    async def _result_or_lease(self, keys: TaskKeys, watch: TaskWatch) -> bool:
        """Whether the task has a result, a worker holding its lease, or events still to read.

        Read together, atomically: a worker's outcome removes its lease and adds its last event
        in one step, so a lease gone with no event behind it means the worker vanished, and
        inputs gone as well mean Redis lost its data (the task's message with them).
        """
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.exists(keys.result)
            pipe.get(keys.lease)
            pipe.llen(keys.events)
            pipe.exists(keys.content)
            has_result, holder, unread, inputs = await pipe.execute()
        watch.has_result = bool(has_result)
        if holder is not None:
            watch.leased(asyncio.get_running_loop().time())
        elif not unread:
            watch.lease_lapsed(inputs_kept=bool(inputs))
        return watch.has_result or holder is not None or bool(unread)

    async def _on_event(
        self,
        message: dict[str, Any],
        keys: TaskKeys,
        output: Path,
        reports: tuple[Progress, Paused],
        cancel: threading.Event,
        watch: TaskWatch,
    ) -> bool:
        """Act on one event; True once the result is in output."""
        kind = message["event"]
        progress, paused = reports
        watch.leased(asyncio.get_running_loop().time())
        if kind == "started":
            log.info("job %s: %s started task %s", watch.job_id, message["worker"], keys.key)
        elif kind == "progress":
            progress(float(message["fraction"]))
        elif kind in ("paused", "resumed"):
            paused(kind == "paused")
        elif kind == "done":
            await self._fetch(keys, output, cancel)
            return True
        elif kind == "cancelled":
            raise Cancelled("the worker stopped")
        elif kind == "failed" and message.get("kind") == "image":
            raise ImageError(message.get("error", "unreadable image"))
        elif kind == "failed":
            raise EngineError(message.get("error", "the worker failed"))
        return False

    async def _stop_or_give_up(self, keys: TaskKeys, watch: TaskWatch) -> None:
        """Ask the worker to stop; raise once it cannot answer any more (or nobody ran it)."""
        now = asyncio.get_running_loop().time()
        if watch.cancel_sent_at is None:
            watch.cancel_sent_at = now

            async def send() -> None:
                async with self._client().pipeline(transaction=True) as pipe:
                    pipe.rpush(keys.cancel, "stop")
                    pipe.expire(keys.cancel, DATA_TTL_S)
                    await pipe.execute()

            await self._try(send())
        if not watch.ever_leased:
            raise NotStarted("no worker took the job")
        if not watch.alive or now - watch.cancel_sent_at > 2 * self._lease_s:
            raise Cancelled("the worker did not answer the cancel")

    async def _fetch(self, keys: TaskKeys, output: Path, cancel: threading.Event) -> None:
        data = await self._retry(lambda: self._client().get(keys.result), cancel, Cancelled)
        if data is None:
            raise EngineError("the result expired before it was fetched")
        await asyncio.to_thread(output.write_bytes, data)

    # Redis going away for a while is waited out; the job's timeout still holds.

    def _client(self) -> Redis:
        assert self._redis is not None, "start() first"
        return self._redis

    async def _try(self, call: Awaitable[T]) -> T | None:
        """One call; None (after a pause) when Redis cannot be reached right now."""
        try:
            result = await call
        except UNREACHABLE as error:
            self._outage.failed(error)
            await self._outage.pause(1)
            return None
        self._outage.answered()
        return result

    async def _retry(
        self, call: Any, cancel: threading.Event, stopped: type[Cancelled] = NotStarted
    ) -> Any:
        """call() until Redis answers: what must happen (sending, fetching).

        Unless the job is stopped meanwhile (its timeout, a cancel): then `stopped` is raised,
        NotStarted by default, as no worker can have taken a task Redis never handed out. Away
        for a lease, Redis leaves no worker online: EngineOffline, the job waits in the queue.
        """
        try:
            return await self._outage.retry(
                call, give_up=lambda: cancel.is_set() or not self._online()
            )
        except UNREACHABLE as error:
            if cancel.is_set():
                raise stopped("Redis unreachable") from error
            raise EngineOffline("Redis unreachable for a lease") from error
