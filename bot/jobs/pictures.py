"""A person's picture as their phone shows it, before the engine reads it: the colour profile the
camera embedded converted to sRGB, which is what the engine takes every pixel for.

An iPhone's photo (HEIC, or JPEG "most compatible") is in Display P3: read as sRGB, its colours
come out dull, and a painting that keeps the photo's colours keeps them dull. A picture with no
profile is sRGB already and is left as it is. The orientation is applied here too, because the
PNG written here keeps no EXIF; the engine applies it to every other picture itself. HEIC and
HEIF open through pillow-heif (registered in bot/__init__.py), which applies their rotation as
it reads them.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

log = logging.getLogger(__name__)

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Modes a profile can be converted from; others (a palette, 16-bit grey) are left to the engine.
CONVERTIBLE = {"RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB", "L": "RGB"}


def as_shown(path: Path) -> Path:
    """The picture at path in sRGB and upright, written beside it as PNG; path itself when it
    has no colour profile, or when it cannot be read or converted here (the engine then reads it
    as stored, and says so if it cannot)."""
    try:
        with Image.open(path) as image:
            profile = image.info.get("icc_profile")
            if not profile or image.mode not in CONVERTIBLE:
                return path
            embedded = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            upright = ImageOps.exif_transpose(image)
            shown = ImageCms.profileToProfile(
                upright, embedded, SRGB, outputMode=CONVERTIBLE[image.mode]
            )
    except (OSError, ValueError, ImageCms.PyCMSError, Image.DecompressionBombError) as error:
        log.warning("a picture is left as stored: %s", error)
        return path
    assert shown is not None  # profileToProfile returns a new image unless inPlace
    target = path.with_name(f"{path.name}-srgb.png")
    shown.save(target, "PNG")
    return target
