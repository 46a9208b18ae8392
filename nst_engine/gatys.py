"""Gatys et al. (2015): optimise an image's pixels until its VGG features have the photo's layout
and the painting's textures.

Coarse to fine: the first scale is cheap and lays out strokes larger than VGG's receptive field at
full size; each finer scale starts from the one before and only refines.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from nst_engine import losses
from nst_engine.colors import match_colors, transfer_luminance
from nst_engine.errors import Cancelled, ImageError
from nst_engine.images import CAFFE_MAX, CAFFE_MIN, from_caffe, resize_longer_side, to_caffe
from nst_engine.optim import LBFGS, Optimiser
from nst_engine.settings import Settings

Progress = Callable[[float, Image.Image | None], None]


@dataclass(frozen=True)
class Layers:
    """Which VGG19 layers the style and content losses look at."""

    style: tuple[str, ...]
    content: tuple[str, ...]

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every layer the extractor must return, each once, in order of first use."""
        return tuple(dict.fromkeys(self.style + self.content))


LAYER_SETS = {
    "default": Layers(
        style=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"),
        content=("block4_conv1",),
    ),
    "gatys": Layers(
        style=("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"),
        content=("block4_conv2",),
    ),
}

# The coarsest scale's longer side; each finer scale is twice as large, the last is max_side.
COARSEST_SIDE = 256
# Steps for the default budget, per scale: enough that the loss settles at each (docs/engine.md).
STEPS_PER_SCALE = 40
# The painting is never resized past this longer side (its features are computed once per scale,
# but a 4x brush on a large output would otherwise need gigabytes), nor below the shorter one.
MAX_STYLE_SIDE = 1024
MIN_STYLE_SIDE = 64
# A shorter side below this leaves VGG's deepest layers (1/8 of it) next to nothing to see.
MIN_SIDE = 16
# Total variation's weight at full strength; it only needs to stop pixel noise.
TV_WEIGHT = 1.0


@dataclass(frozen=True)
class Plan:
    """How to spend the steps: per scale (longer side, step budget), the optimiser, when to stop."""

    scales: tuple[tuple[int, int], ...]
    optimiser: Callable[[], Optimiser] = LBFGS
    # A scale stops once the loss fell by less than this fraction over the last `window` steps;
    # None runs every step.
    tolerance: float | None = 0.005
    window: int = 10
    # Standard deviation, in 0-255 pixel units at full strength, of the seeded noise added to
    # the photo to start from: it gives the style a foothold in flat areas such as a clear sky.
    init_noise: float = 8.0


def scale_sides(max_side: int) -> list[int]:
    """Longer sides from coarse to fine, an octave apart: 256, 512 for 512; 128 alone for 128."""
    count = max(0, math.floor(math.log2(max_side / COARSEST_SIDE) + 1e-9))
    return [round(max_side / 2**k) for k in range(count, -1, -1)]


def default_plan(settings: Settings) -> Plan:
    """The step budget split evenly over the scales, any remainder to the cheap coarsest one."""
    sides = scale_sides(settings.max_side)
    total = settings.steps or STEPS_PER_SCALE * len(sides)
    shares = [total // len(sides)] * len(sides)
    shares[0] += total - sum(shares)
    return Plan(scales=tuple((s, n) for s, n in zip(sides, shares, strict=True) if n > 0))


def loss_weights(style_strength: float) -> tuple[float, float, float]:
    """(style, content, total variation) weights: strength 0 is the photo, 1 pure texture.

    Total variation only smooths the noise that the style loss brings, so it scales with it.
    """
    return style_strength, 1.0 - style_strength, style_strength * TV_WEIGHT


class Objective:
    """Loss and gradient for one layer set; each tf.function is traced once, for every size."""

    def __init__(self, extractor: keras.Model, layers: Layers) -> None:
        self.extractor = extractor
        self.layers = layers
        channels = {
            name: int(out.shape[-1])
            for name, out in zip(layers.outputs, extractor.outputs, strict=True)
        }
        image = tf.TensorSpec([1, None, None, 3], tf.float32)
        grams = [tf.TensorSpec([channels[n], channels[n]], tf.float32) for n in layers.style]
        contents = [tf.TensorSpec([1, None, None, channels[n]], tf.float32) for n in layers.content]
        weights = tf.TensorSpec([3], tf.float32)
        self.targets = tf.function(self._targets, input_signature=[image, image])
        self.loss_and_grad = tf.function(
            self._loss_and_grad, input_signature=[image, grams, contents, weights]
        )

    def _features(self, image: tf.Tensor) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        outputs = dict(zip(self.layers.outputs, self.extractor(image, training=False), strict=True))
        return [outputs[n] for n in self.layers.style], [outputs[n] for n in self.layers.content]

    def _targets(
        self, content: tf.Tensor, style: tf.Tensor
    ) -> tuple[list[tf.Tensor], list[tf.Tensor]]:
        """The style Grams and content features, computed once per scale."""
        style_features, _ = self._features(style)
        _, content_features = self._features(content)
        return [losses.gram(f) for f in style_features], [
            tf.cast(f, tf.float32) for f in content_features
        ]

    def _loss_and_grad(
        self,
        image: tf.Tensor,
        grams: Sequence[tf.Tensor],
        contents: Sequence[tf.Tensor],
        weights: tf.Tensor,
    ) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(image)
            style_features, content_features = self._features(image)
            loss = (
                weights[0] * losses.style_loss(style_features, grams)
                + weights[1] * losses.content_loss(content_features, contents)
                + weights[2] * losses.total_variation(image)
            )
        return loss, tape.gradient(loss, image)


@dataclass
class Run:
    """What one stylization did, for the command line and the benchmark."""

    image: Image.Image
    steps: int = 0


def stylize(
    objective: Objective,
    content: Image.Image,
    style: Image.Image,
    settings: Settings,
    plan: Plan | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> Run:
    """Run `plan` (default: `default_plan(settings)`); the image has the content's aspect ratio.

    Progress counts pixels processed, so it moves evenly in time although fine scales' steps cost
    more; a scale that stops early jumps to its end. Each scale but the last ends with a preview.
    """
    plan = plan or default_plan(settings)
    photos = [resize_longer_side(content, side) for side, _ in plan.scales]
    if min(photos[0].size) < MIN_SIDE:
        width, height = content.size
        raise ImageError(f"photo is too narrow to stylize at this size: {width}x{height} px")
    if settings.preserve_colors:
        style = match_colors(style, photos[-1])
    weights = tf.constant(loss_weights(settings.style_strength), tf.float32)
    work = [p.size[0] * p.size[1] * n for p, (_, n) in zip(photos, plan.scales, strict=True)]
    done = 0
    run = Run(image=content)
    x = to_caffe(photos[0])
    noise = np.random.default_rng(settings.seed).standard_normal(x.shape, np.float32)
    x += plan.init_noise * settings.style_strength * noise  # none at strength 0: the photo
    for index, (photo, (side, steps)) in enumerate(zip(photos, plan.scales, strict=True)):
        if index > 0:
            x = _upsample(x, photos[index - 1], photo)
        style_side = round(settings.style_scale * side)
        style_side = max(MIN_STYLE_SIDE, min(style_side, max(side, MAX_STYLE_SIDE)))
        grams, contents = objective.targets(
            tf.constant(to_caffe(photo)),
            tf.constant(to_caffe(resize_longer_side(style, style_side))),
        )
        optimiser = plan.optimiser()
        scale_losses: list[float] = []
        for step in range(1, steps + 1):
            if cancel is not None and cancel.is_set():
                raise Cancelled("stylization cancelled")
            loss, grad = objective.loss_and_grad(tf.constant(x), grams, contents, weights)
            scale_losses.append(float(loss))
            x = np.clip(optimiser.step(x, grad.numpy()), CAFFE_MIN, CAFFE_MAX)
            run.steps += 1
            if progress is not None:
                progress((done + work[index] * step / steps) / sum(work), None)
            if _converged(scale_losses, plan):
                break
        done += work[index]
        if progress is not None and index < len(photos) - 1:
            progress(done / sum(work), from_caffe(x))
    run.image = from_caffe(x)
    if settings.preserve_colors:
        run.image = transfer_luminance(run.image, photos[-1])
    if progress is not None:
        progress(1.0, run.image)
    return run


def _upsample(x: np.ndarray, coarse_photo: Image.Image, photo: Image.Image) -> np.ndarray:
    """The coarse result at the next size, with the photo's detail that the coarse scale lacked.

    Upsampling alone blurs the photo's edges, and the finer scale would spend its steps
    restoring them; adding back photo − upsampled(coarse photo) starts it with them in place.
    """
    size = (photo.size[1], photo.size[0])
    detail = to_caffe(photo) - tf.image.resize(to_caffe(coarse_photo), size, "bicubic").numpy()
    return tf.image.resize(x, size, "bicubic").numpy() + detail


def _converged(history: list[float], plan: Plan) -> bool:
    if plan.tolerance is None or len(history) <= plan.window:
        return False
    before, now = history[-plan.window - 1], history[-1]
    return before - now < plan.tolerance * abs(before)
