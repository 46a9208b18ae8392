"""Is what a person sent an image the worker can use? Decided before a job is queued, Pillow only.

Telegram photos are always JPEGs with known sizes, so their metadata is enough. A file sent as a
document could be anything, so its metadata is checked first (no download of a 2 GB video), then
its bytes are opened with Pillow. Each refusal is a Problem whose value names the catalog text that
tells the person what to send instead.
"""

from __future__ import annotations

import io
import warnings
from enum import StrEnum
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError

MAX_FILE_BYTES = 20 * 1024 * 1024  # the most a bot may download through the Bot API
MAX_PIXELS = 40_000_000  # well above any camera photo, far below a decompression bomb
MIN_SIDE = 64  # smaller than this has no texture for style transfer to work with

FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF"}
MIME_TYPES = {
    "image/jpeg",
    "image/jpg",
    "image/pjpeg",
    "image/png",
    "image/webp",
    "image/gif",
    "image/bmp",
    "image/x-ms-bmp",
    "image/tiff",
}
EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
# Images Pillow cannot read (or we do not accept): refused as "unsupported", not "not an image".
OTHER_IMAGE_EXTENSIONS = {".heic", ".heif", ".avif", ".svg", ".psd", ".raw", ".cr2", ".nef", ".dng"}


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


def check_document(mime_type: str | None, file_name: str | None, file_size: int | None) -> None:
    """Refuse a document from its metadata, before spending a download on it."""
    mime = (mime_type or "").lower()
    extension = PurePath(file_name or "").suffix.lower()
    if mime in MIME_TYPES or (not mime.startswith("image/") and extension in EXTENSIONS):
        if file_size is not None and file_size > MAX_FILE_BYTES:
            raise ImageRejected(Problem.TOO_BIG_BYTES)
        return
    if mime.startswith("image/") or extension in OTHER_IMAGE_EXTENSIONS:
        raise ImageRejected(Problem.UNSUPPORTED)
    raise ImageRejected(Problem.NOT_IMAGE)


def inspect(data: bytes) -> bool:
    """Refuse bytes that are not a usable image; True if animated (only frame one will be used).

    Decoding catches truncated files, which Image.verify() would let through for JPEG. The pixel
    cap is checked before decoding, and Pillow's own bomb warning is turned into an error, so a
    tiny file that expands to gigabytes is never decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise ImageRejected(Problem.UNSUPPORTED)
                check_dimensions(image.width, image.height, len(data))
                animated = getattr(image, "n_frames", 1) > 1
                if image.format == "JPEG":  # decode at 1/8 scale: as thorough, far cheaper
                    image.draft("RGB", (image.width // 8, image.height // 8))
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(Problem.TOO_MANY_PIXELS) from None
    except UnidentifiedImageError:
        raise ImageRejected(Problem.CORRUPT) from None
    except (OSError, SyntaxError, ValueError, EOFError):  # what Pillow raises for broken data
        raise ImageRejected(Problem.CORRUPT) from None
    return animated
