"""A dispatcher with a scripted runner in place of the engine: real SQLite, the fake Bot API for
Telegram; only the pixels are faked, so each case can make a job block, fail, stand aside or stop
exactly when it needs to. `make_world(runner, **config)` starts one (test_dispatcher.py,
test_lanes.py); registered through `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from telegram import Bot

from bot.config import Config
from bot.jobs.dispatcher import Dispatcher
from bot.jobs.messenger import Messenger
from bot.jobs.runner import Capacity
from bot.jobs.store import Store
from bot.models import FileRef, Job, JobRequest, PersonMode, UserSettings
from nst_engine.errors import Cancelled, EngineError, ImageError
from nst_engine.settings import Settings
from tests.fakebot import FakeTelegram, jpeg


@dataclass
class Script:
    """What the fake runner does for one user's job."""

    outcome: str = "finish"  # finish | block (until cancelled) | error | bad_image
    gate: asyncio.Event | None = None  # if set, wait for it before the outcome
    # If set: the run says it stands aside (paused) after its progress, until this is set.
    aside: asyncio.Event | None = None


@dataclass
class FakeRunner:
    """A JobRunner that follows a script per user and records what it was asked to do."""

    scripts: dict[int, Script] = field(default_factory=dict)
    started: list[int] = field(default_factory=list)  # user ids, in the order their runs began
    inputs: dict[int, tuple[bytes, bytes]] = field(default_factory=dict)
    running: dict[int, asyncio.Event] = field(default_factory=dict)
    finished: dict[int, asyncio.Event] = field(default_factory=dict)
    active: int = 0
    most_active: int = 0
    forgotten: list[int] = field(default_factory=list)  # job ids, as their runs ended
    fast_error: str | None = "no preview with the fake runner"
    sheet_error: str | None = "no contact sheets with the fake runner"
    person_error: str | None = "no person mode with the fake runner"
    # What the runner's measured pace says a run takes: by max_side (None: not measured).
    paced_s: dict[int, float] = field(default_factory=dict)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def forget(self, job_id: int) -> None:
        self.forgotten.append(job_id)

    async def capacity(self) -> Capacity:
        return Capacity(1, self.active)

    async def sees_no_face(self, content: Path) -> bool:
        return False

    async def animate(self, job: Job, *args: Any) -> None:
        raise EngineError("no animations with the fake runner")

    async def contact_sheet(
        self, content: Path, styles: Sequence[tuple[str, Path]], settings: Settings, output: Path
    ) -> None:
        raise EngineError("no contact sheets with the fake runner")

    def estimate_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        return self.paced_s.get(settings.max_side)

    def started_event(self, user_id: int) -> asyncio.Event:
        return self.running.setdefault(user_id, asyncio.Event())

    def finished_event(self, user_id: int) -> asyncio.Event:
        return self.finished.setdefault(user_id, asyncio.Event())

    async def run(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Callable[[float], None],
        cancel: threading.Event,
        person: PersonMode = PersonMode.OFF,
        resume: Path | None = None,
        paused: Callable[[bool], None] | None = None,
    ) -> None:
        user = job.request.user_id
        script = self.scripts.get(user, Script())
        self.started.append(user)
        self.inputs[user] = (await asyncio.to_thread(content.read_bytes), b"")
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.started_event(user).set()
        try:
            if script.gate is not None:
                await script.gate.wait()
            progress(0.5)
            if script.aside is not None and paused is not None:
                paused(True)
                await script.aside.wait()
                paused(False)
            if script.outcome == "block":
                await asyncio.to_thread(cancel.wait)
            if cancel.is_set():
                raise Cancelled("cancelled")
            if script.outcome == "error":
                raise RuntimeError("engine exploded")
            if script.outcome == "bad_image":
                raise ImageError("cannot decode the photo")
            Image.new("RGB", (64, 48), "red").save(output, "PNG")
        finally:
            self.active -= 1
            self.finished_event(user).set()


class Styles:
    def __init__(self, path: Path) -> None:
        self.path = path

    def title(self, preset_id: str, language: str = "en") -> str:
        return f"Preset {preset_id}"

    async def image_path(self, preset_id: str) -> Path:
        return self.path


def make_request(telegram: FakeTelegram, user_id: int, **changes: Any) -> JobRequest:
    """A preset job for a photo the fake server holds, as a handler would submit it."""
    photo = telegram.store_photo(jpeg(64, 48, (user_id % 256, 10, 10)))[-1]
    values: dict[str, Any] = {
        "user_id": user_id,
        "chat_id": user_id,
        "content": FileRef(photo["file_id"], photo["file_unique_id"], photo["file_size"]),
        "style": None,
        "preset_id": "starry_night",
        "settings": UserSettings(),
        "language": "en",
    }
    values.update(changes)
    return JobRequest(**values)


@dataclass
class World:
    telegram: FakeTelegram
    store: Store
    runner: FakeRunner
    dispatcher: Dispatcher
    config: Config

    def request(self, user_id: int, **changes: Any) -> JobRequest:
        return make_request(self.telegram, user_id, **changes)

    async def job_of(self, user_id: int) -> Job:
        job = await self.store.last_job(user_id)
        assert job is not None
        return job

    def job_dir(self, job: Job) -> Path:
        return self.config.data_dir / "jobs" / str(job.id)


@pytest.fixture
def make_world(telegram: FakeTelegram, tmp_path: Path):
    style = tmp_path / "style.jpg"
    style.write_bytes(jpeg(48, 48, (0, 0, 200)))

    @asynccontextmanager
    async def make(runner: FakeRunner | None = None, **overrides: Any) -> AsyncIterator[World]:
        config = Config(
            token=telegram.token,
            base_url=telegram.base_url,
            base_file_url=telegram.base_file_url,
            data_dir=tmp_path / "data",
            **overrides,
        )
        for user_id in range(1, 10):
            with contextlib.suppress(ValueError):  # made by an earlier start
                telegram.user(user_id=user_id)
        store = await Store.open(config.database_path)
        bot = Bot(telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url)
        runner = runner or FakeRunner()
        dispatcher = Dispatcher(config, store, runner, Messenger(bot), Styles(style))
        async with bot:
            await dispatcher.start()
            try:
                yield World(telegram, store, runner, dispatcher, config)
            finally:
                await dispatcher.stop()
                await store.close()

    return make
