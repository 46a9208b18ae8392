"""Canvases: the arrays a picture is painted on, in a few shapes, so that compiled steps are reused.

XLA compiles a program per input shape, and every photo's aspect ratio would make new shapes at
every scale: seconds of compiling per scale for each new photo. So where the backend compiles
per shape, a picture is placed in the top-left corner of a canvas whose longer side is the
picture's and whose shorter side is rounded up to one of ASPECTS of it; the rest is the picture
mirrored, painted along with it and cropped away at the end. The losses count only the
picture's own pixels (`region`), so the canvas changes what is computed at the picture's edge,
not what is measured. Five canvases a scale cover every photo: landscape and portrait at 9:16
and 3:4, and the square.

Where the backend traces once for any size (TensorFlow), the canvas is the picture itself.

Resizing between scales is a matrix on each axis (bicubic, like tf.image.resize), so it runs in
any backend, inside compiled steps, from one canvas shape to the next.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Shorter side over longer side of the canvases: 16:9, 4:3 and square photos fill theirs.
ASPECTS = (9 / 16, 3 / 4, 1.0)


@dataclass(frozen=True)
class Canvas:
    """A picture of `size` (width, height) in the top-left corner of a `shape` (height, width)."""

    size: tuple[int, int]
    shape: tuple[int, int]

    @staticmethod
    def exact(size: tuple[int, int]) -> Canvas:
        return Canvas(size, (size[1], size[0]))

    @staticmethod
    def bucketed(size: tuple[int, int]) -> Canvas:
        """The smallest of the few canvases that holds a picture of `size`."""
        width, height = size
        longer, shorter = max(size), min(size)
        rounded = next(
            (side for side in (math.ceil(a * longer) for a in ASPECTS) if side >= shorter),
            longer,
        )
        return Canvas(size, (rounded, longer) if width >= height else (longer, rounded))

    def rounded(self, multiple: int) -> Canvas:
        """The canvas grown to sides that are multiples of `multiple` (tiles.py needs 16)."""
        height, width = (multiple * math.ceil(side / multiple) for side in self.shape)
        return Canvas(self.size, (height, width))

    def place(self, picture: np.ndarray) -> np.ndarray:
        """[1, h, w, C] at the picture's size -> [1, H, W, C]: the picture, mirrored beyond it."""
        height, width = self.shape
        rows, columns = height - picture.shape[1], width - picture.shape[2]
        if rows == columns == 0:
            return picture
        return np.pad(picture, ((0, 0), (0, rows), (0, columns), (0, 0)), mode="symmetric")

    def crop(self, array: np.ndarray) -> np.ndarray:
        """The picture from a [1, H, W, C] canvas."""
        width, height = self.size
        return array[:, :height, :width]

    def region(self) -> np.ndarray:
        """[1, H, W, 1]: 1 on the picture's pixels, 0 on the canvas beyond it."""
        mask = np.zeros((1, *self.shape, 1), np.float32)
        mask[:, : self.size[1], : self.size[0]] = 1.0
        return mask


def fit(size: tuple[int, int], buckets: bool, multiple: int = 1) -> Canvas:
    """The canvas for a picture of `size`: one of a few shapes, or the picture's own; its
    sides multiples of `multiple`."""
    return (Canvas.bucketed(size) if buckets else Canvas.exact(size)).rounded(multiple)


def zero_pad(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """[1, h, w, C] -> [1, H, W, C] with zeros beyond it (a mask at a layer's canvas)."""
    height, width = shape[1], shape[2]
    return np.pad(
        values, ((0, 0), (0, height - values.shape[1]), (0, width - values.shape[2]), (0, 0))
    )


def resize_matrices(source: Canvas, target: Canvas) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns): target canvas = rows @ source canvas @ columns.T, on each channel.

    Bicubic from the source's picture to the target's, the target's canvas filled beyond its
    picture as Canvas.place fills it; the source's canvas beyond its picture is never read.
    """
    return (
        _axis(source.size[1], target.size[1], source.shape[0], target.shape[0]),
        _axis(source.size[0], target.size[0], source.shape[1], target.shape[1]),
    )


def resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A [1, h, w, C] array resized to `size` (width, height), bicubic, on the host."""
    source = Canvas.exact((array.shape[2], array.shape[1]))
    rows, columns = resize_matrices(source, Canvas.exact(size))
    return apply(rows, columns, array)


def apply(rows: np.ndarray, columns: np.ndarray, array: np.ndarray) -> np.ndarray:
    """rows @ array @ columns.T on each channel of a [1, h, w, C] array, axis by axis."""
    resized = np.einsum("ih,bhwc->biwc", rows, array, optimize=True)
    return np.einsum("jw,biwc->bijc", columns, resized, optimize=True).astype(np.float32)


def _axis(length: int, new_length: int, canvas: int, new_canvas: int) -> np.ndarray:
    """[new_canvas, canvas] weights: Keys' cubic (a = -0.5) at half-pixel centres, the edge
    pixel repeated past the ends (tf.image.resize's bicubic when enlarging), then mirrored as
    Canvas.place mirrors a picture."""
    exact = np.zeros((new_length, canvas), np.float32)
    centres = (np.arange(new_length) + 0.5) * (length / new_length) - 0.5
    first = np.floor(centres).astype(int) - 1
    for tap in range(4):
        index = first + tap
        distance = np.abs(centres - index)
        weight = np.where(
            distance <= 1,
            (1.5 * distance - 2.5) * distance**2 + 1,
            np.where(distance < 2, ((-0.5 * distance + 2.5) * distance - 4) * distance + 2, 0),
        )
        np.add.at(exact, (np.arange(new_length), np.clip(index, 0, length - 1)), weight)
    exact /= exact.sum(axis=1, keepdims=True)
    mirrored = np.arange(new_canvas) % (2 * new_length)
    mirrored = np.where(mirrored < new_length, mirrored, 2 * new_length - 1 - mirrored)
    return exact[mirrored]


def warm_up_sizes(sides: Sequence[int], per_shape: bool) -> list[tuple[int, int]]:
    """Pictures whose scales meet every canvas a job of these sides will use (Engine.warm_up);
    per_shape: whether the backend compiles per shape (else one size traces for all)."""
    if not sides:
        return []
    if not per_shape:
        return [(64, 48)]  # traced for any size (backend.compiled)
    sizes = []
    for side in sorted(set(sides)):
        for aspect in ASPECTS:
            shorter = math.ceil(aspect * side)
            sizes += [(side, shorter)] + ([(shorter, side)] if shorter < side else [])
    return sizes
