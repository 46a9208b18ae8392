"""Gatys' losses in keras.ops, each normalised so that one set of weights works at any size.

Raw Gram and feature differences grow with the image's pixel count and with the scale of the
network's activations (Gatys' normalised VGG19 and Keras' caffe-converted one differ by orders of
magnitude per layer). Averaging Grams over positions and dividing each layer's error by the
target's own size removes both, so every layer counts equally and a loss near 1 means "as far
away as the target is from zero".

Every loss counts only the picture's own positions, given as a `region` mask (1 on the picture,
0 on the canvas beyond it: canvas.py). The style statistics are kept as sums over positions
(`Sums`) until the end, so a picture's parts add up to the whole.

The loss is composed in one place, `weighted`, from the terms named in `GLOBAL_TERMS` and
`LOCAL_TERMS`, each weighed by the `LossWeights` field of its name: the whole canvas's
objective (objective.py) and the window-by-window one (tiles.py) both compose it so. Adding a
term is a field of LossWeights and an entry in one of the two tables.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from nst_engine.backend import Tensor, ops

EPSILON = 1e-8


class LossWeights(NamedTuple):
    """How much each term of the loss counts (the tables below name them); the recipe
    (gatys.py) sets them per scale. The loss adds the terms up in this order."""

    style: float = 1.0  # the painting's Gram matrices
    content: float = 0.0  # what the scale keeps: the photo, or the coarser scale's result
    total_variation: float = 0.0  # neighbouring pixels' differences
    moments: float = 0.0  # the painting's channel means and deviations
    subject: float = 0.0  # the photo's own content over its faces


class Sums(NamedTuple):
    """One layer's features summed over positions: what its statistics are made of."""

    products: Tensor  # [C, C]: sum of f fᵀ
    total: Tensor  # [C]: sum of f
    squares: Tensor  # [C]: sum of f²
    count: Tensor  # []: positions


class StyleTarget(NamedTuple):
    """What the style loss matches, per style layer: Gram matrices, channel means and deviations."""

    grams: list[Tensor]
    means: list[Tensor]
    stds: list[Tensor]


def region_at(region: Tensor, stride: int) -> Tensor:
    """The region at a layer `stride` times smaller: positions whose whole window is inside."""
    if stride == 1:
        return region
    return -ops.max_pool(-region, pool_size=stride, strides=stride, padding="valid")


def sums(features: Tensor, region: Tensor) -> Sums:
    """[1, H, W, C] features over a [1, H, W, 1] region -> their sums (in float32)."""
    values = ops.cast(features, "float32") * region
    flat = ops.reshape(values, (-1, ops.shape(values)[-1]))
    return Sums(
        ops.matmul(ops.transpose(flat), flat),
        ops.sum(flat, axis=0),
        ops.sum(flat * flat, axis=0),
        ops.sum(region),
    )


def statistics(layers: Sequence[Sums]) -> StyleTarget:
    """Gram matrices (averaged over positions), means and standard deviations from sums."""
    grams, means, stds = [], [], []
    for layer in layers:
        count = ops.maximum(layer.count, 1.0)
        mean = layer.total / count
        grams.append(layer.products / count)
        means.append(mean)
        stds.append(ops.sqrt(ops.maximum(layer.squares / count - mean * mean, 0.0) + EPSILON))
    return StyleTarget(grams, means, stds)


def relative_error(value: Tensor, target: Tensor) -> Tensor:
    """||value - target||² / ||target||²: 0 on target, 1 for zeros, the same at every scale."""
    value = ops.cast(value, "float32")
    return ops.sum(ops.square(value - target)) / (ops.sum(ops.square(target)) + EPSILON)


def style_loss(current: StyleTarget, target: StyleTarget) -> Tensor:
    """Mean over layers of the relative squared error of the Gram matrices."""
    errors = [relative_error(g, t) for g, t in zip(current.grams, target.grams, strict=True)]
    return ops.sum(ops.stack(errors)) / len(errors)


def moments_loss(current: StyleTarget, target: StyleTarget) -> Tensor:
    """Mean over layers of the relative errors of the channels' means and standard deviations.

    The statistics AdaIN matches, which Li et al. (2017) show to be a style loss in their own
    right. Beside the Gram they give each channel's overall level and spread a weight of their
    own; in the Gram alone the largest entries dominate.
    """
    errors = [
        relative_error(mean, target_mean) + relative_error(std, target_std)
        for mean, std, target_mean, target_std in zip(
            current.means, current.stds, target.means, target.stds, strict=True
        )
    ]
    return ops.sum(ops.stack(errors)) / (2 * len(errors))


def content_loss(
    features: Sequence[Tensor],
    targets: Sequence[Tensor],
    regions: Sequence[Tensor],
    sizes: Sequence[Tensor] | None = None,
) -> Tensor:
    """Mean over layers of the relative squared error of the feature maps, on the region."""
    return masked_content_loss(features, targets, regions, regions, sizes)


def masked_content_loss(
    features: Sequence[Tensor],
    targets: Sequence[Tensor],
    masks: Sequence[Tensor],
    regions: Sequence[Tensor],
    sizes: Sequence[Tensor] | None = None,
) -> Tensor:
    """content_loss counted only where each [1, H, W, 1] mask (0..1) is.

    Divided by the whole target's size, not the masked part's: the term weighs as much as the
    mask covers, so a small face is held as firmly a pixel as a large one, and a faint mask
    adds next to nothing.
    sizes: each target's size over the whole picture, where these are a tile's (tiles.py);
    None: over `regions`.
    """
    if sizes is None:
        sizes = [target_size(t, r) for t, r in zip(targets, regions, strict=True)]
    errors = []
    for f, target, mask, region, size in zip(features, targets, masks, regions, sizes, strict=True):
        difference = mask * region * ops.square(ops.cast(f, "float32") - target)
        errors.append(ops.sum(difference) / (size + EPSILON))
    return ops.sum(ops.stack(errors)) / len(errors)


def target_size(target: Tensor, region: Tensor) -> Tensor:
    """||target||² over the region: what a content error is measured against."""
    return ops.sum(region * ops.square(target))


def total_variation(
    image: Tensor,
    region: Tensor,
    owned: Tensor | None = None,
    pairs: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Mean squared difference between neighbouring pixels of the region, in units of the full
    0-255 range.

    Where `image` is a tile of a larger picture (tiles.py): `owned` marks the pixels whose pairs
    (with the next pixel down, and right) the tile counts, and `pairs` are the whole picture's
    numbers of such pairs (`neighbour_pairs`).
    """
    owned = region if owned is None else owned
    rows = owned[:, :-1, :, :] * region[:, 1:, :, :] * region[:, :-1, :, :]
    columns = owned[:, :, :-1, :] * region[:, :, 1:, :] * region[:, :, :-1, :]
    dy = ops.sum(rows * ops.square(image[:, 1:, :, :] - image[:, :-1, :, :]))
    dx = ops.sum(columns * ops.square(image[:, :, 1:, :] - image[:, :, :-1, :]))
    row_pairs, column_pairs = neighbour_pairs(region) if pairs is None else pairs
    channels = ops.cast(ops.shape(image)[-1], "float32")
    return (dy / (channels * row_pairs) + dx / (channels * column_pairs)) / 255.0**2


def neighbour_pairs(region: Tensor) -> tuple[Tensor, Tensor]:
    """How many vertical and horizontal pairs of neighbouring pixels the region holds (at least
    1 each, so that a picture one pixel high divides by something)."""
    rows = ops.sum(region[:, 1:, :, :] * region[:, :-1, :, :])
    columns = ops.sum(region[:, :, 1:, :] * region[:, :, :-1, :])
    return ops.maximum(rows, 1.0), ops.maximum(columns, 1.0)


# The loss's composition.


class Scale(NamedTuple):
    """What the loss holds on to at one scale, every array at that scale's canvas."""

    region: Tensor  # [1, H, W, 1]: the picture's own pixels
    style: StyleTarget  # the paintings' statistics at this scale
    contents: list[Tensor]  # what the scale keeps (the photo, or the coarser result)
    subject: list[Tensor]  # the photo's own content, for where its faces are
    masks: list[Tensor]  # where the faces are, at the content layers (zeros: no such term)


class Normalisers(NamedTuple):
    """The whole picture's sizes the local terms are divided by."""

    contents: list[Tensor]  # ||content target||² per content layer
    subject: list[Tensor]  # ||the photo's content||² per content layer
    pairs: tuple[Tensor, Tensor]  # neighbouring pixel pairs, down and across


def normalisers(scale: Scale, regions: Sequence[Tensor]) -> Normalisers:
    """A scale's normalisers; `regions`: the picture's region at each content layer."""
    return Normalisers(
        [target_size(t, r) for t, r in zip(scale.contents, regions, strict=True)],
        [target_size(t, r) for t, r in zip(scale.subject, regions, strict=True)],
        neighbour_pairs(scale.region),
    )


class Share(NamedTuple):
    """The positions the local terms count: the whole picture, or a window's own part of it."""

    owned: Tensor  # [1, H, W, 1]: the pixels counted here
    owned_at: list[Tensor]  # `owned` at each content layer
    normalisers: Normalisers  # the whole picture's, so that the windows' shares add up


# A local term's value from the image, its content layers' features, the scale and the share.
LocalTerm = Callable[[Tensor, Sequence[Tensor], Scale, Share], Tensor]

# Terms of the picture's style statistics, which only the whole picture has (tiles.py sums
# its windows' features first).
GLOBAL_TERMS: dict[str, Callable[[StyleTarget, StyleTarget], Tensor]] = {
    "style": style_loss,
    "moments": moments_loss,
}
# Terms that add up over positions: a window computes its own share of each.
LOCAL_TERMS: dict[str, LocalTerm] = {
    "content": lambda image, features, scale, share: content_loss(
        features, scale.contents, share.owned_at, share.normalisers.contents
    ),
    "total_variation": lambda image, features, scale, share: total_variation(
        image, scale.region, share.owned, share.normalisers.pairs
    ),
    "subject": lambda image, features, scale, share: masked_content_loss(
        features, scale.subject, scale.masks, share.owned_at, share.normalisers.subject
    ),
}


def global_terms(current: StyleTarget, target: StyleTarget) -> dict[str, Tensor]:
    """Each global term's value, unweighted, for a picture's style statistics."""
    return {name: term(current, target) for name, term in GLOBAL_TERMS.items()}


def local_terms(
    image: Tensor, features: Sequence[Tensor], scale: Scale, share: Share
) -> dict[str, Tensor]:
    """Each local term's value, unweighted, over the share's positions of `image`."""
    return {name: term(image, features, scale, share) for name, term in LOCAL_TERMS.items()}


def weighted(values: Mapping[str, Tensor], weights: LossWeights) -> Tensor:
    """Σ weight × value over the terms in `values`, added up in LossWeights' order."""
    parts = [
        getattr(weights, name) * values[name] for name in LossWeights._fields if name in values
    ]
    return functools.reduce(operator.add, parts)
