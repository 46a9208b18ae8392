"""Pytest fixtures around the fake Bot API: the server, people to talk as, and a running bot.

Registered for every test through `pytest_plugins` in tests/conftest.py. A test that needs our real
bot builds it with `telegram.token`, `telegram.base_url` and `telegram.base_file_url` (or starts
from the `application_builder` fixture) and runs it with `async with running(app):`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import pytest
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

from tests.fakebot.server import FakeTelegram
from tests.fakebot.user import FakeUser

AppT = TypeVar("AppT", bound=Application[Any, Any, Any, Any, Any, Any])


@asynccontextmanager
async def running(application: AppT) -> AsyncIterator[AppT]:
    """Run an Application as `run_polling` would, in the test's event loop, until the block ends.

    Polls with no pause and a 1 s long-poll timeout, calls post_init/post_stop/post_shutdown and
    routes polling errors like run_polling, and always stops and shuts down, so a failing test
    leaves no polling task behind.
    """
    updater = application.updater
    assert updater is not None, "build the Application with an Updater (the default)"
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)

        def poll_failed(error: TelegramError) -> None:
            """As run_polling does: a failed poll goes to the application's error handlers."""
            application.create_task(application.process_error(None, error))

        await updater.start_polling(poll_interval=0, timeout=1, error_callback=poll_failed)
        await application.start()
        yield application
    finally:
        if updater.running:
            await updater.stop()
        if application.running:
            await application.stop()
        if application.post_stop:
            await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """A fresh fake Bot API server on 127.0.0.1 for this test."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def make_user(telegram: FakeTelegram) -> Callable[..., FakeUser]:
    """Makes more people: `make_user("Boris", language_code="ru")`."""
    return telegram.user


@pytest.fixture
def user(telegram: FakeTelegram) -> FakeUser:
    """Alice, language "en", in a private chat with the bot."""
    return telegram.user()


@pytest.fixture
def application_builder(telegram: FakeTelegram) -> ApplicationBuilder:
    """Application.builder() already pointed at the fake server; add handlers' needs and build."""
    return (
        Application.builder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        .base_file_url(telegram.base_file_url)
    )


@pytest.fixture(name="running")
def running_fixture() -> Callable[[AppT], AbstractAsyncContextManager[AppT]]:
    """`async with running(app):` runs the bot against the fake server for the block."""
    return running
