"""Image validation refuses every kind of bad input with the right reason, before any job."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from bot.chat.imagecheck import (
    MAX_FILE_BYTES,
    ImageRejected,
    Problem,
    check_dimensions,
    check_document,
    clip_seconds,
    inspect,
)
from tests.conftest import shared_path
from tests.test_animation import make_clip


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width×height but holds almost no data: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def _problem(call: object, *args: object) -> Problem:
    with pytest.raises(ImageRejected) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value.problem


def test_photo_metadata_limits() -> None:
    check_dimensions(1280, 960, 300_000)
    check_dimensions(64, 64, None)
    assert _problem(check_dimensions, 63, 500, 1000) is Problem.TOO_SMALL
    assert _problem(check_dimensions, 8000, 6000, 1000) is Problem.TOO_MANY_PIXELS
    assert _problem(check_dimensions, 1000, 1000, MAX_FILE_BYTES + 1) is Problem.TOO_BIG_BYTES


@pytest.mark.parametrize(
    ("mime", "name", "size", "problem"),
    [
        ("image/jpeg", "a.jpg", 1000, None),
        ("image/png", None, None, None),
        ("application/octet-stream", "scan.dat", 1000, None),  # its bytes will decide
        ("application/pdf", "doc.pdf", 1000, None),
        ("image/heic", "IMG_0001.HEIC", 1000, None),
        ("image/jpeg", "big.jpg", MAX_FILE_BYTES + 1, Problem.TOO_BIG_BYTES),
        ("video/mp4", "clip.mp4", MAX_FILE_BYTES * 5, Problem.TOO_BIG_BYTES),
        ("video/mp4", "clip.mp4", 1000, None),  # a clip or not: its bytes will decide
        ("audio/ogg", "voice.ogg", 1000, Problem.NOT_IMAGE),
    ],
)
def test_document_metadata_refuses_only_size_and_sound(
    mime: str | None, name: str | None, size: int | None, problem: Problem | None
) -> None:
    if problem is None:
        check_document(mime, size)
    else:
        assert _problem(check_document, mime, size) is problem


def test_real_photo_passes() -> None:
    assert inspect(shared_path("images/photos/tubingen.jpg").read_bytes()) is False


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "BMP", "TIFF", "GIF"])
def test_still_formats_pass(fmt: str) -> None:
    assert inspect(_encode(Image.new("RGB", (80, 70), "teal"), fmt)) is False


def test_truncated_jpeg_is_corrupt() -> None:
    data = shared_path("images/photos/golden_gate.jpg").read_bytes()
    assert _problem(inspect, data[: len(data) // 2]) is Problem.CORRUPT


@pytest.mark.parametrize(
    ("data", "mime", "name", "problem"),
    [
        (b"hello, world", "image/jpeg", "a.jpg", Problem.CORRUPT),
        (b"\xff\xd8\xff" + bytes(200), None, "photo.jpg", Problem.CORRUPT),
        (b"", "application/octet-stream", "scan.tga", Problem.CORRUPT),
        (bytes(64), "image/heic", "IMG_1.HEIC", Problem.CORRUPT),  # pillow-heif reads HEIC
        (b"<svg/>", None, "logo.svg", Problem.UNSUPPORTED),
        (b"%PDF-1.4", "application/pdf", "doc.pdf", Problem.NOT_IMAGE),
        (b"hello, world", None, None, Problem.NOT_IMAGE),
    ],
)
def test_unreadable_bytes_are_worded_by_what_they_claim_to_be(
    data: bytes, mime: str | None, name: str | None, problem: Problem
) -> None:
    assert _problem(inspect, data, mime, name) is problem


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_animation_passes_and_says_so(fmt: str) -> None:
    frames = [Image.new("RGB", (80, 80), color) for color in ("red", "blue", "green")]
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)
    assert inspect(data) is True


def test_too_small_image() -> None:
    assert _problem(inspect, _encode(Image.new("RGB", (200, 40)), "PNG")) is Problem.TOO_SMALL


@pytest.mark.parametrize("side", [7_000, 10_000, 60_000])  # our cap; Pillow warns; Pillow errs
def test_decompression_bomb_is_refused_without_decoding(side: int) -> None:
    assert _problem(inspect, _png_header_only(side, side)) is Problem.TOO_MANY_PIXELS


@pytest.mark.parametrize(
    "fmt",
    ["TGA", "SGI", "PPM", "PCX", "MPO", "JPEG2000", "DDS", "QOI", "SPIDER", "DIB", "AVIF", "HEIF"],
)
def test_any_format_pillow_reads_passes_by_content_whatever_its_name(fmt: str) -> None:
    data = _encode(Image.new("RGB", (80, 70), "teal"), fmt)
    assert inspect(data, "application/octet-stream", "download.bin") is False


def test_a_format_pillow_knows_but_cannot_decode_here_is_unsupported() -> None:
    data = _encode(Image.new("RGB", (80, 70), "teal"), "EPS")  # decoding needs Ghostscript
    assert _problem(inspect, data, "application/postscript", "art.eps") is Problem.UNSUPPORTED


def test_clip_seconds_tells_clips_from_pictures(tmp_path: Path) -> None:
    """A clip's length from its bytes; None for a picture, a one-frame GIF or junk."""
    photo = shared_path("images/photos/tubingen.jpg")
    mp4 = make_clip(tmp_path / "clip.mp4", photo, frames=8, fps=4).read_bytes()
    assert clip_seconds(mp4) == pytest.approx(2.0, abs=0.3)
    gif = make_clip(tmp_path / "clip.gif", photo, frames=10, fps=10, codec="gif").read_bytes()
    assert clip_seconds(gif) == pytest.approx(1.0, abs=0.3)
    assert clip_seconds(photo.read_bytes()) is None
    assert clip_seconds(_encode(Image.new("RGB", (80, 70), "teal"), "GIF")) is None
    assert clip_seconds(b"hello") is None
