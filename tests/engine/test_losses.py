"""The normalised losses against values worked out by hand, and the invariances they exist for."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nst_engine import losses
from nst_engine.backend import ops
from nst_engine.colors import match_colors, transfer_luminance


def _features(rows: list[list[float]]) -> np.ndarray:
    """Positions x channels as a [1, 1, positions, channels] feature map."""
    return np.array([[rows]], np.float32)


def _everywhere(features: np.ndarray) -> np.ndarray:
    """The region that covers a feature map entirely."""
    return np.ones((*features.shape[:3], 1), np.float32)


def _statistics(*features: np.ndarray, region: np.ndarray | None = None) -> losses.StyleTarget:
    return losses.statistics(
        [losses.sums(f, _everywhere(f) if region is None else region) for f in features]
    )


def test_gram_is_averaged_over_positions() -> None:
    gram = _statistics(_features([[1, 2], [3, 4]])).grams[0]
    # (1·1 + 3·3)/2, (1·2 + 3·4)/2, (2·2 + 4·4)/2
    np.testing.assert_allclose(ops.convert_to_numpy(gram), [[5, 7], [7, 10]])


def test_gram_does_not_grow_with_the_image() -> None:
    small = np.random.default_rng(1).standard_normal((1, 4, 5, 8)).astype(np.float32)
    tiled = np.tile(small, (1, 3, 2, 1))
    np.testing.assert_allclose(
        ops.convert_to_numpy(_statistics(tiled).grams[0]),
        ops.convert_to_numpy(_statistics(small).grams[0]),
        rtol=1e-5,
    )


def test_statistics_count_only_the_region() -> None:
    picture = np.random.default_rng(2).standard_normal((1, 4, 5, 3)).astype(np.float32)
    canvas = np.concatenate([picture, 100 + picture[:, :2]], axis=1)  # 2 rows beyond it
    region = np.zeros((1, 6, 5, 1), np.float32)
    region[:, :4] = 1.0
    inside, whole = _statistics(canvas, region=region), _statistics(picture)
    for ours, theirs in zip(inside, whole, strict=True):
        np.testing.assert_allclose(ops.convert_to_numpy(ours[0]), ops.convert_to_numpy(theirs[0]))


def test_sums_of_parts_add_up_to_the_whole() -> None:
    picture = np.random.default_rng(3).standard_normal((1, 6, 4, 3)).astype(np.float32)
    top, bottom = np.zeros((1, 6, 4, 1), np.float32), np.zeros((1, 6, 4, 1), np.float32)
    top[:, :2], bottom[:, 2:] = 1.0, 1.0
    parts = [losses.sums(picture, top), losses.sums(picture, bottom)]
    added = losses.Sums(*(a + b for a, b in zip(*parts, strict=True)))
    whole = losses.sums(picture, _everywhere(picture))
    for ours, theirs in zip(added, whole, strict=True):
        np.testing.assert_allclose(
            ops.convert_to_numpy(ours), ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-5
        )


def test_a_region_at_a_layer_keeps_only_windows_wholly_inside() -> None:
    region = np.zeros((1, 8, 8, 1), np.float32)
    region[:, :6, :5] = 1.0
    coarse = ops.convert_to_numpy(losses.region_at(region, 2))[0, :, :, 0]
    np.testing.assert_array_equal(coarse, [[1, 1, 0, 0]] * 3 + [[0, 0, 0, 0]])


def test_relative_error_by_hand() -> None:
    value = np.array([1.0, 1.0], np.float32)
    target = np.array([2.0, 0.0], np.float32)
    # ((1-2)² + (1-0)²) / (2² + 0²)
    assert float(losses.relative_error(value, target)) == pytest.approx(0.5)
    assert float(losses.relative_error(np.zeros(2, np.float32), target)) == pytest.approx(1.0)


def test_relative_error_ignores_the_activation_scale() -> None:
    rng = np.random.default_rng(4)
    value, target = rng.standard_normal((2, 64)).astype(np.float32)
    scaled = float(losses.relative_error(1000.0 * value, 1000.0 * target))
    assert scaled == pytest.approx(float(losses.relative_error(value, target)), rel=1e-5)


def test_style_loss_is_the_mean_over_layers() -> None:
    current = _statistics(_features([[1, 2], [3, 4]]), _features([[1, 0]]))
    grams = [np.array([[5.0, 7.0], [7.0, 10.0]]), np.array([[2.0, 0.0], [0.0, 0.0]])]
    target = losses.StyleTarget([g.astype(np.float32) for g in grams], current.means, current.stds)
    # Layer 1 matches its target exactly; layer 2's Gram [[1,0],[0,0]] is (1-2)²/2² = 0.25 away.
    assert float(losses.style_loss(current, target)) == pytest.approx(0.125)


def test_content_loss_by_hand() -> None:
    features = [_features([[1, 1]]), _features([[3, 0]])]
    targets = [_features([[2, 0]]), _features([[3, 0]])]
    regions = [_everywhere(f) for f in features]
    assert float(losses.content_loss(features, targets, regions)) == pytest.approx(0.25)


def test_total_variation_is_a_per_pixel_mean_in_full_range_units() -> None:
    image = np.array([[[[0.0], [255.0]], [[255.0], [255.0]]]], np.float32)
    # Vertical differences (255, 0) and horizontal (255, 0): each mean is 255²/2.
    assert float(losses.total_variation(image, _everywhere(image))) == pytest.approx(1.0)
    flat = np.full((1, 64, 64, 3), 7.0, np.float32)
    assert float(losses.total_variation(flat, _everywhere(flat))) == 0.0


def test_total_variation_ignores_the_canvas_beyond_the_region() -> None:
    image = np.zeros((1, 4, 4, 3), np.float32)
    image[:, 3, :] = 255.0  # a bright last row, outside the region
    region = np.zeros((1, 4, 4, 1), np.float32)
    region[:, :3] = 1.0
    assert float(losses.total_variation(image, region)) == 0.0


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
    current = _statistics(_features([[1, 0], [3, 0]]))

    def target(means: list[float], stds: list[float]) -> losses.StyleTarget:
        as_array = [np.array(means, np.float32)], [np.array(stds, np.float32)]
        return losses.StyleTarget(current.grams, *as_array)

    assert float(losses.moments_loss(current, target([2, 0], [1, 0]))) == pytest.approx(
        0.0, abs=1e-6
    )
    # Target mean (4, 0): (2-4)²/4² = 0.25; target std (2, 0): (1-2)²/2² = 0.25; averaged.
    assert float(losses.moments_loss(current, target([4, 0], [2, 0]))) == pytest.approx(
        0.25, rel=1e-3
    )


def test_masked_content_loss_weighs_as_much_as_the_mask_covers() -> None:
    target = _features([[1.0], [2.0]])  # ||target||² = 5
    features = _features([[0.0], [0.0]])  # errors 1 and 4 at the two positions
    region = _everywhere(target)
    # a mask's positions: [1, 1, 2, 1], like the feature map's
    full, first, none = (np.array([[[[a], [b]]]], np.float32) for a, b in ((1, 1), (1, 0), (0, 0)))
    loss = losses.masked_content_loss
    assert float(loss([features], [target], [full], [region])) == pytest.approx(
        float(losses.content_loss([features], [target], [region]))
    )
    assert float(loss([features], [target], [first], [region])) == pytest.approx(1 / 5)
    assert float(loss([features], [target], [none], [region])) == 0.0
