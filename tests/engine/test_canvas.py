"""Canvases: five shapes a scale hold every picture, and resizing between them is exact."""

from __future__ import annotations

import numpy as np
import pytest

from nst_engine.canvas import Canvas, apply, resize, resize_matrices


@pytest.mark.parametrize(
    ("size", "shape"),
    [
        ((512, 384), (384, 512)),  # 4:3 fills its canvas
        ((384, 512), (512, 384)),  # and in portrait
        ((512, 288), (288, 512)),  # 16:9
        ((512, 512), (512, 512)),  # square
        ((512, 341), (384, 512)),  # 3:2 goes to 4:3
        ((512, 128), (288, 512)),  # a panorama to 16:9
        ((500, 480), (500, 500)),  # nearly square to square
    ],
)
def test_a_picture_gets_the_smallest_canvas_that_holds_it(
    size: tuple[int, int], shape: tuple[int, int]
) -> None:
    assert Canvas.bucketed(size).shape == shape


def test_five_canvases_a_side_cover_every_aspect_ratio() -> None:
    shapes = {Canvas.bucketed((512, short)).shape for short in range(16, 513)}
    shapes |= {Canvas.bucketed((short, 512)).shape for short in range(16, 513)}
    assert len(shapes) == 5


def test_a_placed_picture_is_mirrored_beyond_itself_and_crops_back() -> None:
    picture = np.arange(2 * 3, dtype=np.float32).reshape(1, 2, 3, 1)
    canvas = Canvas((3, 2), (4, 4))
    placed = canvas.place(picture)
    np.testing.assert_array_equal(
        placed[0, :, :, 0], [[0, 1, 2, 2], [3, 4, 5, 5], [3, 4, 5, 5], [0, 1, 2, 2]]
    )
    np.testing.assert_array_equal(canvas.crop(placed), picture)
    assert canvas.region()[0, :, :, 0].sum() == 6


def test_resizing_between_canvases_is_resizing_the_picture_then_placing_it() -> None:
    rng = np.random.default_rng(0)
    small = rng.uniform(0, 255, (1, 30, 40, 3)).astype(np.float32)
    source, target = Canvas.bucketed((40, 30)), Canvas.bucketed((80, 50))
    rows, columns = resize_matrices(source, target)
    on_canvas = apply(rows, columns, source.place(small))
    np.testing.assert_allclose(on_canvas, target.place(resize(small, (80, 50))), atol=1e-3)


def test_bicubic_enlarging_keeps_flat_areas_and_ramps() -> None:
    flat = np.full((1, 5, 7, 3), 42.0, np.float32)
    np.testing.assert_allclose(resize(flat, (14, 10)), 42.0, atol=1e-4)
    ramp = np.tile(np.arange(8, dtype=np.float32)[None, None, :, None], (1, 2, 1, 1))
    doubled = resize(ramp, (16, 2))[0, 0, 3:-3, 0]  # away from the edges
    np.testing.assert_allclose(np.diff(doubled), 0.5, atol=1e-4)
