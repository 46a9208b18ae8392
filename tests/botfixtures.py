"""Our real bot, running against the fake Bot API: the fixtures every flow test starts from.

`bot_app` is the whole bot (handlers, store, dispatcher, the real engine) on a temporary data
folder, with tiny output sizes so a job takes a couple of seconds on a CPU. `start_bot(**overrides)`
does the same with other settings (`daily_limit=1`, `queue_limit=2`, `concurrent_jobs=2` ...). The
Engine is built once per test session, because building it costs seconds. Preset images come from
../shared/images/styles (their sha256 match the manifest), so presets work offline.

Registered through `pytest_plugins` in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from telegram.ext import Application

from bot.app import build_application
from bot.chat.services import Services, services
from bot.config import Config
from bot.presets import SHIPPED_MANIFEST, load_manifest
from tests.conftest import SHARED, mediapipe_models, shared_path
from tests.fakebot import FakeTelegram, running
from tests.holds import JobHold

if TYPE_CHECKING:
    from nst_engine.engine import Engine

# Output sides small enough for a CPU test run; the engine's minimum is 64.
# Tiny pictures and the step budget the engine had for them before its 200-step coarsest scale.
TINY_SIDES = {"fast_side": 64, "standard_side": 64, "high_side": 96, "quality_steps": 40}
# The same for a started `python -m bot` or `nst-worker`, which warms up for and measures its
# pace at these sides: at the defaults (512 and 768 px) a start costs some 40 CPU s more.
TINY_SIDES_ENV = {f"NST_{name.upper()}": str(value) for name, value in TINY_SIDES.items()} | {
    "NST_PRINT_SIDES": "128"
}


@dataclass
class RunningBot:
    """A started bot: its Application, Services (store, dispatcher, presets) and Config."""

    application: Application
    services: Services
    config: Config


@pytest.fixture(scope="session")
def engine(
    vgg_weights: Path, fast_models_dir: Path, face_models_or_none: Path, compilation_cache: Path
) -> Engine:
    """One Engine for the whole session (TensorFlow import and model build: seconds)."""
    from nst_engine.engine import Engine

    return Engine(
        vgg_weights,
        fast_models_dir,
        face_models_dir=face_models_or_none,
        compilation_cache=compilation_cache,
    )


@pytest.fixture(scope="session")
def presets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A presets folder holding links to ../shared's copies of the preset paintings."""
    styles = shared_path("images/styles")
    folder = tmp_path_factory.mktemp("presets")
    for preset in load_manifest(SHIPPED_MANIFEST):
        source = styles / preset.filename
        if source.is_file():
            (folder / preset.filename).symlink_to(source)
    return folder


def tiny_config(telegram: FakeTelegram, data_dir: Path, presets: Path, **overrides: Any) -> Config:
    """A Config pointing at the fake server, with tiny sizes and generous limits; the models
    are ../shared's and mediapipe_models(), as the processes the tests spawn get them."""
    selfie, faces = mediapipe_models()
    values: dict[str, Any] = {
        "token": telegram.token,
        "base_url": telegram.base_url,
        "base_file_url": telegram.base_file_url,
        "data_dir": data_dir,
        "presets_dir": presets,
        "daily_limit": 100,
        "job_timeout_s": 120,
        "fast_models_dir": SHARED / "models",
        "face_models_dir": faces,
        "segmentation_model": selfie,
        **TINY_SIDES,
        **overrides,
    }
    return Config(**values)


StartBot = Callable[..., AbstractAsyncContextManager[RunningBot]]


@pytest.fixture
def start_bot(
    telegram: FakeTelegram, engine: Engine, presets_dir: Path, tmp_path: Path, job_hold: JobHold
) -> StartBot:
    """`async with start_bot(daily_limit=1) as bot:` runs our bot with those Config overrides.

    Starting it again (sequentially) reuses the same data folder, as a restart would. The test's
    `job_hold` holds its jobs when closed (tests/holds.py).
    """

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[RunningBot]:
        overrides.setdefault("test_hold", job_hold.folder)
        config = tiny_config(telegram, tmp_path / "data", presets_dir, **overrides)
        application = build_application(config, engine=engine)
        async with running(application):
            try:
                yield RunningBot(application, services(application.bot_data), config)
            finally:
                telegram.release_held()  # a job held in a download must not hold up the stop

    return start


@pytest.fixture
async def bot_app(start_bot: StartBot) -> AsyncIterator[RunningBot]:
    """Our bot with default test settings, running for the test."""
    async with start_bot() as bot:
        yield bot
