"""is_clip judges a document by its bytes: animations and videos made here with Pillow and PyAV
are clips whatever they are called; stills, look-alikes and garbage are not."""

from __future__ import annotations

import io
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from nst_engine.sniff import is_clip


def frames(count: int) -> list[Image.Image]:
    """count 48x32 pictures of a bar moving right: real motion, cheap to encode."""
    pictures = []
    for index in range(count):
        pixels = np.full((32, 48, 3), 40, np.uint8)
        pixels[:, index * 4 : index * 4 + 8] = (230, 120, 20)
        pictures.append(Image.fromarray(pixels))
    return pictures


def pillow_file(kind: str, count: int) -> bytes:
    pictures = frames(count)
    buffer = io.BytesIO()
    if count > 1:
        pictures[0].save(
            buffer, kind, save_all=True, append_images=pictures[1:], duration=100, loop=0
        )
    else:
        pictures[0].save(buffer, kind)
    return buffer.getvalue()


def video_file(container_format: str, codec: str, count: int = 6) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=Fraction(10))
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 48, 32, "yuv420p"
        for picture in frames(count):
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("GIF", lambda: pillow_file("GIF", 5)),
        ("APNG", lambda: pillow_file("PNG", 5)),
        ("MP4", lambda: video_file("mp4", "libx264")),
        ("MOV", lambda: video_file("mov", "libx264")),
        ("WebM", lambda: video_file("webm", "libvpx-vp9")),
        ("MKV", lambda: video_file("matroska", "mpeg4")),
        ("one-frame MP4", lambda: video_file("mp4", "libx264", count=1)),
    ],
)
def test_animations_and_videos_are_clips(name: str, make: Callable[[], bytes]) -> None:
    assert is_clip(make()), name


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("PNG", lambda: pillow_file("PNG", 1)),
        ("JPEG", lambda: pillow_file("JPEG", 1)),
        ("one-frame GIF", lambda: pillow_file("GIF", 1)),
        ("WebP", lambda: pillow_file("WEBP", 1)),
        ("animated WebP", lambda: pillow_file("WEBP", 5)),  # PyAV's FFmpeg cannot decode it
        ("empty", lambda: b""),
        ("text", lambda: b"hello, this is not a video\n" * 40),
        ("noise", lambda: np.random.default_rng(0).bytes(4096)),
        ("MP4 header only", lambda: video_file("mp4", "libx264")[:64]),
        ("GIF header only", lambda: pillow_file("GIF", 5)[:40]),
        ("ftyp brand of a HEIC still", lambda: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(64)),
    ],
)
def test_stills_and_garbage_are_not_clips(name: str, make: Callable[[], bytes]) -> None:
    assert not is_clip(make()), name


def test_a_file_is_judged_by_content_not_by_its_name(tmp_path: Path) -> None:
    gif_called_jpeg = tmp_path / "photo.jpg"
    gif_called_jpeg.write_bytes(pillow_file("GIF", 5))
    mp4_without_suffix = tmp_path / "document"
    mp4_without_suffix.write_bytes(video_file("mp4", "libx264"))
    png_called_mp4 = tmp_path / "clip.mp4"
    png_called_mp4.write_bytes(pillow_file("PNG", 1))
    assert is_clip(gif_called_jpeg) and is_clip(str(mp4_without_suffix))
    assert not is_clip(png_called_mp4)
    assert not is_clip(tmp_path / "missing.gif")


def test_bytearray_and_memoryview_are_accepted() -> None:
    data = video_file("webm", "libvpx-vp9")
    assert is_clip(bytearray(data)) and is_clip(memoryview(data))
