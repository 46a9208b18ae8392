"""Engine.run with several paintings: the fast method blends their style vectors, the quality
method their Gram targets; weights 1, 0 are the single painting (a zero weight is never passed
on) and a real mix differs from either painting alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nst_engine import EngineError, Settings
from nst_engine.engine import Engine
from nst_engine.images import load_image


def test_quality_weights_one_zero_equal_the_single_painting(
    engine: Engine, content_photo: Path, style_painting: Path
) -> None:
    scream = style_painting.with_name("the_scream.jpg")
    single = engine.run(content_photo, style_painting, Settings(max_side=64, steps=3))
    weighted = Settings(max_side=64, steps=3, style_weights=(1, 0))
    mixed = engine.run(content_photo, [style_painting, scream], weighted)
    assert mixed.steps == single.steps
    difference = np.abs(np.asarray(mixed.image, np.float32) - np.asarray(single.image, np.float32))
    assert difference.max() <= 1  # the same run, up to TensorFlow's thread-order rounding


def test_fast_mix_through_the_engine_costs_one_transfer(
    engine: Engine, content_photo: Path, style_painting: Path
) -> None:
    scream = style_painting.with_name("the_scream.jpg")
    settings = Settings(method="fast", max_side=128, style_weights=(0.3, 0.7))
    result = engine.run(content_photo, (style_painting, scream), settings)
    paintings = [load_image(style_painting), load_image(scream)]
    direct = engine.fast_stylizer().stylize(load_image(content_photo), paintings, settings)
    assert result.image.size == (128, 96)
    assert np.array_equal(np.asarray(result.image), np.asarray(direct))


def test_no_painting_or_mismatched_weights_are_errors(engine: Engine, content_photo: Path) -> None:
    with pytest.raises(EngineError, match="no style image"):
        engine.run(content_photo, [], Settings(method="fast", max_side=64))
    with pytest.raises(ValueError, match="2 style weights for 1"):
        engine.run(content_photo, [content_photo], Settings(max_side=64, style_weights=(1, 1)))


def test_quality_mix_differs_from_either_painting_alone(
    engine: Engine, content_photo: Path, style_painting: Path
) -> None:
    scream = style_painting.with_name("the_scream.jpg")
    small = Settings(max_side=64, steps=4)
    pictures = {
        name: np.asarray(engine.run(content_photo, styles, small).image, np.float32)
        for name, styles in (
            ("starry", style_painting),
            ("scream", scream),
            ("mix", [style_painting, scream]),
        )
    }
    assert np.abs(pictures["mix"] - pictures["starry"]).mean() > 1
    assert np.abs(pictures["mix"] - pictures["scream"]).mean() > 1
