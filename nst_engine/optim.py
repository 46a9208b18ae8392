"""The two optimisers measured for the engine, over a float32 image array: Adam and L-BFGS.

Both take one loss-and-gradient evaluation per step, so their steps cost the same and can be
compared step for step. They run in numpy: the image has at most a few million values, so their
arithmetic is milliseconds beside the network's hundreds.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

import numpy as np


class Optimiser(Protocol):
    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The next image, from the current one and the loss's gradient there."""
        ...


class Adam:
    """Adam (Kingma & Ba 2015).

    `rate` is in pixels (0-255) per step, since Adam's step ignores the loss's scale; `epsilon`
    is in gradient units, which for the engine's normalised losses are ~1e-7 per pixel.
    """

    def __init__(
        self, rate: float, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-10
    ) -> None:
        self.rate, self.beta1, self.beta2, self.epsilon = rate, beta1, beta2, epsilon
        self._m: np.ndarray | None = None
        self._v: np.ndarray | None = None
        self._t = 0

    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self._m is None or self._v is None:
            self._m, self._v = np.zeros_like(x), np.zeros_like(x)
        self._t += 1
        self._m = self.beta1 * self._m + (1 - self.beta1) * grad
        self._v = self.beta2 * self._v + (1 - self.beta2) * grad * grad
        m_hat = self._m / (1 - self.beta1**self._t)
        v_hat = self._v / (1 - self.beta2**self._t)
        return x - self.rate * m_hat / (np.sqrt(v_hat) + self.epsilon)


class LBFGS:
    """Limited-memory BFGS without a line search, as neural-style and torch.optim.LBFGS use it.

    A line search would cost extra network evaluations per step; with these smooth losses the
    quasi-Newton step of length 1 is nearly always acceptable. `first_step` is the length in
    pixels of the first (plain gradient) step, before any curvature is known.
    """

    def __init__(self, history: int = 10, first_step: float = 1.0) -> None:
        self.first_step = first_step
        self._pairs: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=history)
        self._last: tuple[np.ndarray, np.ndarray] | None = None

    def step(self, x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        if self._last is not None:
            s, y = x - self._last[0], grad - self._last[1]
            sy = float(np.vdot(s, y))
            if sy > 1e-10:  # skip pairs that would break positive definiteness
                self._pairs.append((s, y, 1.0 / sy))
        self._last = (x, grad)
        if not self._pairs:
            return x - grad * (self.first_step / (float(np.abs(grad).max()) + 1e-12))
        # Two-loop recursion: direction = -H grad, H the inverse-Hessian estimate.
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(self._pairs):
            alpha = rho * float(np.vdot(s, q))
            q -= alpha * y
            alphas.append(alpha)
        s, y, _ = self._pairs[-1]
        q *= float(np.vdot(s, y)) / float(np.vdot(y, y))
        for (s, y, rho), alpha in zip(self._pairs, reversed(alphas), strict=True):
            beta = rho * float(np.vdot(y, q))
            q += (alpha - beta) * s
        return x - q
