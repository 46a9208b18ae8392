"""Keeping the photo's colours, after Gatys et al. 2016, "Preserving color in neural artistic style
transfer".

Both halves of that paper, cheaply: the painting is recoloured to the photo's palette before the
optimisation (so the style loss does not pull towards the painting's colours), and the result's
luminance is put on the photo's chroma afterwards (so no colour shift survives).
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def match_colors(image: Image.Image, palette: Image.Image) -> Image.Image:
    """`image` with its RGB mean and covariance changed to those of `palette`."""
    source = np.asarray(image, dtype=np.float64).reshape(-1, 3)
    target = np.asarray(palette, dtype=np.float64).reshape(-1, 3)
    transform = _sqrtm(np.cov(target.T)) @ np.linalg.inv(_sqrtm(np.cov(source.T)))
    matched = (source - source.mean(0)) @ transform.T + target.mean(0)
    pixels = np.clip(matched, 0, 255).round().astype(np.uint8)
    return Image.fromarray(pixels.reshape(image.size[1], image.size[0], 3), "RGB")


def transfer_luminance(result: Image.Image, photo: Image.Image) -> Image.Image:
    """The luminance of `result` with the colour (chroma) of `photo`, at `result`'s size."""
    luma = result.convert("YCbCr").getchannel("Y")
    _, cb, cr = photo.resize(result.size, Image.Resampling.LANCZOS).convert("YCbCr").split()
    return Image.merge("YCbCr", (luma, cb, cr)).convert("RGB")


def _sqrtm(covariance: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix, regularised for flat images."""
    values, vectors = np.linalg.eigh(covariance + 1e-3 * np.eye(3))
    return (vectors * np.sqrt(np.maximum(values, 1e-6))) @ vectors.T
