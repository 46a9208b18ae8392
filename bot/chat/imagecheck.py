"""Is what a person sent an image the engine can use? Decided before a job is queued, Pillow only.

Telegram photos are always JPEGs with known sizes, so their metadata is enough. A file sent as a
document could be anything: its metadata refuses only what is too big or a sound (no download of
a 2 GB video), then its bytes decide: a clip (nst_engine.sniff.is_clip: a GIF with frames, MP4,
MOV, WebM ...) is painted as an animation, anything else is opened with Pillow, and any format
Pillow decodes is accepted, whatever the file is called: HEIC and HEIF too (an iPhone photo sent
as a file), through pillow-heif, registered in bot/__init__.py. Each refusal is a Problem whose
value names the catalog text that tells the person what to send instead.
"""

from __future__ import annotations

import io
import warnings
from enum import StrEnum
from pathlib import PurePath

import av
from PIL import Image, UnidentifiedImageError

from nst_engine.sniff import is_clip

MAX_FILE_BYTES = 20 * 1024 * 1024  # the most a bot may download through the Bot API
MAX_PIXELS = 40_000_000  # well above any camera photo, far below a decompression bomb
MIN_SIDE = 64  # smaller than this has no texture for style transfer to work with

# Formats people send every day: a file of one of these that Pillow cannot read is damaged, not
# exotic. Every other format Pillow reads is accepted too (TGA, JPEG 2000, SGI, DDS ...).
COMMON_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO", "HEIF", "AVIF"}
COMMON_MIME_TYPES = {
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/bmp",
    "image/x-ms-bmp",
    "image/tiff",
    "image/heic",
    "image/heif",
    "image/avif",
}
# Images Pillow cannot read: refused as "I can't read that format", not "not an image".
OTHER_IMAGE_EXTENSIONS = {".svg", ".raw", ".cr2", ".nef", ".dng"}
# What a file's MIME type can rule out without a download: Telegram sets these from its content.
NOT_IMAGE_MIME_PREFIXES = ("audio/",)
# Types whose refusal for size is worded as a clip's (a hint only: the bytes decide the rest).
CLIP_MIME_PREFIXES = ("video/", "image/gif")


class Problem(StrEnum):
    NOT_IMAGE = "bad_not_image"
    UNSUPPORTED = "bad_unsupported"
    CORRUPT = "bad_corrupt"
    TOO_BIG_BYTES = "bad_too_big_bytes"
    TOO_MANY_PIXELS = "bad_too_many_pixels"
    TOO_SMALL = "bad_too_small"


class ImageRejected(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def check_dimensions(width: int, height: int, file_size: int | None) -> None:
    """Refuse by size alone: enough for Telegram photos, whose metadata is always right."""
    if file_size is not None and file_size > MAX_FILE_BYTES:
        raise ImageRejected(Problem.TOO_BIG_BYTES)
    if width * height > MAX_PIXELS:
        raise ImageRejected(Problem.TOO_MANY_PIXELS)
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(Problem.TOO_SMALL)


def check_document(mime_type: str | None, file_size: int | None) -> None:
    """Refuse a document before spending a download on it: too big, or a sound.

    Names and other MIME types say little (scan.dat may be a TIFF, photo.jpg a PNG), so every
    other file is downloaded and its bytes decide (inspect).
    """
    if file_size is not None and file_size > MAX_FILE_BYTES:
        raise ImageRejected(Problem.TOO_BIG_BYTES)
    if (mime_type or "").lower().startswith(NOT_IMAGE_MIME_PREFIXES):
        raise ImageRejected(Problem.NOT_IMAGE)


def _unreadable(mime_type: str | None, file_name: str | None) -> Problem:
    """Bytes Pillow does not recognise: damaged, an image format it lacks, or no image at all."""
    mime = (mime_type or "").lower()
    extension = PurePath(file_name or "").suffix.lower()
    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    if extension in readable or mime in COMMON_MIME_TYPES:
        return Problem.CORRUPT  # it claims a format Pillow reads, yet Pillow cannot
    if mime.startswith("image/") or extension in OTHER_IMAGE_EXTENSIONS:
        return Problem.UNSUPPORTED
    return Problem.NOT_IMAGE


def inspect(data: bytes, mime_type: str | None = None, file_name: str | None = None) -> bool:
    """Refuse bytes the engine cannot use; True if animated (only frame one will be used).

    Any format Pillow decodes is accepted, whatever the file's name or MIME type; those only
    help word a refusal. Decoding catches truncated files, which Image.verify() would let through
    for JPEG. The pixel cap is checked before decoding, and Pillow's own bomb warning is turned
    into an error, so a tiny file that expands to gigabytes is never decoded.
    """
    found = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                found = image.format
                check_dimensions(image.width, image.height, len(data))
                animated = getattr(image, "n_frames", 1) > 1
                if image.format == "JPEG":  # decode at 1/8 scale: as thorough, far cheaper
                    image.draft("RGB", (image.width // 8, image.height // 8))
                image.load()
                # The engine works in RGB: a mode Pillow cannot convert is of no use to it.
                image.crop((0, 0, min(image.width, 8), min(image.height, 8))).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(Problem.TOO_MANY_PIXELS) from None
    except UnidentifiedImageError:
        raise ImageRejected(_unreadable(mime_type, file_name)) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow raises for broken data
        if found is None:  # not even its header could be read
            raise ImageRejected(_unreadable(mime_type, file_name)) from None
        # A common format broken is damaged; a rarer one may just need a missing decoder.
        problem = Problem.CORRUPT if found in COMMON_FORMATS else Problem.UNSUPPORTED
        raise ImageRejected(problem) from None
    return animated


def clip_seconds(data: bytes) -> float | None:
    """None if data is no clip (a picture, or junk for inspect to name); else its length in
    seconds as its container states it (0 when it states none: the job's own check of the
    limits, nst_engine.animation.check_limits, still applies)."""
    if not is_clip(data):
        return None
    try:
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.video[0]
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return container.duration / av.time_base if container.duration else 0.0
    except (av.FFmpegError, IndexError):
        return 0.0
