"""The bot assembled: every piece of wiring in one Application.builder() call and its hooks.

post_init opens the store, builds the engine (TensorFlow is imported here, once, before the first
update is read) and starts the process's one fast service (its networks and face detector),
recovers jobs and starts the dispatcher; post_stop stops the dispatcher while the bot can
still edit messages; post_shutdown releases the engine and the fast service and closes the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor

from bot import metrics
from bot.chat.menu import set_commands
from bot.chat.services import SERVICES_KEY, Services
from bot.chat.wiring import register_handlers
from bot.config import HEARTBEAT_S, Config
from bot.connection import PatientApplication, TelegramLink
from bot.jobs.dispatcher import Dispatcher
from bot.jobs.fast_service import FastService
from bot.jobs.hold import Hold
from bot.jobs.in_process import InProcessRunner
from bot.jobs.messenger import Messenger
from bot.jobs.runner import JobRunner
from bot.jobs.store import Store
from bot.presets import PresetLibrary

if TYPE_CHECKING:
    from nst_engine.engine import Engine

log = logging.getLogger(__name__)

# A 429 halts all requests for retry_after seconds, then the request is tried again; this many
# times before the error reaches the caller (the dispatcher then keeps waiting on its own).
FLOOD_RETRIES = 10
# Updates in flight at once, across users (one user's updates still run one after another).
MAX_CONCURRENT_UPDATES = 256


class PerUserUpdates(BaseUpdateProcessor):
    """Different people's updates run concurrently; one person's run one at a time, in order.

    So a slow reply to one user never delays another, while a user's own photo, then painting,
    then /cancel are still handled in the order they were sent.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[int, tuple[asyncio.Lock, int]] = {}  # user -> (lock, updates waiting)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        lock, waiting = self._queues.get(user.id, (asyncio.Lock(), 0))
        self._queues[user.id] = (lock, waiting + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, waiting = self._queues[user.id]
            if waiting == 1:
                del self._queues[user.id]
            else:
                self._queues[user.id] = (lock, waiting - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


@dataclass
class _Parts:
    """What post_init made, so the stop hooks release exactly that, even after a failed start."""

    fast: FastService
    runner: JobRunner
    store: Store | None = None
    runner_started: bool = False
    dispatcher: Dispatcher | None = None
    metrics_server: Any = None


def _runner(config: Config, engine: Engine | None, fast: FastService) -> JobRunner:
    """Remote workers when NST_REDIS_URL is set; otherwise the engine runs in this process."""
    if config.redis_url:
        from bot.jobs.remote import RemoteRunner

        return RemoteRunner(config.redis_url, config.lease_s, fast)
    hold = Hold(config.test_hold) if config.test_hold else None
    return InProcessRunner(
        config.concurrent_jobs, fast, engine, config.engine_options, hold, config.concurrent_prints
    )


def build_application(
    config: Config, *, engine: Engine | None = None, runner: JobRunner | None = None
) -> Application:
    """The whole bot. engine: an Engine already built (tests share one); runner: another
    JobRunner backend instead of running the engine in this process."""
    # The process's one fast service, for whichever runner: the given engine's models, else the
    # configured ones.
    fast = (
        FastService.of_engine(engine) if engine else FastService.from_options(config.engine_options)
    )
    parts = _Parts(fast, runner or _runner(config, engine, fast))
    link = TelegramLink(config.heartbeat_path)

    async def post_init(application: Application) -> None:
        if config.metrics_port is not None:
            parts.metrics_server = metrics.serve(config.metrics_port)
        parts.store = await Store.open(config.database_path)
        await parts.runner.start()  # first: a Redis that cannot be reached stops the bot now
        parts.runner_started = True
        await parts.fast.start()
        metrics.engines_online((await parts.runner.capacity()).engines)
        presets = PresetLibrary.from_config(config)
        parts.dispatcher = Dispatcher(
            config, parts.store, parts.runner, Messenger(application.bot), presets
        )
        application.bot_data[SERVICES_KEY] = Services(
            config, parts.store, parts.dispatcher, presets
        )
        await parts.dispatcher.start()
        # A fresh heartbeat now: the engines' warm-up and pace may have taken minutes, and the
        # repeating beat's first comes only HEARTBEAT_S after this.
        await link.check(application.bot)
        assert application.job_queue is not None  # the job-queue extra is a dependency
        application.job_queue.run_repeating(link.beat, HEARTBEAT_S)
        try:
            await set_commands(application)
        except TelegramError as error:  # the menu is a convenience; the bot works without it
            log.warning("could not set the command menu: %s", error)

    async def post_stop(application: Application) -> None:
        if parts.dispatcher is not None:
            await parts.dispatcher.stop()

    async def post_shutdown(application: Application) -> None:
        if parts.dispatcher is not None:
            await parts.dispatcher.stop()
        if parts.runner_started:
            metrics.engines_online(0)
            await parts.runner.stop()
        await parts.fast.stop()
        if parts.metrics_server is not None:
            parts.metrics_server.shutdown()
        if parts.store is not None:
            await parts.store.close()

    application = (
        Application.builder()
        .application_class(PatientApplication, kwargs={"link": link})
        .token(config.token)
        .request(metrics.CountingRequest(connection_pool_size=256))  # PTB's default sizes
        .get_updates_request(metrics.CountingRequest(connection_pool_size=1))
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .concurrent_updates(PerUserUpdates(MAX_CONCURRENT_UPDATES))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    application.add_error_handler(link.on_poll_error)  # first: polling failures stop there
    register_handlers(application)
    return application
