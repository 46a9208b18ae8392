"""The wire between the bot and its remote workers: one Redis, two taskiq streams (regular tasks,
and prints, each worker reading both), a few keys per task.

The taskiq message only says "work on this task"; everything else lives in keys with a TTL, so a
message delivered twice, late or after its job ended finds the keys' state and is dropped:

    nst:task:<key>:content / :style   the user's photo; its paintings, a list in order (mixed
                                      by settings.style_weights); written by the bot, deleted
                                      by the worker
    nst:task:<key>:resume             a print's finished painting, to paint on at a larger
                                      side; as content
    nst:task:<key>:lease              which worker runs it; expires unless renewed (progress,
                                      heartbeat), so a killed worker loses it within lease_s
    nst:task:<key>:result             the PNG; written only by the lease holder, once
    nst:task:<key>:events             a list the bot pops: started, progress, paused, resumed,
                                      done, failed
    nst:task:<key>:cancel             a list the worker pops: anything in it stops the run
    nst:worker:<name>                 a worker's heartbeat: concurrency, busy, previews, its
                                      pace, whether it reads the prints' stream

A task's key is "<job id>.<method>", so a restarted bot finds the run its predecessor started.
Nothing here imports telegram or TensorFlow: the bot and `nst-worker` both import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, ExponentialWithJitterBackoff
from redis.exceptions import AuthenticationError, ReadOnlyError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage
from taskiq_redis import RedisStreamBroker

from bot.config import safe_url
from bot.models import PersonMode
from nst_engine.settings import Settings

log = logging.getLogger(__name__)

STREAM = "nst:tasks"
# Prints have a stream of their own, which each worker reads beside the first with a slot of its
# own, so a regular task never waits behind a print (a worker's print stands aside while it paints
# a regular one). A worker from before lanes reads only the first: see WorkerInfo.prints.
PRINT_STREAM = "nst:prints"
GROUP = "nst-workers"
TASK_NAME = "nst.stylize"
# Every key expires: a crashed bot or worker leaves nothing behind for longer than this.
DATA_TTL_S = 3600
# Errors that mean "Redis cannot serve us right now": down, restarting, LOADING its data (a
# ConnectionError), silent past the socket timeout, or a replica after a failover (READONLY).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError)
# Between tries while Redis is away: 0.25 s, doubling, at most this (jittered, redis-py's backoff).
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 5.0
# A Redis that has not answered a command in this long is taken for gone: a frozen server or a
# dead network path raises a timeout instead of hanging a worker for ever. Longer than any
# blocking read (XREADGROUP blocks 2 s, a worker's BLPOP lease_s / 3).
MIN_SOCKET_TIMEOUT_S = 5.0

T = TypeVar("T")

# Set the result only while holding the lease: a worker that lost it (killed and replaced, or
# the job ended and its keys were deleted) has its late result dropped here. The user's images
# go with the lease.
FINISH_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('DEL', KEYS[1], KEYS[4], KEYS[5], KEYS[6])
return 1
"""
# Renew the lease only if it is still ours; 0 tells the worker to stop.
RENEW_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# Push an event and renew the lease, only while the lease is ours.
PUSH_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return redis.call('PEXPIRE', KEYS[1], ARGV[4])
"""
# The last event of a run that made no result: the user's images go with the lease.
END_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])
"""


@dataclass(frozen=True)
class TaskKeys:
    """The Redis keys of one task."""

    key: str

    def _name(self, part: str) -> str:
        return f"nst:task:{self.key}:{part}"

    @property
    def content(self) -> str:
        return self._name("content")

    @property
    def style(self) -> str:
        return self._name("style")

    @property
    def resume(self) -> str:
        return self._name("resume")

    @property
    def lease(self) -> str:
        return self._name("lease")

    @property
    def result(self) -> str:
        return self._name("result")

    @property
    def events(self) -> str:
        return self._name("events")

    @property
    def cancel(self) -> str:
        return self._name("cancel")

    @property
    def inputs(self) -> list[str]:
        """The user's pictures: written by the bot, deleted with the worker's last event."""
        return [self.content, self.style, self.resume]

    def all(self) -> list[str]:
        return [*self.inputs, self.lease, self.result, self.events, self.cancel]


def task_key(job_id: int, settings: Settings) -> str:
    """One task per job and method: the preview (fast) and the main run never share keys."""
    return f"{job_id}.{settings.method}"


def worker_key(name: str) -> str:
    return f"nst:worker:{name}"


WORKER_PATTERN = "nst:worker:*"


# The wire's keys beside the engine's settings.
PERSON_KEY = "person"
RESUME_KEY = "resume"


@dataclass(frozen=True)
class TaskSettings:
    """What a task's message asks of the worker: the engine's settings, and beside them, each
    only when it is not the default (so such a task is the message an older worker reads), the
    person mode and whether it is a print (its painting to paint on is in the `resume` key)."""

    engine: Settings
    person: PersonMode = PersonMode.OFF
    resume: bool = False

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self.engine)
        if self.person is not PersonMode.OFF:
            wire[PERSON_KEY] = self.person.value
        if self.resume:
            wire[RESUME_KEY] = True
        return wire

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> TaskSettings:
        """An unknown person mode reads as off, and a key the engine's settings do not have is
        dropped: an older bot's task (which still sent `vgg_weights`) is painted, not refused."""
        known = {field.name for field in fields(Settings)}
        try:
            person = PersonMode(data.get(PERSON_KEY, PersonMode.OFF))
        except ValueError:
            person = PersonMode.OFF
        resume = data.get(RESUME_KEY, False) is True
        engine = Settings(**{key: value for key, value in data.items() if key in known})
        return cls(engine, person, resume)


def event(name: str, **fields: Any) -> str:
    """An event for the bot: started(worker), progress(fraction), paused and resumed (a print
    standing aside), done, failed(kind, error)."""
    return json.dumps({"event": name, **fields})


@dataclass(frozen=True)
class WorkerInfo:
    """What a worker's heartbeat says about it."""

    name: str
    concurrency: int
    busy: int
    fast_error: str | None
    device: str
    # None: this worker applies person mode. A worker that predates it says nothing: unavailable.
    person_error: str | None = "not reported"
    # Reads PRINT_STREAM; a worker from before lanes does not (the bot then sends prints to the
    # first stream, as before).
    prints: bool = False
    # Its engine's pace, measured at its start (nst_engine.pace.Pace.to_json); None: unknown.
    pace: dict[str, Any] | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> WorkerInfo:
        """Fields this bot does not know (a newer worker's) are left out rather than refused."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


def connect(url: str, lease_s: float) -> Redis:
    """A client for NST_REDIS_URL (password, ACL user and rediss:// as redis-py reads them)."""
    return Redis.from_url(url, **client_options(lease_s))


def client_options(lease_s: float) -> dict[str, Any]:
    """Our clients' and taskiq's pool's: a timeout instead of a hang, and a command that meets a
    connection Redis closed (a restart) sent again on a new one at once, so only an outage that
    lasts reaches Outage (redis-py gives a bare pool's connections no retries at all)."""
    timeout = max(float(lease_s), MIN_SOCKET_TIMEOUT_S)
    retry = Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.01), 3, (RedisConnectionError,))
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": retry}


def unreachable_line(url: str, error: Exception) -> str:
    """What an operator reads when Redis cannot be used at start: one line, no password."""
    if isinstance(error, AuthenticationError):
        return (
            f"NST_REDIS_URL: Redis at {safe_url(url)} refused the login ({error}):"
            " check the user and password in the URL"
        )
    return f"NST_REDIS_URL: cannot reach Redis at {safe_url(url)}: {error}"


class Outage:
    """How one process rides out Redis being away: a log line when it goes, one when it is back.

    Every loop that talks to Redis goes through `retry` (or reports to `failed` and `answered`),
    so an outage is two lines however many loops notice it, and each loop waits a capped,
    jittered backoff between its tries, so many workers do not hammer a Redis starting up.
    """

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._since: float | None = None
        self._backoff = EqualJitterBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S)

    def failed(self, error: Exception) -> None:
        """A call failed: logged if it starts an outage."""
        if self._since is None:
            self._since = time.monotonic()
            self._log.warning("Redis unreachable, waiting for it: %s", error)

    async def pause(self, tries: int) -> None:
        """The wait before try number tries + 1."""
        await asyncio.sleep(self._backoff.compute(tries))

    def answered(self) -> None:
        if self._since is not None:
            self._log.warning("Redis answers again, after %.0f s", time.monotonic() - self._since)
            self._since = None

    async def retry(
        self, call: Callable[[], Awaitable[T]], give_up: Callable[[], bool] = lambda: False
    ) -> T:
        """call() until Redis answers; its error is raised once give_up() says to stop waiting."""
        tries = 0
        while True:
            try:
                result = await call()
            except UNREACHABLE as error:
                if give_up():
                    raise
                self.failed(error)
                tries += 1
                await self.pause(tries)
                continue
            self.answered()
            return result


class StreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, reading one message at a time and riding out Redis faults.

    One message per read: a busy worker never holds tasks another idle worker could run. Messages
    are acknowledged on receipt, and only as well as Redis allows (the worker's lease, not the
    stream's pending list, says who runs a task), so nothing waits for taskiq-redis's reclaim,
    which only runs when a new message arrives; the bot's reconciler sends a task again when its
    lease lapses. A lost connection is waited out instead of ending the listener, which would
    cancel the jobs running in this worker, and a group that Redis lost is declared again.
    """

    def __init__(
        self,
        url: str,
        lease_s: float,
        outage: Outage,
        consumer_name: str | None = None,
        stream: str = STREAM,
    ) -> None:
        # consumer_id "0": a group declared again after Redis lost its data reads what is there.
        super().__init__(
            url,
            queue_name=stream,
            consumer_group_name=GROUP,
            consumer_name=consumer_name,
            consumer_id="0",
            maxlen=10_000,
            xread_count=1,
            **client_options(lease_s),
        )
        self.outage = outage
        self.stream = stream

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:

            async def read() -> Any:
                try:
                    return await redis.xreadgroup(
                        GROUP, self.consumer_name, {self.stream: ">"}, count=1, block=self.block
                    )
                except ResponseError as error:
                    if str(error).startswith("UNBLOCKED"):
                        # Redis turned replica under a blocked read (an idle stream's, such as
                        # the prints'): a failover, as READONLY says on the next try.
                        raise ReadOnlyError(str(error)) from error
                    if "NOGROUP" not in str(error):
                        raise
                    log.warning(
                        "the task stream's group is gone (Redis lost its data): declared again"
                    )
                    await self._declare_consumer_group()
                    return None

            while True:
                fetched = await self.outage.retry(read)
                for _stream, messages in fetched or []:
                    for message_id, fields in messages:
                        yield AckableMessage(data=fields[b"data"], ack=self._acker(message_id))

    def _acker(self, message_id: bytes) -> Callable[[], Awaitable[None]]:
        """XACK if Redis answers; if not, the lease still says who runs the task."""
        ack = self._ack_generator(id=message_id, queue_name=self.stream)  # type: ignore[arg-type]

        async def best_effort() -> None:
            with contextlib.suppress(*UNREACHABLE):
                await ack()

        return best_effort
