"""Both optimisers on a badly conditioned quadratic, where the right answer is known: zero; and
the keras.ops L-BFGS against a plain numpy one, step for step."""

from __future__ import annotations

from collections import deque

import numpy as np

from nst_engine import backend
from nst_engine.backend import ops
from nst_engine.optim import LBFGS, Adam, Optimiser

# f(x) = ½ Σ scale_i x_i², curvatures from 1 to 100: plain gradient steps would crawl.
SCALES = np.geomspace(1.0, 100.0, 64).astype(np.float32).reshape(1, 4, 16, 1)


def _path(optimiser: Optimiser, steps: int, gradient_scale: float = 1.0) -> list[np.ndarray]:
    """The images the optimiser visits, each step compiled as the engine compiles it."""
    update = backend.compiled(optimiser.update)
    x = ops.convert_to_tensor(np.ones_like(SCALES))
    state = optimiser.init(x)
    visited = []
    for _ in range(steps):
        x, state = update(x, gradient_scale * SCALES * x, state)
        visited.append(ops.convert_to_numpy(x))
    return visited


def _loss(x: np.ndarray) -> float:
    return float(0.5 * np.sum(SCALES * x * x))


def test_lbfgs_finds_the_minimum_of_a_quadratic_in_a_few_dozen_steps() -> None:
    assert _loss(_path(LBFGS(), 40)[-1]) < 1e-6 * _loss(np.ones_like(SCALES))


def test_lbfgs_ignores_the_scale_of_the_loss() -> None:
    small = _path(LBFGS(), 5, gradient_scale=1e-7)[-1]
    large = _path(LBFGS(), 5, gradient_scale=1e3)[-1]
    np.testing.assert_allclose(small, large, rtol=1e-3, atol=1e-6)


def test_lbfgs_takes_the_steps_of_the_classic_two_loop_recursion() -> None:
    ours = _path(LBFGS(history=3), 12)
    theirs = _numpy_lbfgs(history=3, steps=12)
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=f"step {step + 1}")


def test_adam_moves_each_pixel_by_about_its_rate() -> None:
    first = _path(Adam(rate=2.0), 1, gradient_scale=1e-5)[0]
    np.testing.assert_allclose(1.0 - first, 2.0, rtol=1e-3)
    assert _loss(_path(Adam(rate=0.05), 200)[-1]) < 0.01 * _loss(np.ones_like(SCALES))


def _numpy_lbfgs(history: int, steps: int) -> list[np.ndarray]:
    """L-BFGS as textbooks write it (Nocedal & Wright, algorithm 7.4), the first step a plain
    gradient step one pixel long: the reference the keras.ops version must follow."""
    pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
    x, last = np.ones_like(SCALES), None
    visited = []
    for _ in range(steps):
        grad = SCALES * x
        if last is not None:
            s, y = x - last[0], grad - last[1]
            if float(np.vdot(s, y)) > 1e-10:
                pairs.append((s, y, 1.0 / float(np.vdot(s, y))))
        last = (x, grad)
        if not pairs:
            x = x - grad / float(np.abs(grad).max())
        else:
            q, alphas = grad.copy(), []
            for s, y, rho in reversed(pairs):
                alphas.append(rho * float(np.vdot(s, q)))
                q -= alphas[-1] * y
            s, y, _ = pairs[-1]
            q *= float(np.vdot(s, y)) / float(np.vdot(y, y))
            for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
                q += (alpha - rho * float(np.vdot(y, q))) * s
            x = x - q
        visited.append(x)
    return visited
