"""Cached, sha256-verified downloads of model files.

A file is written to a temporary name beside its destination and renamed only once its hash
matches, so an interrupted or tampered download never leaves a file that looks finished.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path

from nst_engine.errors import WeightsError

_CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file's contents."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checked(path: Path, sha256: str, url: str, otherwise: str) -> Path:
    """`path`, a file the user named: it must be there with the pinned hash, and is never
    downloaded over, so an offline deployment fails with this message rather than trying the
    network. `otherwise` ends the not-found message with the other way to supply it."""
    if not path.is_file():
        raise WeightsError(f"{path} not found: download {url} there, {otherwise}")
    if sha256_of(path) != sha256:
        raise WeightsError(
            f"{path} has the wrong sha256 (expected {sha256}): download it again from {url}"
        )
    return path


def fetch(url: str, dest: Path, sha256: str, timeout: float = 60.0) -> Path:
    """`dest`, downloaded from `url` unless a copy with the right hash is already there.

    A cached copy with another hash (an older or damaged file) is replaced. Raises WeightsError
    naming the URL when the download fails or its hash is not `sha256`.
    """
    if dest.is_file() and sha256_of(dest) == sha256:
        return dest
    temp: Path | None = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        temp = Path(name)
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url, timeout=timeout) as reply:
            for chunk in iter(lambda: reply.read(_CHUNK), b""):
                digest.update(chunk)
                file.write(chunk)
        if digest.hexdigest() != sha256:
            raise WeightsError(
                f"{url} gave a file with sha256 {digest.hexdigest()}, expected {sha256}"
            )
        os.replace(temp, dest)
    except OSError as error:  # urllib's URLError and socket timeouts are OSErrors too
        raise WeightsError(f"cannot download {url}: {error}") from error
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    return dest
