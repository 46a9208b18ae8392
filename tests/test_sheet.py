"""The grid behind the preset collage and the contact sheet: layout, titles, Cyrillic."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from nst_engine import sheet


def rendered(text: str) -> np.ndarray:
    canvas = Image.new("L", (200, 40), 0)
    ImageDraw.Draw(canvas).text((4, 4), text, 255, sheet.font())
    return np.asarray(canvas)


def test_font_draws_cyrillic_not_missing_glyph_boxes() -> None:
    missing = rendered("\ue000\ue001")  # private-use code points: no font has glyphs for them
    assert rendered("Жд").any()
    assert not np.array_equal(rendered("Жд"), missing)
    assert not np.array_equal(rendered("Жд"), rendered("Пи"))


@pytest.mark.parametrize(("count", "columns"), [(1, 2), (4, 2), (5, 3), (9, 3), (10, 4), (17, 4)])
def test_columns_grow_with_the_count(count: int, columns: int) -> None:
    images = [Image.new("RGB", (300, 200), (40 * (i % 6), 90, 160)) for i in range(count)]
    grid = sheet.grid(images, [f"t{i}" for i in range(count)], aspect=0.75)
    rows = -(-count // columns)
    cell_height = round(sheet.CELL * 0.75)
    assert grid.size == (
        columns * (sheet.CELL + sheet.GAP) - sheet.GAP,
        rows * (cell_height + sheet.TITLE_HEIGHT + sheet.GAP) - sheet.GAP,
    )
    # The second picture sits in the first row's second cell, its colour unchanged.
    if count > 1:
        assert grid.getpixel((sheet.CELL + sheet.GAP + 50, 50)) == (40, 90, 160)


def test_long_titles_are_cut_with_an_ellipsis_within_the_cell() -> None:
    long = "Воскресный день на острове Гранд-Жатт, очень длинное название"
    grid = sheet.grid([Image.new("RGB", (64, 64), "red")] * 2, [long, "ok"])
    strip = np.asarray(grid.convert("L"))[sheet.CELL :, : sheet.CELL]
    assert (strip < 128).any()  # the title is drawn
    # Nothing spills into the gap between the two cells.
    gap = np.asarray(grid.convert("L"))[sheet.CELL :, sheet.CELL : sheet.CELL + sheet.GAP]
    assert (gap > 250).all()


def test_titles_must_match_images() -> None:
    with pytest.raises(ValueError, match="one title per image"):
        sheet.grid([Image.new("RGB", (64, 64))], [])
