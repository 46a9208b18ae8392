"""Test assets that a package in the registries ships, fetched with pip into .test-assets/.

The product downloads MediaPipe's selfie segmenter and its two BlazeFace face detectors from
MediaPipe's asset store; tests and benchmarks use the copies inside mediapipe 0.10.14's wheel
(Apache-2.0), which have the same pinned sha256s. The wheel (36 MB, the cp311 manylinux one
whatever the machine) is downloaded without its dependencies, only the models are kept, and a
second run finds them there:

    python -m tests.assets      # prints each model's path, one a line, fetching them if needed
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from nst_engine.download import sha256_of
from nst_engine.faces import FULL_RANGE, SHORT_RANGE
from nst_engine.fast import ModelFile
from nst_engine.segmentation import SELFIE

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = REPO_ROOT / ".test-assets"
MEDIAPIPE = "mediapipe==0.10.14"  # 1.x wheels hold no models
# Each model and where the wheel holds it.
MEMBERS = {
    SELFIE: "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
    SHORT_RANGE: "mediapipe/modules/face_detection/face_detection_short_range.tflite",
    FULL_RANGE: "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite",
}


class AssetError(Exception):
    """An asset could not be fetched (no registry, pip failed, the file is not the pinned one)."""


def selfie_segmentation_model() -> Path:
    """.test-assets/selfie_segmentation.tflite, taken from the mediapipe wheel if not there yet."""
    return _from_wheel()[SELFIE]


def face_models_dir() -> Path:
    """.test-assets/, holding both face detectors (taken from the wheel if not there yet)."""
    _from_wheel()
    return ASSETS


def _from_wheel() -> dict[ModelFile, Path]:
    """Every model of MEMBERS in .test-assets/, the missing ones from one download of the wheel."""
    paths = {model: ASSETS / model.name for model in MEMBERS}
    missing = [m for m, p in paths.items() if not (p.is_file() and sha256_of(p) == m.sha256)]
    if not missing:
        return paths
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
            for model in missing:
                temp = Path(folder) / model.name
                temp.write_bytes(wheel.read(MEMBERS[model]))
                if sha256_of(temp) != model.sha256:
                    raise AssetError(
                        f"{MEMBERS[model]} in {wheels[0].name} is not the pinned {model.sha256}"
                    )
                os.replace(temp, paths[model])
    return paths


if __name__ == "__main__":
    for path in _from_wheel().values():
        print(path)
