"""Stored files: what users and the bot send, getFile, and downloads from the file URL.

Telegram keeps every file under a file_id, the same bytes under the same file_unique_id, a photo
in several sizes, and refuses getFile on files over 20 MB; the fake does the same, so a bot that
re-sends a file_id, picks `photo[-1]` or downloads a big file meets what production does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.fakebot import media
from tests.fakebot.calls import JSON, ApiError, Handler, Upload

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files, as the real Bot API does


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes


class Files:
    """Every file the fake holds, by file_id."""

    def __init__(self, ids: Iterator[int]) -> None:
        """ids: the server's counter, shared with the other things it numbers."""
        self._files: dict[str, StoredFile] = {}
        self._ids = ids

    def methods(self) -> dict[str, Handler]:
        return {"getFile": self._get_file}

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes stored under a file_id (any photo size, document, upload)."""
        return self._files[file_id].data

    def keep_file(self, file_id: str, file_unique_id: str, data: bytes) -> None:
        """Hold bytes under a file_id the test chooses: one that a database written earlier
        names (Telegram keeps a file_id valid across a bot's restarts and upgrades)."""
        path = f"documents/{file_unique_id}.jpg"
        self._files[file_id] = StoredFile(file_id, file_unique_id, path, data)

    def download(self, path: str) -> bytes:
        """The bytes at a file_path that getFile gave (the file URL's download)."""
        for stored in self._files.values():
            if stored.file_path == path:
                return stored.data
        raise ApiError(404, "Not Found")

    def store_photo(self, data: bytes) -> list[JSON]:
        """PhotoSize list for a decodable image, smallest first, the original (same bytes) last."""
        size = media.image_size(data)
        assert size is not None, "not an image"
        previews = [media.preview(data, side) for side in media.PREVIEW_SIDES if side < max(size)]
        result = []
        for blob in [*previews, data]:
            stored = self._store(blob, "photos", "jpg")
            width, height = media.image_size(blob) or size
            result.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": len(blob),
                    "width": width,
                    "height": height,
                }
            )
        return result

    def store_sent_photo(self, data: bytes) -> list[JSON]:
        """Photo sizes for a photo the bot sends, refused as Telegram refuses it."""
        size = media.image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if sum(size) > 10000 or max(size) > 20 * min(size):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return self.store_photo(data)

    def store_clip(self, data: bytes, folder: str, file_name: str, **stated: Any) -> JSON:
        """Animation or Video JSON for clip bytes: size, length and type as Telegram states them
        (read with PyAV where the bytes decode, else zeros); `stated` overrides, as a client's
        claims may (a test of the limits sends a long "video" without making one)."""
        stored = self._store(data, folder, file_name.rsplit(".", 1)[-1])
        clip: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
            "file_name": file_name,
            "mime_type": "image/gif" if file_name.endswith(".gif") else "video/mp4",
            **media.clip_info(data),
        }
        clip.update(stated)
        return clip

    def store_document(self, data: bytes, file_name: str | None, mime_type: str | None) -> JSON:
        """Document JSON for any bytes, as Telegram keeps them: unchanged, with name and type."""
        extension = file_name.rsplit(".", 1)[-1] if file_name and "." in file_name else "bin"
        stored = self._store(data, "documents", extension)
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }
        if file_name:
            document["file_name"] = file_name
        if mime_type:
            document["mime_type"] = mime_type
        return document

    def input_file(self, value: Any, files: dict[str, Upload], field: str | None = None) -> Upload:
        """The bytes an input field refers to: an upload, an attach:// part or a known file_id."""
        if field in files:
            return files[field]
        if isinstance(value, str) and value.startswith("attach://"):
            if value.removeprefix("attach://") in files:
                return files[value.removeprefix("attach://")]
        elif isinstance(value, str) and value in self._files:
            return Upload(None, None, self._files[value].data)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _store(self, data: bytes, folder: str, extension: str) -> StoredFile:
        unique = hashlib.sha256(folder.encode() + data).hexdigest()[:16]
        for stored in self._files.values():
            if stored.file_unique_id == unique:
                return stored
        n = next(self._ids)
        stored = StoredFile(f"AgAC{unique}{n:08d}", unique, f"{folder}/file_{n}.{extension}", data)
        self._files[stored.file_id] = stored
        return stored

    async def _get_file(self, params: JSON, files: dict[str, Upload]) -> JSON:
        stored = self._files.get(params.get("file_id", ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }
