"""load_image makes an upright RGB image of whatever a person sends; VGG's input round-trips."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import ImageError
from nst_engine.images import from_caffe, load_image, resize_longer_side, to_caffe


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (Image.new("L", (32, 24), 100), (100, 100, 100)),
        (Image.new("LA", (32, 24), (100, 0)), (255, 255, 255)),
        (Image.new("RGBA", (32, 24), (255, 0, 0, 0)), (255, 255, 255)),
        (Image.new("RGBA", (32, 24), (255, 0, 0, 255)), (255, 0, 0)),
        (Image.new("RGBA", (32, 24), (0, 0, 0, 128)), (127, 127, 127)),
        (Image.new("CMYK", (32, 24), (0, 255, 255, 0)), (255, 0, 0)),
        (Image.new("1", (32, 24), 1), (255, 255, 255)),
        (Image.new("I;16", (32, 24), 65535), (255, 255, 255)),
        (Image.new("I;16", (32, 24), 32896), (128, 128, 128)),
        (Image.new("RGB", (32, 24), (1, 2, 3)).quantize(4), (1, 2, 3)),
    ],
    ids=[
        "L",
        "LA",
        "RGBA-clear",
        "RGBA-opaque",
        "RGBA-half",
        "CMYK",
        "1",
        "I16-max",
        "I16-mid",
        "P",
    ],
)
def test_every_mode_becomes_rgb(image: Image.Image, expected: tuple[int, int, int]) -> None:
    rgb = load_image(image)
    assert rgb.mode == "RGB"
    assert rgb.size == (32, 24)
    assert rgb.getpixel((5, 5)) == pytest.approx(expected, abs=1)


def test_palette_with_transparency_is_composited_on_white() -> None:
    image = Image.new("P", (32, 24), 0)
    image.putpalette([0, 0, 0, 200, 10, 10] + [0] * 762)
    image.putpixel((1, 1), 1)
    image.info["transparency"] = 0
    rgb = load_image(_png_bytes(image))
    assert rgb.getpixel((5, 5)) == (255, 255, 255)
    assert rgb.getpixel((1, 1)) == (200, 10, 10)


def test_16_bit_png_from_bytes_keeps_its_range() -> None:
    gradient = np.linspace(0, 65535, 64 * 32).reshape(32, 64).astype(np.uint16)
    rgb = np.asarray(load_image(_png_bytes(Image.fromarray(gradient))))
    assert rgb.min() == 0
    assert rgb.max() == 255


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # red on the left half
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif, quality=95)
    upright = load_image(path)
    assert upright.size == (20, 40)
    red, _, blue = np.asarray(upright)[5, 10]  # the red half is now at the top
    assert red > 200 and blue < 60


def test_path_str_and_bytes_give_the_same_image(content_photo: Path) -> None:
    from_path = load_image(content_photo)
    assert np.array_equal(np.asarray(from_path), np.asarray(load_image(str(content_photo))))
    assert np.array_equal(np.asarray(from_path), np.asarray(load_image(content_photo.read_bytes())))


@pytest.mark.parametrize(
    "source", [b"not an image", Path("/nonexistent/photo.jpg")], ids=["bytes", "missing"]
)
def test_unreadable_input_is_an_image_error(source: bytes | Path) -> None:
    with pytest.raises(ImageError, match="cannot read"):
        load_image(source)


def test_truncated_jpeg_is_an_image_error(content_photo: Path) -> None:
    with pytest.raises(ImageError):
        load_image(content_photo.read_bytes()[:5000])


def test_tiny_image_is_an_image_error() -> None:
    with pytest.raises(ImageError, match="too small"):
        load_image(Image.new("RGB", (300, 8)))


def test_resize_keeps_aspect_ratio() -> None:
    resized = resize_longer_side(Image.new("RGB", (300, 200)), 96)
    assert resized.size == (96, 64)
    assert resize_longer_side(Image.new("RGB", (200, 300)), 96).size == (64, 96)


def test_caffe_round_trip() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
    array = to_caffe(Image.fromarray(pixels))
    assert array.shape == (1, 24, 32, 3)
    assert array.dtype == np.float32
    # BGR order with the ImageNet mean removed: a pure-blue pixel is large in channel 0.
    blue = to_caffe(Image.new("RGB", (16, 16), (0, 0, 255)))[0, 0, 0]
    assert blue == pytest.approx([255 - 103.939, -116.779, -123.68])
    assert np.array_equal(np.asarray(from_caffe(array)), pixels)
    assert np.asarray(from_caffe(np.full((1, 4, 4, 3), 1e4, np.float32))).max() == 255
