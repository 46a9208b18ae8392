"""The two optimisers measured for the engine, Adam and L-BFGS, in keras.ops.

Both are pure functions of (image, gradient, state), so the update runs in the same compiled
program as the gradient: on a GPU a step never waits for the host, whose arithmetic (the L-BFGS
two-loop over ten image-sized vectors) would otherwise cost as much as the network's pass. Both
take one loss-and-gradient evaluation per step, so their steps cost the same and can be compared
step for step.

An optimiser is a frozen dataclass: its settings are constants of the compiled step, and equal
settings share one compiled program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from nst_engine.backend import Tensor, ops


class Optimiser(Protocol):
    def init(self, x: Tensor) -> Any:
        """The state before the first step at image x."""
        ...

    def update(self, x: Tensor, grad: Tensor, state: Any) -> tuple[Tensor, Any]:
        """The next image and state, from the current image and the loss's gradient there."""
        ...


class AdamState(NamedTuple):
    first: Tensor  # the gradient's running mean
    second: Tensor  # its running mean square
    steps: Tensor  # [] steps taken


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba 2015).

    `rate` is in pixels (0-255) per step, since Adam's step ignores the loss's scale; `epsilon`
    is in gradient units, which for the engine's normalised losses are ~1e-7 per pixel.
    """

    rate: float
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-10

    def init(self, x: Tensor) -> AdamState:
        return AdamState(ops.zeros_like(x), ops.zeros_like(x), ops.convert_to_tensor(0.0))

    def update(self, x: Tensor, grad: Tensor, state: AdamState) -> tuple[Tensor, AdamState]:
        steps = state.steps + 1.0
        first = self.beta1 * state.first + (1 - self.beta1) * grad
        second = self.beta2 * state.second + (1 - self.beta2) * grad * grad
        first_hat = first / (1 - ops.power(self.beta1, steps))
        second_hat = second / (1 - ops.power(self.beta2, steps))
        change = self.rate * first_hat / (ops.sqrt(second_hat) + self.epsilon)
        return x - change, AdamState(first, second, steps)


class LBFGSState(NamedTuple):
    moves: tuple[Tensor, ...]  # s = x_{k+1} - x_k of each step remembered, oldest first
    changes: tuple[Tensor, ...]  # y = grad_{k+1} - grad_k of the same steps
    rho: tuple[Tensor, ...]  # 1 / (s·y) of each; 0 marks an empty slot, which the loops skip
    x: Tensor  # the last image
    grad: Tensor  # the gradient there
    started: Tensor  # []: 1 once x and grad hold a real step


@dataclass(frozen=True)
class LBFGS:
    """Limited-memory BFGS without a line search, as neural-style and torch.optim.LBFGS use it.

    A line search would cost extra network evaluations per step; with these smooth losses the
    quasi-Newton step of length 1 is nearly always acceptable. `first_step` is the length in
    pixels of the first (plain gradient) step, before any curvature is known. The remembered
    steps are a tuple of images rather than one stacked array: keeping a new pair then moves
    references, not ten images' worth of memory (on TensorFlow's CPU kernels that copy cost
    more than the two loops).
    """

    history: int = 10
    first_step: float = 1.0

    def init(self, x: Tensor) -> LBFGSState:
        empty = (ops.zeros_like(x),) * self.history
        zero = ops.zeros(())
        return LBFGSState(empty, empty, (zero,) * self.history, x, ops.zeros_like(x), zero)

    def update(self, x: Tensor, grad: Tensor, state: LBFGSState) -> tuple[Tensor, LBFGSState]:
        move, change = x - state.x, grad - state.grad
        curvature = ops.sum(move * change)
        # A pair with s·y <= 0 would break positive definiteness: it is not kept.
        keep = ops.logical_and(state.started > 0, curvature > 1e-10)
        kept = (
            (*state.moves[1:], move),
            (*state.changes[1:], change),
            (*state.rho[1:], 1.0 / ops.maximum(curvature, 1e-10)),
        )
        moves, changes, rho = ops.cond(
            keep, lambda: kept, lambda: (state.moves, state.changes, state.rho)
        )
        new_state = LBFGSState(moves, changes, rho, x, grad, ops.ones(()))
        # Two-loop recursion: direction = -H grad, H the inverse-Hessian estimate.
        q = grad
        alphas = []
        for i in reversed(range(self.history)):
            alpha = rho[i] * ops.sum(moves[i] * q)
            q = q - alpha * changes[i]
            alphas.append(alpha)
        newest_yy = ops.maximum(ops.sum(changes[-1] * changes[-1]), 1e-30)
        q = q * (ops.sum(moves[-1] * changes[-1]) / newest_yy)
        for i, alpha in zip(range(self.history), reversed(alphas), strict=True):
            beta = rho[i] * ops.sum(changes[i] * q)
            q = q + (alpha - beta) * moves[i]
        # Before any pair is kept: a plain gradient step, first_step pixels at the most.
        gradient_step = grad * (self.first_step / (ops.max(ops.abs(grad)) + 1e-12))
        return x - ops.where(rho[-1] > 0, q, gradient_step), new_state
