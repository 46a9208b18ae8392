"""Is a file a clip? Judged by its content, not its name, for files sent as documents.

A Telegram document has whatever name and MIME type the sender's app gave it, so the bytes are
what counts. A clip is what stylize_clip can paint: a GIF or APNG with more than one frame, or
a video container (MP4, MOV, WebM/Matroska, AVI) whose first video frame PyAV decodes. The
container is recognised by its magic bytes before FFmpeg sees it, because FFmpeg's own probing
takes almost anything (plain text opens as a "tty" video). Still pictures (JPEG, PNG, a
one-frame GIF, HEIC and AVIF, which are ftyp containers too) and garbage are not clips.
Animated WebP is not one either: the FFmpeg in PyAV's wheels cannot decode it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

import av
from PIL import Image

Source = bytes | bytearray | memoryview | str | Path

# ISO base media brands (bytes 8-12 after "ftyp") of still pictures, not videos.
_STILL_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"avif"}
# Top-level atoms an old QuickTime file may start with instead of "ftyp".
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


def is_clip(source: Source) -> bool:
    """True for an animation or video that the animation path can paint, False otherwise.

    Costs one decoded frame at most (two for a GIF or PNG), however long the clip is.
    """
    head = _head(source)
    if head is None:
        return False
    kind = _kind(head)
    if kind is None:
        return False
    if kind == "frames" and not _has_second_frame(source):
        return False
    return _decodes(source)


def _kind(head: bytes) -> str | None:
    """'frames' for a format that may be a still or an animation, 'video' for a container."""
    if head.startswith((b"GIF87a", b"GIF89a", b"\x89PNG\r\n\x1a\n")):
        return "frames"
    box = head[4:8]
    if box == b"ftyp":
        return None if head[8:12] in _STILL_BRANDS else "video"
    if box in _QUICKTIME_ATOMS:
        return "video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska and WebM
        return "video"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "video"
    return None


def _head(source: Source) -> bytes | None:
    if isinstance(source, str | Path):
        try:
            with open(source, "rb") as file:
                return file.read(16)
        except OSError:
            return None
    return bytes(source[:16])


def _open(source: Source) -> str | IO[bytes]:
    if isinstance(source, str | Path):
        return str(source)
    return io.BytesIO(bytes(source))


def _has_second_frame(source: Source) -> bool:
    try:
        with Image.open(_open(source)) as image:
            image.seek(1)
    except EOFError:
        return False
    except (OSError, ValueError, Image.DecompressionBombError):  # UnidentifiedImageError too
        return False
    return True


def _decodes(source: Source) -> bool:
    try:
        with av.open(_open(source), "r") as container:
            if not container.streams.video:
                return False
            next(container.decode(container.streams.video[0]))
    except (av.FFmpegError, OSError, ValueError, StopIteration):
        return False
    return True
