"""Both optimisers on a badly conditioned quadratic, where the right answer is known: zero."""

from __future__ import annotations

import numpy as np

from nst_engine.optim import LBFGS, Adam, Optimiser

# f(x) = ½ Σ scale_i x_i², curvatures from 1 to 100: plain gradient steps would crawl.
SCALES = np.geomspace(1.0, 100.0, 64).astype(np.float32).reshape(1, 4, 16, 1)


def _minimise(optimiser: Optimiser, steps: int) -> float:
    x = np.ones_like(SCALES)
    for _ in range(steps):
        x = optimiser.step(x, SCALES * x)
    return float(0.5 * np.sum(SCALES * x * x))


def test_lbfgs_finds_the_minimum_of_a_quadratic_in_a_few_dozen_steps() -> None:
    start = float(0.5 * SCALES.sum())
    assert _minimise(LBFGS(), 40) < 1e-6 * start


def test_lbfgs_ignores_the_scale_of_the_loss() -> None:
    x = np.ones_like(SCALES)
    small, large = LBFGS(), LBFGS()
    a = b = x
    for _ in range(5):
        a = small.step(a, 1e-7 * SCALES * a)
        b = large.step(b, 1e3 * SCALES * b)
    np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


def test_adam_moves_each_pixel_by_about_its_rate() -> None:
    x = np.ones_like(SCALES)
    after = Adam(rate=2.0).step(x, 1e-7 * SCALES * x)
    np.testing.assert_allclose(x - after, 2.0, rtol=1e-3)
    assert _minimise(Adam(rate=0.05), 200) < 0.01 * float(0.5 * SCALES.sum())
