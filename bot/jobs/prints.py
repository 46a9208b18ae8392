"""The file people print: a print job's painting as a JPEG that a print shop takes as it is.

JPEG at quality 95 without chroma subsampling, not PNG: a painting's texture barely compresses, so
a 4096 px PNG is 25-50 MB (Seurat's Grande Jatte, a painting of dots, measured 2.2 MB a
megapixel: 37 MB at 4096 × 4096, and a painted canvas can near the raw 3 bytes a pixel), too
close to Telegram's 50 MB upload limit, while this JPEG is about 0.6 MB a megapixel (8-10 MB),
shows no difference on paper, and is what every print service takes. It carries the sRGB profile
(what every pixel means, so a colour-managed printer does not guess) and a 300 dpi tag, the usual
print resolution, so that it prints at the size the caption names.

Nothing here imports telegram: the runner that paints the print (in the bot, or on an
`nst-worker`) writes the file, and the bot's delivery names its size.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageCms

PRINT_DPI = 300
JPEG_QUALITY = 95
CM_PER_INCH = 2.54
SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def save_print(image: Image.Image, path: Path) -> None:
    """Write image as the print file: JPEG, 4:4:4, sRGB profile, PRINT_DPI."""
    image.convert("RGB").save(
        path,
        "JPEG",
        quality=JPEG_QUALITY,
        subsampling=0,  # 4:4:4: a brush stroke's colour edge stays as sharp as its light
        dpi=(PRINT_DPI, PRINT_DPI),
        icc_profile=SRGB_PROFILE,
    )


def cm(pixels: int) -> int:
    """A side of so many pixels in whole centimetres, printed at PRINT_DPI."""
    return round(pixels / PRINT_DPI * CM_PER_INCH)


def paper_size(path: Path) -> tuple[int, int, int]:
    """The print file's longer side in pixels, and its width and height in centimetres."""
    with Image.open(path) as image:
        width, height = image.size
    return max(width, height), cm(width), cm(height)
