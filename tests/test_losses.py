"""The normalised losses against values worked out by hand, and the invariances they exist for."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from nst_engine import losses
from nst_engine.colors import match_colors, transfer_luminance


def _features(rows: list[list[float]]) -> tf.Tensor:
    """Positions x channels as a [1, 1, positions, channels] feature map."""
    return tf.constant([[rows]], tf.float32)


def test_gram_is_averaged_over_positions() -> None:
    gram = losses.gram(_features([[1, 2], [3, 4]]))
    # (1·1 + 3·3)/2, (1·2 + 3·4)/2, (2·2 + 4·4)/2
    np.testing.assert_allclose(gram.numpy(), [[5, 7], [7, 10]])


def test_gram_does_not_grow_with_the_image() -> None:
    small = tf.random.stateless_normal([1, 4, 5, 8], seed=[1, 2])
    tiled = tf.tile(small, [1, 3, 2, 1])
    np.testing.assert_allclose(losses.gram(tiled).numpy(), losses.gram(small).numpy(), rtol=1e-5)


def test_relative_error_by_hand() -> None:
    value = tf.constant([1.0, 1.0])
    target = tf.constant([2.0, 0.0])
    # ((1-2)² + (1-0)²) / (2² + 0²)
    assert float(losses.relative_error(value, target)) == pytest.approx(0.5)
    assert float(losses.relative_error(tf.zeros(2), target)) == pytest.approx(1.0)


def test_relative_error_ignores_the_activation_scale() -> None:
    value = tf.random.stateless_normal([64], seed=[3, 4])
    target = tf.random.stateless_normal([64], seed=[5, 6])
    scaled = float(losses.relative_error(1000.0 * value, 1000.0 * target))
    assert scaled == pytest.approx(float(losses.relative_error(value, target)), rel=1e-5)


def test_style_loss_is_the_mean_over_layers() -> None:
    features = [_features([[1, 2], [3, 4]]), _features([[1, 0]])]
    targets = [tf.constant([[5.0, 7.0], [7.0, 10.0]]), tf.constant([[2.0, 0.0], [0.0, 0.0]])]
    # Layer 1 matches its target exactly; layer 2's Gram [[1,0],[0,0]] is (1-2)²/2² = 0.25 away.
    assert float(losses.style_loss(features, targets)) == pytest.approx(0.125)


def test_content_loss_by_hand() -> None:
    features = [_features([[1, 1]]), _features([[3, 0]])]
    targets = [_features([[2, 0]]), _features([[3, 0]])]
    assert float(losses.content_loss(features, targets)) == pytest.approx(0.25)


def test_total_variation_is_a_per_pixel_mean_in_full_range_units() -> None:
    image = tf.constant([[[[0.0], [255.0]], [[255.0], [255.0]]]])
    # Vertical differences (255, 0) and horizontal (255, 0): each mean is 255²/2.
    assert float(losses.total_variation(image)) == pytest.approx(1.0)
    flat = tf.fill([1, 64, 64, 3], 7.0)
    assert float(losses.total_variation(flat)) == 0.0


def test_match_colors_takes_the_palettes_statistics() -> None:
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 120, (32, 48, 3), dtype=np.uint8))
    palette_pixels = rng.normal((200, 60, 90), (20, 10, 5), (40, 40, 3))
    palette = Image.fromarray(np.clip(palette_pixels, 0, 255).astype(np.uint8))
    matched = np.asarray(match_colors(image, palette), dtype=np.float64).reshape(-1, 3)
    expected = np.asarray(palette, dtype=np.float64).reshape(-1, 3)
    np.testing.assert_allclose(matched.mean(0), expected.mean(0), atol=1.5)
    np.testing.assert_allclose(matched.std(0), expected.std(0), rtol=0.1)


def test_transfer_luminance_keeps_the_results_light_and_the_photos_colour() -> None:
    result = Image.new("RGB", (32, 32), (150, 150, 150))
    photo = Image.new("RGB", (64, 64), (90, 110, 150))
    kept = transfer_luminance(result, photo)
    assert kept.size == (32, 32)
    y, cb, cr = np.asarray(kept.convert("YCbCr"))[5, 5].astype(int)
    _, photo_cb, photo_cr = np.asarray(photo.convert("YCbCr"))[5, 5].astype(int)
    assert y == pytest.approx(150, abs=2)
    assert (cb, cr) == pytest.approx((photo_cb, photo_cr), abs=2)


def test_moments_loss_by_hand() -> None:
    # Channel 1: values 1, 3 (mean 2, std 1); channel 2: 0, 0 (mean 0, std ~0).
    features = [_features([[1, 0], [3, 0]])]
    means, stds = [tf.constant([2.0, 0.0])], [tf.constant([1.0, 0.0])]
    assert float(losses.moments_loss(features, means, stds)) == pytest.approx(0.0, abs=1e-6)
    # Target mean (4, 0): (2-4)²/4² = 0.25; target std (2, 0): (1-2)²/2² = 0.25; averaged.
    means, stds = [tf.constant([4.0, 0.0])], [tf.constant([2.0, 0.0])]
    assert float(losses.moments_loss(features, means, stds)) == pytest.approx(0.25, rel=1e-3)


def test_masked_content_loss_weighs_as_much_as_the_mask_covers() -> None:
    target = _features([[1.0], [2.0]])  # ||target||² = 5
    features = _features([[0.0], [0.0]])  # errors 1 and 4 at the two positions
    # a mask's positions: [1, 1, 2, 1], like the feature map's
    full, first, none = (
        tf.constant([[[[a], [b]]]], tf.float32) for a, b in ((1, 1), (1, 0), (0, 0))
    )
    loss = losses.masked_content_loss
    assert float(loss([features], [target], [full])) == pytest.approx(
        float(losses.content_loss([features], [target]))
    )
    assert float(loss([features], [target], [first])) == pytest.approx(1 / 5)
    assert float(loss([features], [target], [none])) == 0.0
