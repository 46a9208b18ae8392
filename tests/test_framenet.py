"""Magenta's transfer network rebuilt for one frame size (nst_engine.framenet)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import Settings
from nst_engine.fast import TILE, FastStylizer
from nst_engine.framenet import resized_model


@pytest.fixture(scope="module")
def stylizer(fast_models_dir: Path) -> FastStylizer:
    return FastStylizer(fast_models_dir)


@pytest.fixture(scope="module")
def vector(stylizer: FastStylizer, style_painting: Path) -> np.ndarray:
    return stylizer.file_style_vector(style_painting)


def test_at_the_tile_size_it_is_the_network_as_shipped(
    stylizer: FastStylizer, content_photo: Path, vector: np.ndarray, fast_models_dir: Path
) -> None:
    """The sizes written for a 384-px frame are the graph's own, so the bytes do not change and
    the picture is the tile's: the sizes go to the right resizes."""
    shipped = next(fast_models_dir.glob("*transfer*.tflite")).read_bytes()
    assert resized_model(shipped, TILE, TILE) == shipped
    photo = Image.open(content_photo).convert("RGB").resize((TILE, TILE))
    settings = Settings("fast")
    tiled = stylizer.paint(photo, vector, settings)
    whole = stylizer.paint(photo, vector, settings, network=stylizer.frame_network(TILE, TILE))
    assert np.array_equal(np.asarray(tiled), np.asarray(whole))


def test_any_frame_size_is_painted_at_that_size(
    stylizer: FastStylizer, content_photo: Path, vector: np.ndarray
) -> None:
    """90x62 is padded to 92x64 (multiples of the network's stride) and cropped back."""
    network = stylizer.frame_network(90, 62)
    frame = np.asarray(Image.open(content_photo).convert("RGB").resize((90, 62)), np.float32)
    painted = network.transfer(frame / 255.0, vector)
    assert painted.shape == (62, 90, 3) and painted.min() >= 0.0 and painted.max() <= 1.0
    assert np.abs(painted - frame / 255.0).mean() > 0.05  # painted, not passed through
    with pytest.raises(ValueError, match="a 96x64 frame for a 90x62 network"):
        network.transfer(np.zeros((64, 96, 3), np.float32), vector)
