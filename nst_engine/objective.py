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
from typing import Any

import numpy as np
from PIL import Image

from nst_engine import backend, losses
from nst_engine.backend import Tensor, keras, ops
from nst_engine.canvas import Canvas, fit, resize_matrices
from nst_engine.images import CAFFE_MAX, CAFFE_MIN, resize_longer_side, to_caffe
from nst_engine.losses import LossWeights, Scale, Share, StyleTarget, Sums
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


class Objective:
    """Loss and gradient for one layer set on one network, compiled per canvas shape."""

    def __init__(self, extractor: keras.Model, layers: Layers) -> None:
        self.extractor = extractor
        self.layers = layers
        # The network's own weights, as the compiled programs take them (not the loss's).
        self.parameters, self._call = backend.bind(extractor)
        self.summary = backend.compiled(self._summary)
        self._upsample = backend.compiled(_upsample)
        self._steps: dict[Optimiser, Callable[..., Any]] = {}
        # The latest paintings' statistics per (pixels, size, side, canvas), least recently
        # used dropped first.
        self._cache: OrderedDict[tuple[Any, ...], StyleTarget] = OrderedDict()
        self._lock = threading.Lock()

    def features(
        self, parameters: backend.Parameters, image: Tensor
    ) -> tuple[list[Any], list[Any]]:
        """(style layers' features, content layers' features) of a [1, H, W, 3] caffe image."""
        outputs = dict(zip(self.layers.outputs, self._call(parameters, image), strict=True))
        return [outputs[n] for n in self.layers.style], [outputs[n] for n in self.layers.content]

    def style_sums(self, features: Sequence[Tensor], region: Tensor) -> list[Sums]:
        """The style layers' `features` summed over a [1, H, W, 1] region of the image."""
        return [
            losses.sums(f, losses.region_at(region, stride(name)))
            for f, name in zip(features, self.layers.style, strict=True)
        ]

    def at_content_layers(self, region: Tensor) -> list[Tensor]:
        """A [1, H, W, 1] region of the image at each content layer's resolution."""
        return [losses.region_at(region, stride(name)) for name in self.layers.content]

    def _summary(
        self, parameters: backend.Parameters, image: Tensor, region: Tensor
    ) -> tuple[StyleTarget, list[Tensor]]:
        style, content = self.features(parameters, image)
        statistics = losses.statistics(self.style_sums(style, region))
        return statistics, [ops.cast(f, "float32") for f in content]

    def contents(self, image: Tensor, canvas: Canvas) -> list[Tensor]:
        """The content target: a canvas image's features at the content layers."""
        return self.summary(self.parameters, image, canvas.region())[1]

    def statistics(self, image: Tensor, canvas: Canvas) -> StyleTarget:
        """A canvas image's style statistics over its picture."""
        return self.summary(self.parameters, image, canvas.region())[0]

    def picture_statistics(self, picture: np.ndarray, canvas: Canvas) -> StyleTarget:
        """A [1, h, w, 3] caffe picture's style statistics, measured on `canvas`."""
        return self.statistics(canvas.place(picture), canvas)

    def style_target(
        self, styles: Styles, side: int, buckets: bool, measure: Measure | None = None
    ) -> StyleTarget:
        """The paintings' statistics, every painting resized to `side` and measured whole (or
        by `measure`: window by window for a print); a mix weighs them."""
        shares = [share for _, share in styles]
        measure = measure or self.picture_statistics
        targets = [
            self._painting_statistics(painting, side, buckets, measure) for painting, _ in styles
        ]
        return keras.tree.map_structure(
            lambda *values: sum(s * v for s, v in zip(shares, values, strict=True)), *targets
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
            return fused(self.parameters, x, state, scale, as_tensors(weights))

        return step

    def _fused_step(self, optimiser: Optimiser) -> Callable[..., tuple[Tensor, Tensor, Any]]:
        gradient = backend.value_and_grad(self.loss)

        def fused(
            parameters: backend.Parameters,
            x: Tensor,
            state: Any,
            scale: Scale,
            weights: LossWeights,
        ) -> tuple[Tensor, Tensor, Any]:
            loss, grad = gradient(x, parameters, scale, weights)
            x, state = optimiser.update(x, grad, state)
            return loss, clip(x), state

        return fused

    def loss(
        self, x: Tensor, parameters: backend.Parameters, scale: Scale, weights: LossWeights
    ) -> Tensor:
        """The weighted sum of the loss's terms at a [1, H, W, 3] canvas image."""
        return losses.weighted(self.terms(x, parameters, scale), weights)

    def terms(self, x: Tensor, parameters: backend.Parameters, scale: Scale) -> dict[str, Tensor]:
        """Each term of the loss at a [1, H, W, 3] canvas image, unweighted."""
        style_features, content_features = self.features(parameters, x)
        current = losses.statistics(self.style_sums(style_features, scale.region))
        regions = self.at_content_layers(scale.region)
        whole = Share(scale.region, regions, losses.normalisers(scale, regions))
        return {
            **losses.global_terms(current, scale.style),
            **losses.local_terms(x, content_features, scale, whole),
        }

    def evaluate(self, x: np.ndarray, scale: Scale, weights: LossWeights) -> float:
        """The loss at a canvas image, uncompiled: for tests and measurements."""
        return float(self.loss(ops.convert_to_tensor(x), self.parameters, scale, weights))

    def evaluate_terms(self, x: np.ndarray, scale: Scale) -> dict[str, float]:
        """Each term's value at a canvas image, unweighted and uncompiled: for tests and
        measurements."""
        values = self.terms(ops.convert_to_tensor(x), self.parameters, scale)
        return {name: float(value) for name, value in values.items()}

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


def as_tensors(weights: LossWeights) -> LossWeights:
    """The loss weights as tensors for a compiled step: TensorFlow would trace the step again
    for every new Python number."""
    return LossWeights(**{k: ops.convert_to_tensor(float(w)) for k, w in weights._asdict().items()})
