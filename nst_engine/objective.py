"""VGG19's features and the loss over them, as compiled programs: what one scale of the recipe runs.

Three programs, each compiled once per canvas shape (canvas.py) and run many times:
- `summary`: a picture's style statistics and content features, for the painting and for what
  a scale keeps;
- a step: the loss's gradient and the optimiser's update, fused, so that the image and the
  optimiser's state stay on the device from the first step of a scale to the last;
- `upsample`: one scale's result at the next scale's canvas, with the photo's detail added back.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from nst_engine import backend, losses
from nst_engine.backend import Tensor, keras, ops
from nst_engine.canvas import Canvas, fit, resize_matrices
from nst_engine.images import CAFFE_MAX, CAFFE_MIN, resize_longer_side, to_caffe
from nst_engine.losses import LossWeights, StyleTarget
from nst_engine.optim import Optimiser
from nst_engine.vgg import stride

# Paintings and their weights (summing to 1): one painting, or several to mix.
Styles = Sequence[tuple[Image.Image, float]]
# A painting's statistics from its [1, h, w, 3] caffe picture and the canvas it is measured on.
Measure = Callable[[np.ndarray, Canvas], StyleTarget]
# Paintings' statistics kept across jobs, one entry a painting and scale (three scales for
# 512 px): about 1.4 MB each up to relu4_1, 2.5 MB with relu5_1.
CACHED_STYLE_TARGETS = 32


@dataclass(frozen=True)
class Layers:
    """Which VGG19 layers the style and content losses look at."""

    style: tuple[str, ...]
    content: tuple[str, ...]

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every layer the extractor must return, each once, in order of first use."""
        return tuple(dict.fromkeys(self.style + self.content))


class Scale(NamedTuple):
    """What the loss holds on to at one scale, every array at that scale's canvas."""

    region: Tensor  # [1, H, W, 1]: the picture's own pixels
    style: StyleTarget  # the paintings' statistics at this scale
    contents: list[Tensor]  # what the scale keeps (the photo, or the coarser result)
    subject: list[Tensor]  # the photo's own content, for where its faces are
    masks: list[Tensor]  # where the faces are, at the content layers (zeros: no such term)


class Objective:
    """Loss and gradient for one layer set on one network, compiled per canvas shape."""

    def __init__(self, extractor: keras.Model, layers: Layers) -> None:
        self.extractor = extractor
        self.layers = layers
        self.weights, self._call = backend.bind(extractor)
        self.summary = backend.compiled(self._summary)
        self._upsample = backend.compiled(_upsample)
        self._steps: dict[Optimiser, Callable[..., Any]] = {}
        # The latest paintings' statistics per (pixels, size, side, canvas), least recently
        # used dropped first.
        self._cache: OrderedDict[tuple[Any, ...], StyleTarget] = OrderedDict()
        self._lock = threading.Lock()

    def features(self, weights: backend.Weights, image: Tensor) -> tuple[list[Any], list[Any]]:
        """(style layers' features, content layers' features) of a [1, H, W, 3] caffe image."""
        outputs = dict(zip(self.layers.outputs, self._call(weights, image), strict=True))
        return [outputs[n] for n in self.layers.style], [outputs[n] for n in self.layers.content]

    def _summary(
        self, weights: backend.Weights, image: Tensor, region: Tensor
    ) -> tuple[StyleTarget, list[Tensor]]:
        style, content = self.features(weights, image)
        sums = [
            losses.sums(f, losses.region_at(region, stride(name)))
            for f, name in zip(style, self.layers.style, strict=True)
        ]
        return losses.statistics(sums), [ops.cast(f, "float32") for f in content]

    def contents(self, image: Tensor, canvas: Canvas) -> list[Tensor]:
        """The content target: a canvas image's features at the content layers."""
        return self.summary(self.weights, image, canvas.region())[1]

    def statistics(self, image: Tensor, canvas: Canvas) -> StyleTarget:
        """A canvas image's style statistics over its picture."""
        return self.summary(self.weights, image, canvas.region())[0]

    def picture_statistics(self, picture: np.ndarray, canvas: Canvas) -> StyleTarget:
        """A [1, h, w, 3] caffe picture's style statistics, measured on `canvas`."""
        return self.statistics(canvas.place(picture), canvas)

    def style_target(
        self, styles: Styles, side: int, buckets: bool, measure: Measure | None = None
    ) -> StyleTarget:
        """The paintings' statistics, every painting resized to `side` and measured whole (or
        by `measure`: window by window for a print); a mix weighs them."""
        weights = [weight for _, weight in styles]
        measure = measure or self.picture_statistics
        targets = [
            self._painting_statistics(painting, side, buckets, measure) for painting, _ in styles
        ]
        return keras.tree.map_structure(
            lambda *values: sum(w * v for w, v in zip(weights, values, strict=True)), *targets
        )

    def _painting_statistics(
        self, painting: Image.Image, side: int, buckets: bool, measure: Measure
    ) -> StyleTarget:
        """One painting's statistics at `side`, kept for the next job that paints with it.

        Presets are painted again and again; the key is the pixels, so a recoloured painting
        (preserve_colors) or an upload of the same file are told apart or matched correctly.
        """
        pixels = hashlib.blake2b(painting.tobytes(), digest_size=16).digest()
        key = (pixels, painting.size, side, buckets)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        picture = to_caffe(resize_longer_side(painting, side))
        canvas = fit((picture.shape[2], picture.shape[1]), buckets)
        target = measure(picture, canvas)
        with self._lock:
            self._cache[key] = target
            while len(self._cache) > CACHED_STYLE_TARGETS:
                self._cache.popitem(last=False)
        return target

    def step(self, optimiser: Optimiser) -> Callable[..., tuple[Tensor, Tensor, Any]]:
        """step(x, state, scale, weights) -> (loss at x, next x, next state), compiled."""
        with self._lock:
            if optimiser not in self._steps:
                self._steps[optimiser] = backend.compiled(self._fused_step(optimiser))
            fused = self._steps[optimiser]

        def step(x: Tensor, state: Any, scale: Scale, weights: LossWeights) -> Any:
            # As tensors: TensorFlow would trace again for every new Python number.
            values = LossWeights(*(ops.convert_to_tensor(float(w)) for w in weights))
            return fused(self.weights, x, state, scale, values)

        return step

    def _fused_step(self, optimiser: Optimiser) -> Callable[..., tuple[Tensor, Tensor, Any]]:
        gradient = backend.value_and_grad(self.loss)

        def fused(
            weights: backend.Weights, x: Tensor, state: Any, scale: Scale, terms: LossWeights
        ) -> tuple[Tensor, Tensor, Any]:
            loss, grad = gradient(x, weights, scale, terms)
            x, state = optimiser.update(x, grad, state)
            return loss, clip(x), state

        return fused

    def loss(self, x: Tensor, weights: backend.Weights, scale: Scale, terms: LossWeights) -> Tensor:
        """The weighted sum of the loss terms at a [1, H, W, 3] canvas image."""
        style_features, content_features = self.features(weights, x)
        current = losses.statistics(
            [
                losses.sums(f, losses.region_at(scale.region, stride(name)))
                for f, name in zip(style_features, self.layers.style, strict=True)
            ]
        )
        regions = [losses.region_at(scale.region, stride(n)) for n in self.layers.content]
        return (
            terms.style * losses.style_loss(current, scale.style)
            + terms.content * losses.content_loss(content_features, scale.contents, regions)
            + terms.total_variation * losses.total_variation(x, scale.region)
            + terms.moments * losses.moments_loss(current, scale.style)
            + terms.subject
            * losses.masked_content_loss(content_features, scale.subject, scale.masks, regions)
        )

    def evaluate(self, x: np.ndarray, scale: Scale, terms: LossWeights) -> float:
        """The loss at a canvas image, uncompiled: for tests and measurements."""
        return float(self.loss(ops.convert_to_tensor(x), self.weights, scale, terms))

    def upsample(self, x: Tensor, source: Canvas, target: Canvas, detail: np.ndarray) -> Tensor:
        """x on `source` resized to `target`, plus `detail` (already on the target canvas)."""
        rows, columns = resize_matrices(source, target)
        return self._upsample(x, rows, columns, detail)


def _upsample(x: Tensor, rows: Tensor, columns: Tensor, detail: Tensor) -> Tensor:
    resized = ops.einsum("ih,bhwc->biwc", rows, x)
    return clip(ops.einsum("jw,biwc->bijc", columns, resized) + detail)


def clip(x: Tensor) -> Tensor:
    """Keep every pixel displayable: VGG's input space spans 0-255 per channel."""
    return ops.minimum(ops.maximum(x, CAFFE_MIN), CAFFE_MAX)
