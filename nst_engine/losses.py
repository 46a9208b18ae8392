"""Gatys' losses, each normalised so that one set of weights works at any size and with any weights.

Raw Gram and feature differences grow with the image's pixel count and with the scale of the
network's activations (Gatys' normalised VGG19 and Keras' caffe-converted one differ by orders of
magnitude per layer). Averaging Grams over positions and dividing each layer's error by the
target's own size removes both, so every layer counts equally and a loss near 1 means "as far
away as the target is from zero".
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def gram(features: tf.Tensor) -> tf.Tensor:
    """[1, H, W, C] -> [C, C] feature correlations, averaged over the H*W positions."""
    flat = tf.reshape(tf.cast(features, tf.float32), [-1, tf.shape(features)[-1]])
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[0], tf.float32)


def relative_error(value: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """||value - target||² / ||target||²: 0 on target, 1 for zeros, the same at every scale."""
    value = tf.cast(value, tf.float32)
    return tf.reduce_sum(tf.square(value - target)) / (tf.reduce_sum(tf.square(target)) + 1e-8)


def style_loss(features: Sequence[tf.Tensor], target_grams: Sequence[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the relative squared error of the Gram matrices."""
    return tf.add_n(
        [relative_error(gram(f), g) for f, g in zip(features, target_grams, strict=True)]
    ) / len(target_grams)


def moments(features: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """[1, H, W, C] -> each channel's mean and standard deviation over the positions, [C] each."""
    mean, variance = tf.nn.moments(tf.cast(features, tf.float32), axes=[0, 1, 2])
    return mean, tf.sqrt(variance + 1e-8)


def moments_loss(
    features: Sequence[tf.Tensor], means: Sequence[tf.Tensor], stds: Sequence[tf.Tensor]
) -> tf.Tensor:
    """Mean over layers of the relative errors of the channels' means and standard deviations.

    The statistics AdaIN matches, which Li et al. (2017) show to be a style loss in their own
    right. Beside the Gram they give each channel's overall level and spread a weight of their
    own; in the Gram alone the largest entries dominate.
    """
    errors = []
    for f, mean, std in zip(features, means, stds, strict=True):
        f_mean, f_std = moments(f)
        errors.append(relative_error(f_mean, mean) + relative_error(f_std, std))
    return tf.add_n(errors) / (2 * len(features))


def content_loss(features: Sequence[tf.Tensor], targets: Sequence[tf.Tensor]) -> tf.Tensor:
    """Mean over layers of the relative squared error of the feature maps."""
    return tf.add_n([relative_error(f, t) for f, t in zip(features, targets, strict=True)]) / len(
        targets
    )


def masked_content_loss(
    features: Sequence[tf.Tensor], targets: Sequence[tf.Tensor], masks: Sequence[tf.Tensor]
) -> tf.Tensor:
    """content_loss counted only where each [1, H, W, 1] mask (0..1) is.

    Divided by the whole target's size, not the masked part's: the term weighs as much as the
    mask covers, so a faint mask (a segmenter's haze over a landscape) adds next to nothing.
    """
    errors = []
    for f, target, mask in zip(features, targets, masks, strict=True):
        difference = mask * tf.square(tf.cast(f, tf.float32) - target)
        errors.append(tf.reduce_sum(difference) / (tf.reduce_sum(tf.square(target)) + 1e-8))
    return tf.add_n(errors) / len(targets)


def total_variation(image: tf.Tensor) -> tf.Tensor:
    """Mean squared difference between neighbouring pixels, in units of the full 0-255 range."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return (tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))) / 255.0**2
