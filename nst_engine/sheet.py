"""Numbered, titled grids of pictures: the preset collage and "every preset on your photo".

The contact sheet paints one photo in every painting by the fast method, each in one pass of the
network at the cell's own 256 px, with each painting's style vector remembered by the stylizer,
so a dozen and more take a few seconds.

Titles are drawn in PT Sans (SIL Open Font License), which the `fontpkg-pt-sans` wheel ships, so
Cyrillic titles render the same on every host; Pillow's built-in font has no Cyrillic.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont, ImageOps

from nst_engine.errors import Cancelled
from nst_engine.images import resize_longer_side
from nst_engine.settings import Settings

if TYPE_CHECKING:  # fast.py loads LiteRT; the preset collage in the bot needs only the grid
    import threading

    from nst_engine.fast import FastStylizer

FONT_FILE = "files/PT_Sans-Web-Regular.ttf"
CELL = 256  # a cell's width in pixels: four across make a 1024-px sheet, what Telegram shows
GAP = 4
TITLE_HEIGHT = 34
FONT_SIZE = 19
SHEET_SIDE = CELL  # painted at the cell's size, one pass of the network per painting


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


def contact_sheet(
    stylizer: FastStylizer,
    content: Image.Image,
    styles: Sequence[tuple[str, Path]],
    settings: Settings,
    cancel: threading.Event | None = None,
) -> Image.Image:
    """`content` painted in each (title, painting file) of styles, as one numbered grid.

    Strength and colours follow settings; the size is the sheet's own. Each painting's style
    vector is computed once per process (FastStylizer.file_style_vector).
    """
    photo = resize_longer_side(content, SHEET_SIDE)
    own = stylizer.style_vector(photo)
    painted = []
    for _, path in styles:
        if cancel is not None and cancel.is_set():
            raise Cancelled("contact sheet cancelled")
        vector = stylizer.file_style_vector(path)
        painted.append(stylizer.paint(photo, vector, settings, photo_vector=own, one_pass=True))
    return grid(painted, [title for title, _ in styles], aspect=photo.height / photo.width)


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
