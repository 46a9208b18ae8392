"""The warping error (nst_engine.motion.warping_error), the yardstick of benchmarks/animation.py,
on a made-up clip: a window panning over smooth texture by a known number of pixels a frame. A
painting that moves with the picture scores about what the input scores; one painted anew in
every frame scores far more, whichever flow measures it."""

from __future__ import annotations

import numpy as np
import pytest

from nst_engine import motion
from tests.test_blend import texture

HEIGHT, WIDTH, FRAMES = 96, 128, 5
STEP = 2  # px the window moves right in a frame: the picture moves left


def windows(picture: np.ndarray) -> list[np.ndarray]:
    return [picture[:, index * STEP : index * STEP + WIDTH] for index in range(FRAMES)]


def errors(preset: int, known: np.ndarray | None = None) -> tuple[float, float, float]:
    """The warping errors of the input, of a painting moving with it, of one painted anew."""
    rng = np.random.default_rng(3)
    wide = WIDTH + STEP * FRAMES
    inputs = windows(texture(rng, HEIGHT, wide))
    steady = windows(texture(rng, HEIGHT, wide))
    flickering = [texture(rng, HEIGHT, WIDTH) for _ in range(FRAMES)]
    frames = ((x, (x, steady[i], flickering[i])) for i, x in enumerate(inputs))
    floor, moving, anew = motion.warping_error(frames, preset, known)
    return floor, moving, anew


def test_by_the_known_motion_what_moves_with_the_picture_scores_nothing() -> None:
    known = np.zeros((HEIGHT, WIDTH, 2), np.float32)
    known[..., 0] = -STEP
    floor, moving, anew = errors(motion.MEASURING, known)
    assert floor < 1e-10 and moving < 1e-10  # warped back exactly: the shift is whole pixels
    assert anew > 0.01


@pytest.mark.parametrize("preset", [motion.MEASURING, motion.FARNEBACK], ids=["DIS", "Farneback"])
def test_a_measuring_flow_tells_a_moving_painting_from_one_painted_anew(preset: int) -> None:
    floor, moving, anew = errors(preset)
    assert floor < anew / 20 and moving < anew / 20
