"""Fixtures shared by every test: where ../shared's test assets are, and what to do if they are not.

With CI=true the assets are required (a missing one fails the test); elsewhere a test that needs one
is skipped with a message naming the missing path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nst_engine.faces import MODELS_DIR_ENV as FACE_MODELS_DIR_ENV
from nst_engine.segmentation import MODEL_ENV
from tests import assets

pytest_plugins = ["tests.fakebot.fixtures", "tests.botfixtures", "tests.remotefixtures"]

REPO_ROOT = Path(__file__).resolve().parents[1]
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
def face_models_or_none(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The face detectors' folder, or (without a registry) a folder without them, so that an
    engine built with it holds no face and nothing tries the network."""
    try:
        return assets.face_models_dir()
    except assets.AssetError:
        return tmp_path_factory.mktemp("no-face-models")


@pytest.fixture(scope="session", autouse=True)
def mediapipe_models_env(
    tmp_path_factory: pytest.TempPathFactory, face_models_or_none: Path
) -> Iterator[None]:
    """$NST_SEGMENTATION_MODEL and $NST_FACE_MODELS_DIR for every runner the tests start, in
    this process or in the bots and workers they spawn: the wheel's copies, or (without a
    registry) paths where they are not, so person mode is unavailable and nothing tries the
    network."""
    before = {name: os.environ.get(name) for name in (MODEL_ENV, FACE_MODELS_DIR_ENV)}
    try:
        selfie = assets.selfie_segmentation_model()
    except assets.AssetError:
        selfie = tmp_path_factory.mktemp("no-segmenter") / "missing.tflite"
    os.environ[MODEL_ENV] = str(selfie)
    os.environ[FACE_MODELS_DIR_ENV] = str(face_models_or_none)
    yield
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
