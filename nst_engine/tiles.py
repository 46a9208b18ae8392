"""The loss and its gradient for a picture too large to hold VGG19's activations, window by
window, exactly: the memory a step needs follows the window, not the picture.

At 4096x3072 the first layers' activations alone are gigabytes, so the canvas is cut into
windows no larger than a memory budget allows. Each window owns its interior and sees a halo
around it as wide as the deepest layer's reach, so the features it computes at its own positions
are the whole canvas's (windows start on the pooling grid, and a window is moved inside the
canvas rather than past its edge, where its padding is the canvas's own). The style loss is
global (the Gram matrices and moments of the whole picture), so a step takes two passes:

1. every window adds its own positions' feature sums (`losses.Sums`) to the picture's;
2. the global terms' gradient with respect to those sums is taken once; each window's gradient
   is then that of a surrogate: the sums' inner product with it, plus the window's share of the
   local terms (`losses.LOCAL_TERMS`, each divided by the whole picture's normaliser). The
   windows' gradients, halos included, add up to the picture's gradient.

The interiors partition the canvas, so whatever windows contribute is accumulated by adding.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from nst_engine import backend, losses, pauses
from nst_engine.backend import Tensor, ops
from nst_engine.canvas import Canvas
from nst_engine.losses import LossWeights, Normalisers, Scale, Share, StyleTarget, Sums
from nst_engine.objective import Layers, Objective, Styles, as_tensors, clip
from nst_engine.optim import Optimiser
from nst_engine.vgg import CONV_LAYERS, stride

# Window origins and interiors fall on the grid of VGG19's fourth pooling.
GRID = 16
# Bytes per input pixel, per channel of a layer at that layer's resolution: float32 activations,
# their gradients and the pooling's bookkeeping (a 512x384 step's peak near 1.5 GB fits it).
BYTES_PER_ACTIVATION = 12


class Window(NamedTuple):
    """A window's origin in the canvas, and the part it owns (top, left, bottom, right)."""

    top: int
    left: int
    interior: tuple[int, int, int, int]


@dataclass(frozen=True)
class Tiling:
    """Windows of at most `area` pixels, each seeing `halo` pixels around the part it owns."""

    halo: int
    area: int

    def needed(self, shape: tuple[int, int]) -> bool:
        """Whether a canvas of `shape` is larger than one window may be."""
        return shape[0] * shape[1] > self.area

    def window_shape(self, shape: tuple[int, int]) -> tuple[int, int]:
        """The windows' shape on a canvas of `shape` (all its windows have it)."""
        return _layout(self, shape)[0]

    def windows(self, shape: tuple[int, int]) -> list[Window]:
        """Windows over a canvas of `shape` (sides multiples of GRID) whose own parts cover it
        exactly once; a window at the canvas's edge is moved inside rather than past it."""
        (height, width), (owned_height, owned_width) = _layout(self, shape)
        return [
            Window(top, left, (first, start, last, end))
            for top, first, last in self._spans(shape[0], height, owned_height)
            for left, start, end in self._spans(shape[1], width, owned_width)
        ]

    def _spans(self, length: int, window: int, owned: int) -> list[tuple[int, int, int]]:
        """(window origin, own start, own end) along one side."""
        spans = []
        for first in range(0, length, owned):
            origin = min(max(first - self.halo, 0), length - window)
            spans.append((origin, first, min(first + owned, length)))
        return spans


@functools.lru_cache(maxsize=64)
def _layout(tiling: Tiling, shape: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """(window shape, own part's shape) for a canvas: of the splits whose windows fit the
    area, the one that computes the fewest pixels in all (halos are computed twice); the
    smallest windows where none fits."""
    best: tuple[int, tuple[int, int], tuple[int, int]] | None = None
    for rows in range(1, shape[0] // GRID + 1):
        height, owned_height = _axis(tiling, shape[0], rows)
        for columns in range(1, shape[1] // GRID + 1):
            width, owned_width = _axis(tiling, shape[1], columns)
            if height * width > tiling.area:
                continue
            count = math.ceil(shape[0] / owned_height) * math.ceil(shape[1] / owned_width)
            cost = count * height * width
            if best is None or cost < best[0]:
                best = (cost, (height, width), (owned_height, owned_width))
            break  # more columns only cost more
    if best is None:
        height, owned_height = _axis(tiling, shape[0], shape[0] // GRID)
        width, owned_width = _axis(tiling, shape[1], shape[1] // GRID)
        return (height, width), (owned_height, owned_width)
    return best[1], best[2]


def _axis(tiling: Tiling, length: int, count: int) -> tuple[int, int]:
    """(window side, owned side) when `length` is cut into about `count` parts."""
    if count == 1:
        return length, length
    owned = GRID * math.ceil(length / count / GRID)
    return min(length, owned + 2 * tiling.halo), owned


def reach(layer: str) -> int:
    """How far a position of `layer` sees on either side, in input pixels: half its receptive
    field, and one stride more for where its pooling windows start."""
    field, jump = 1, 1
    for name in CONV_LAYERS[: CONV_LAYERS.index(layer) + 1]:
        if name.endswith("conv1") and name != "block1_conv1":
            field, jump = field + jump, 2 * jump  # the 2x2 pooling before this block
        field += 2 * jump  # a 3x3 convolution
    return field // 2 + stride(layer)


def tiling_for(layers: tuple[str, ...], budget_bytes: float) -> Tiling:
    """The largest windows whose activations fit `budget_bytes`, for VGG19 up to `layers`."""
    deepest = max(layers, key=CONV_LAYERS.index)
    halo = GRID * math.ceil(reach(deepest) / GRID)
    per_pixel = BYTES_PER_ACTIVATION * sum(
        _channels(name) / stride(name) ** 2
        for name in CONV_LAYERS[: CONV_LAYERS.index(deepest) + 1]
    )
    return Tiling(halo, int(budget_bytes / per_pixel))


def _channels(layer: str) -> int:
    return min(64 * stride(layer), 512)


@functools.lru_cache(maxsize=8)
def tiled(objective: Objective, tiling: Tiling) -> TiledObjective:
    """One TiledObjective per objective and tiling: its compiled programs are kept."""
    return TiledObjective(objective, tiling)


class TiledObjective:
    """An Objective's loss and gradient at a canvas, computed window by window; `contents` and
    `step` stand in for the Objective's own where a canvas is larger than a window."""

    def __init__(self, objective: Objective, tiling: Tiling) -> None:
        self.objective = objective
        self.tiling = tiling
        self._window_sums = backend.compiled(self._sums)
        self._global_loss = backend.compiled(backend.value_and_grad(self._global))
        self._window_gradient = backend.compiled(self._gradient)
        self._window_local_terms = backend.compiled(self._local_terms)
        self._window_contents = backend.compiled(self._contents)
        self._updates: dict[Optimiser, Callable[..., Any]] = {}

    @property
    def layers(self) -> Layers:
        return self.objective.layers

    def step(self, optimiser: Optimiser) -> Callable[..., tuple[Tensor, Tensor, Any]]:
        """step(x, state, scale, weights) -> (loss at x, next x, next state), as Objective's."""
        if optimiser not in self._updates:
            self._updates[optimiser] = backend.compiled(
                lambda x, grad, state: _clipped(*optimiser.update(x, grad, state))
            )
        update = self._updates[optimiser]

        def step(x: Tensor, state: Any, scale: Scale, weights: LossWeights) -> Any:
            loss, grad = self.value_and_grad(x, scale, as_tensors(weights), self.normalisers(scale))
            return (loss, *update(x, grad, state))

        return step

    def contents(self, image: Tensor, canvas: Canvas) -> list[Tensor]:
        """The content layers' features of a whole canvas image, assembled window by window."""
        region = ops.convert_to_tensor(canvas.region())
        height, width = image.shape[1:3]
        names = self.objective.layers.content
        maps: list[Tensor] = []
        for window in self._windows((height, width)):
            owned = self._window_contents(
                self.objective.parameters,
                self._cut(image, window, 1),
                self._cut(region, window, 1),
                _interior(window),
            )
            if not maps:
                maps = [
                    ops.zeros((1, height // stride(n), width // stride(n), f.shape[-1]))
                    for f, n in zip(owned, names, strict=True)
                ]
            maps = [
                _add(m, f, window, stride(n)) for m, f, n in zip(maps, owned, names, strict=True)
            ]
        return maps

    def style_target(self, styles: Styles, side: int, buckets: bool) -> StyleTarget:
        """The paintings' statistics as Objective.style_target's, each painting measured
        window by window (a print's painting is resized to the print's side)."""
        return self.objective.style_target(styles, side, buckets, self.picture_statistics)

    def picture_statistics(self, picture: np.ndarray, canvas: Canvas) -> StyleTarget:
        """As Objective.picture_statistics, window by window."""
        canvas = canvas.rounded(GRID)
        image = ops.convert_to_tensor(canvas.place(picture))
        return losses.statistics(self._total_sums(image, ops.convert_to_tensor(canvas.region())))

    def normalisers(self, scale: Scale) -> Normalisers:
        """The whole picture's normalisers, which every window's local terms divide by."""
        return losses.normalisers(scale, self.objective.at_content_layers(scale.region))

    def value_and_grad(
        self, x: Tensor, scale: Scale, weights: LossWeights, normalisers: Normalisers
    ) -> tuple[Tensor, Tensor]:
        """The loss at the canvas image x and its gradient, as Objective.loss gives them."""
        total = self._total_sums(x, scale.region)
        global_loss, upstream = self._global_loss(total, scale.style, weights)
        grad, surrogates = ops.zeros_like(x), 0.0
        for window in self._windows((x.shape[1], x.shape[2])):
            value, window_grad = self._window_gradient(
                self.objective.parameters,
                self._cut(x, window, 1),
                self._window_scale(scale, window),
                _interior(window),
                upstream,
                weights,
                normalisers,
            )
            grad = _add(grad, window_grad, window, 1)
            surrogates = surrogates + value
        # The surrogates' values hold the sums' inner product with the upstream gradient once
        # over: what is left is the local terms' share.
        return global_loss + surrogates - _inner(upstream, total), grad

    def evaluate_terms(self, x: np.ndarray, scale: Scale) -> dict[str, float]:
        """Each term's value at a canvas image, unweighted, window by window: what
        value_and_grad's loss is made of (for tests and measurements)."""
        image = ops.convert_to_tensor(x)
        values = losses.global_terms(
            losses.statistics(self._total_sums(image, scale.region)), scale.style
        )
        normalisers = self.normalisers(scale)
        for window in self.tiling.windows((image.shape[1], image.shape[2])):
            shares = self._window_local_terms(
                self.objective.parameters,
                self._cut(image, window, 1),
                self._window_scale(scale, window),
                _interior(window),
                normalisers,
            )
            for name, share in shares.items():
                values[name] = values.get(name, 0.0) + share
        return {name: float(value) for name, value in values.items()}

    def _total_sums(self, image: Tensor, region: Tensor) -> list[Sums]:
        """The style layers' feature sums over a canvas image's picture (`region`)."""
        total: list[Sums] | None = None
        for window in self._windows((image.shape[1], image.shape[2])):
            sums = self._window_sums(
                self.objective.parameters,
                self._cut(image, window, 1),
                self._cut(region, window, 1),
                _interior(window),
            )
            total = (
                sums if total is None else [_sum(a, b) for a, b in zip(total, sums, strict=True)]
            )
        assert total is not None
        return total

    # The compiled programs, on one window's arrays.

    def _sums(self, parameters: Any, image: Tensor, region: Tensor, interior: Tensor) -> list[Sums]:
        style, _ = self.objective.features(parameters, image)
        return self.objective.style_sums(style, region * _mask(image, interior))

    def _global(self, sums: list[Sums], target: StyleTarget, weights: LossWeights) -> Tensor:
        return losses.weighted(losses.global_terms(losses.statistics(sums), target), weights)

    def _contents(
        self, parameters: Any, image: Tensor, region: Tensor, interior: Tensor
    ) -> list[Tensor]:
        _, content = self.objective.features(parameters, image)
        owned = self.objective.at_content_layers(region * _mask(image, interior))
        return [ops.cast(f, "float32") * o for f, o in zip(content, owned, strict=True)]

    def _gradient(
        self,
        parameters: Any,
        image: Tensor,
        scale: Scale,
        interior: Tensor,
        upstream: list[Sums],
        weights: LossWeights,
        normalisers: Normalisers,
    ) -> tuple[Tensor, Tensor]:
        owned = scale.region * _mask(image, interior)

        def surrogate(image: Tensor) -> Tensor:
            style, content = self.objective.features(parameters, image)
            sums = self.objective.style_sums(style, owned)
            share = Share(owned, self.objective.at_content_layers(owned), normalisers)
            local = losses.weighted(losses.local_terms(image, content, scale, share), weights)
            return _inner(upstream, sums) + local

        return backend.value_and_grad(surrogate)(image)

    def _windows(self, shape: tuple[int, int]) -> Iterator[Window]:
        """The canvas's windows, a yield point (pauses.py) before each: at 4096 px a step is
        tens of seconds, a window a second or two."""
        for window in self.tiling.windows(shape):
            pauses.point()
            yield window

    def _local_terms(
        self,
        parameters: Any,
        image: Tensor,
        scale: Scale,
        interior: Tensor,
        normalisers: Normalisers,
    ) -> dict[str, Tensor]:
        """A window's share of each local term, unweighted."""
        _, content = self.objective.features(parameters, image)
        owned = scale.region * _mask(image, interior)
        share = Share(owned, self.objective.at_content_layers(owned), normalisers)
        return losses.local_terms(image, content, scale, share)

    def _window_scale(self, scale: Scale, window: Window) -> Scale:
        """The scale's arrays cut to a window: the region and each content layer's maps."""
        names = self.objective.layers.content
        return Scale(
            self._cut(scale.region, window, 1),
            scale.style,
            [self._cut(t, window, stride(n)) for t, n in zip(scale.contents, names, strict=True)],
            [self._cut(t, window, stride(n)) for t, n in zip(scale.subject, names, strict=True)],
            [self._cut(m, window, stride(n)) for m, n in zip(scale.masks, names, strict=True)],
        )

    def _cut(self, array: Tensor, window: Window, step: int) -> Tensor:
        """`array` (a canvas, or a layer's map `step` times smaller) cut to the window."""
        height, width = self.tiling.window_shape((array.shape[1] * step, array.shape[2] * step))
        start = [0, window.top // step, window.left // step, 0]
        return ops.slice(array, start, [1, height // step, width // step, array.shape[-1]])


def _clipped(x: Tensor, state: Any) -> tuple[Tensor, Any]:
    return clip(x), state


def _interior(window: Window) -> Any:
    """The window's own part, in the window's coordinates, as the compiled programs take it."""
    top, left, bottom, right = window.interior
    box = [top - window.top, left - window.left, bottom - window.top, right - window.left]
    return ops.convert_to_tensor(box, dtype="int32")


def _mask(image: Tensor, interior: Tensor) -> Tensor:
    """[1, H, W, 1]: 1 on the window's own part, from its (top, left, bottom, right)."""
    rows = ops.arange(ops.shape(image)[1], dtype="int32")
    columns = ops.arange(ops.shape(image)[2], dtype="int32")
    inside_rows = ops.logical_and(rows >= interior[0], rows < interior[2])
    inside_columns = ops.logical_and(columns >= interior[1], columns < interior[3])
    inside = ops.logical_and(inside_rows[:, None], inside_columns[None, :])
    return ops.cast(inside, "float32")[None, :, :, None]


def _sum(a: Sums, b: Sums) -> Sums:
    return Sums(*(x + y for x, y in zip(a, b, strict=True)))


def _inner(upstream: list[Sums], sums: list[Sums]) -> Tensor:
    """Σ over layers of the sums' inner product with their gradient (the count is a constant)."""
    total = 0.0
    for slope, value in zip(upstream, sums, strict=True):
        for s, v in zip(slope[:3], value[:3], strict=True):
            total = total + ops.sum(s * v)
    return total


def _add(canvas: Tensor, part: Tensor, window: Window, step: int) -> Tensor:
    """`part` added into `canvas` (both `step` times smaller than the image) at the window."""
    start = [0, window.top // step, window.left // step, 0]
    current = ops.slice(canvas, start, part.shape)
    return ops.slice_update(canvas, start, current + part)
