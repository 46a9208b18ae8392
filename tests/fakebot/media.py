"""Image helpers: what the fake needs to answer like Telegram, and test images made in memory.

Telegram stores every photo in several sizes (small previews first, the largest last) and rejects a
photo it cannot decode; the fake does the same with Pillow so a bot that picks `photo[-1]` or sends
a broken file meets the behaviour it will meet in production.
"""

from __future__ import annotations

import io

import av
from PIL import Image

# Longest side of the previews Telegram makes ("s", "m" and "x" sizes).
PREVIEW_SIDES = (90, 320, 800)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a fully decodable image, or None for anything Telegram would reject."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.size
    except Exception:  # Pillow raises many types for broken input; all mean "not an image"
        return None


def clip_info(data: bytes) -> dict[str, int]:
    """width, height and duration (whole seconds) of a video or GIF; zeros if it won't decode."""
    try:
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.video[0]
            seconds = container.duration / av.time_base if container.duration else 0.0
            return {"width": stream.width, "height": stream.height, "duration": round(seconds)}
    except (av.FFmpegError, IndexError):
        return {"width": 0, "height": 0, "duration": 0}


def preview(data: bytes, longest_side: int) -> bytes:
    """A JPEG copy of the image scaled so its longest side is `longest_side`, as Telegram makes."""
    with Image.open(io.BytesIO(data)) as image:
        copy = image.convert("RGB")
    copy.thumbnail((longest_side, longest_side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()


def jpeg(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small solid-colour JPEG for tests; a different colour gives different bytes."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="JPEG")
    return out.getvalue()
