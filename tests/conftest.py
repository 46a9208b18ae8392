"""Fixtures shared by every test: where ../shared's test assets are, and what to do if they are not.

With CI=true the assets are required (a missing one fails the test); elsewhere a test that needs one
is skipped with a message naming the missing path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
