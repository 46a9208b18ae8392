"""Numbered, titled grids of pictures: the preset collage and "every preset on your photo".

Titles are drawn in PT Sans (SIL Open Font License), which the `fontpkg-pt-sans` wheel ships, so
Cyrillic titles render the same on every host; Pillow's built-in font has no Cyrillic.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from importlib import resources

from PIL import Image, ImageDraw, ImageFont, ImageOps

FONT_FILE = "files/PT_Sans-Web-Regular.ttf"
CELL = 256  # a cell's width in pixels: four across make a 1024-px sheet, what Telegram shows
GAP = 4
TITLE_HEIGHT = 34
FONT_SIZE = 19


@cache
def font(size: int = FONT_SIZE) -> ImageFont.FreeTypeFont:
    with resources.as_file(resources.files("fontpkg_pt_sans") / FONT_FILE) as path:
        return ImageFont.truetype(str(path), size)


def columns_for(count: int) -> int:
    """2 across for a few pictures, 3 up to nine, 4 beyond: cells stay large enough to read."""
    return 2 if count <= 4 else 3 if count <= 9 else 4


def grid(images: Sequence[Image.Image], titles: Sequence[str], aspect: float = 1.0) -> Image.Image:
    """One RGB sheet: each image cropped to CELL x CELL*aspect, "n. title" under it, n from 1.

    aspect is height/width of a cell: 1 for paintings' centre squares, the photo's own for a
    contact sheet of one photo in many styles.
    """
    if len(images) != len(titles) or not images:
        raise ValueError("a grid needs one title per image, and at least one image")
    columns = columns_for(len(images))
    rows = -(-len(images) // columns)
    height = max(64, min(round(CELL * aspect), 2 * CELL))
    pitch_x, pitch_y = CELL + GAP, height + TITLE_HEIGHT + GAP
    sheet = Image.new("RGB", (columns * pitch_x - GAP, rows * pitch_y - GAP), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (image, title) in enumerate(zip(images, titles, strict=True)):
        x, y = (index % columns) * pitch_x, (index // columns) * pitch_y
        thumb = ImageOps.fit(image.convert("RGB"), (CELL, height), Image.Resampling.LANCZOS)
        sheet.paste(thumb, (x, y))
        label = _fit(draw, f"{index + 1}. {title}", CELL - 8)
        draw.text((x + 4, y + height + TITLE_HEIGHT // 2), label, "black", font(), anchor="lm")
    return sheet


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int) -> str:
    """text, cut with an ellipsis if it is wider than width pixels."""
    if draw.textlength(text, font()) <= width:
        return text
    while text and draw.textlength(text + "…", font()) > width:
        text = text[:-1]
    return text.rstrip() + "…"
