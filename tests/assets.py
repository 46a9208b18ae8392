"""Test assets that a package in the registries ships, fetched with pip into .test-assets/.

The product downloads MediaPipe's selfie segmenter from MediaPipe's asset store; tests and
benchmarks use the copy inside mediapipe 0.10.14's wheel (Apache-2.0), which has the same
pinned sha256. The wheel (36 MB, the cp311 manylinux one whatever the machine) is downloaded
without its dependencies, only the model is kept, and a second run finds it there:

    python -m tests.assets      # prints the model's path, fetching it first if needed
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from nst_engine.download import sha256_of
from nst_engine.segmentation import SELFIE

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = REPO_ROOT / ".test-assets"
MEDIAPIPE = "mediapipe==0.10.14"  # 1.x wheels hold no models
MEMBER = "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"


class AssetError(Exception):
    """An asset could not be fetched (no registry, pip failed, the file is not the pinned one)."""


def selfie_segmentation_model() -> Path:
    """.test-assets/selfie_segmentation.tflite, taken from the mediapipe wheel if not there yet."""
    dest = ASSETS / SELFIE.name
    if dest.is_file() and sha256_of(dest) == SELFIE.sha256:
        return dest
    ASSETS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ASSETS) as folder:
        command = [
            *(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"),
            *("--platform", "manylinux_2_17_x86_64", "--python-version", "3.11"),
            *("--implementation", "cp", "--abi", "cp311", "--dest", folder, MEDIAPIPE),
            *("--quiet", "--disable-pip-version-check"),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            detail = getattr(error, "stderr", None) or error
            raise AssetError(f"pip download {MEDIAPIPE} failed: {detail}") from error
        wheels = list(Path(folder).glob("mediapipe-*.whl"))
        if not wheels:
            raise AssetError(f"pip download {MEDIAPIPE} left no wheel")
        with zipfile.ZipFile(wheels[0]) as wheel:
            temp = Path(folder) / SELFIE.name
            temp.write_bytes(wheel.read(MEMBER))
        if sha256_of(temp) != SELFIE.sha256:
            raise AssetError(f"{MEMBER} in {wheels[0].name} is not the pinned {SELFIE.sha256}")
        os.replace(temp, dest)
    return dest


if __name__ == "__main__":
    print(selfie_segmentation_model())
