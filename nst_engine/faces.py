"""Where the faces are: MediaPipe's BlazeFace detectors, for the quality method's hold on a face
and for person mode (which keeps a person only where there is a face).

Two models (Apache-2.0, both in the mediapipe 0.10.14 wheel), each a single-shot detector that
scores a fixed set of anchor points and, per anchor, regresses a box and six keypoints (the eyes,
the nose tip, the mouth, the ear tragions) relative to it:
- full range (192x192 input, one anchor on each cell of a 48x48 grid): faces from about 3 % of
  the picture's side up to most of it; it is the one that finds a group's or a landscape's
  faces;
- short range (128x128 input, two anchors a cell on a 16x16 grid, six on an 8x8 one): faces
  close to the camera. On its own it also scores a dog's or a cat's head and an aeroplane above
  0.6, so its detections count only as close faces (at least CLOSE_FACE of the picture's side)
  that the full range model confirms on the picture zoomed out (ZOOM_OUT), where a face that
  fills the frame becomes one it knows. docs/segmentation.md has the figures behind this.

Both take RGB in [-1, 1]; the picture is letterboxed onto a grey square, so boxes keep their
shape. The anchors have a fixed size of 1 (the whole input), so a box is the anchor's centre
plus an offset, and its size, in input pixels. The anchor layout and the decoding follow the
public description of MediaPipe's SSD anchors (fixed anchor size, offset 0.5, strides 8 and 16
for short range, 4 for full range).

The hold is an ellipse over each face, turned with the line through its eyes, and as large as
the face: the face and its immediate surround (forehead, cheeks, chin), not the hair, neck or
clothes. Its edge is soft over a share of the face's size, so it scales with the face.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nst_engine.download import checked, fetch
from nst_engine.errors import WeightsError
from nst_engine.fast import ModelFile, _load, cache_dir
from nst_engine.quiet import without_notices

MODELS_DIR_ENV = "NST_FACE_MODELS_DIR"  # read in bot/config.py; named here for messages

# The sha256s are those of the copies in mediapipe 0.10.14's wheel
# (mediapipe/modules/face_detection/), the copies the tests use.
SHORT_RANGE = ModelFile(
    "face_detection_short_range.tflite",
    "https://storage.googleapis.com/mediapipe-assets/face_detection_short_range.tflite",
    "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
)
FULL_RANGE = ModelFile(
    "face_detection_full_range_sparse.tflite",
    "https://storage.googleapis.com/mediapipe-assets/face_detection_full_range_sparse.tflite",
    "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
)
MODELS = (SHORT_RANGE, FULL_RANGE)

MIN_SCORE = 0.6  # a detection's least probability (MediaPipe: 0.5; docs/segmentation.md)
CLOSE_FACE = 1 / 3  # a short range detection counts from this share of the picture's side
ZOOM_OUT = 2.0  # the full range model confirms close faces on the picture padded to this
SAME_FACE = 0.3  # boxes that overlap more than this (intersection over union) are one face
# The hold: half-axes of the held ellipse in face boxes (the box runs from the brows to the
# chin, so the height reaches up to the forehead), its centre raised by a share of the box's
# height, and the soft edge, a share of the ellipse's radius over which the hold fades to 0.
HOLD_HALF_WIDTH = 0.55
HOLD_HALF_HEIGHT = 0.68
HOLD_RAISE = 0.08
HOLD_FEATHER = 0.3
# Faces smaller than this share of the picture's longer side are not held: a figure in a
# landscape is painted with it (20 px at 512 px; at the coarsest scale, 5 px).
MIN_HELD_FACE = 0.04


@dataclass(frozen=True)
class Face:
    """One detected face, in the picture's pixels."""

    box: tuple[float, float, float, float]  # left, top, right, bottom
    keypoints: tuple[tuple[float, float], ...]  # right eye, left eye, nose, mouth, ears (x, y)
    score: float

    @property
    def size(self) -> float:
        """The box's larger side."""
        left, top, right, bottom = self.box
        return max(right - left, bottom - top)


@dataclass(frozen=True)
class Network:
    """One BlazeFace model's geometry: its file, input side and anchor grids."""

    model: ModelFile
    side: int
    grids: tuple[tuple[int, int], ...]  # (cells a side, anchors a cell), in the output's order


SHORT = Network(SHORT_RANGE, 128, ((16, 2), (8, 6)))
FULL = Network(FULL_RANGE, 192, ((48, 1),))


def models_dir(folder: str | Path | None = None) -> Path:
    """The folder holding both checked models: `folder`, else the download cache, fetched.

    A folder that is named is used as it is (never downloaded into), so an offline deployment
    fails with a clear message instead of trying the network. Raises WeightsError.
    """
    if folder is None:
        for model in MODELS:
            try:
                fetch(model.url, cache_dir() / model.name, model.sha256)
            except WeightsError as error:
                raise WeightsError(
                    f"{error}; download the face models elsewhere and set {MODELS_DIR_ENV}"
                    " to their folder"
                ) from error
        return cache_dir()
    path = Path(folder).expanduser()
    for model in MODELS:
        otherwise = f"or point {MODELS_DIR_ENV} at a folder that has it"
        checked(path / model.name, model.sha256, model.url, otherwise)
    return path


def anchors(grids: Sequence[tuple[int, int]]) -> np.ndarray:
    """The anchors' centres, [n, 2] (x, y) in 0..1: for each grid, row by row, each cell's
    centre once per anchor it holds."""
    centres = []
    for cells, per_cell in grids:
        steps = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        x, y = np.meshgrid(steps, steps)
        grid = np.stack([x.ravel(), y.ravel()], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres)


class FaceDetector:
    """Both models, loaded once; `faces` may be called from several threads at once (a lock
    makes each set-input/invoke/read-output sequence atomic, as in FastStylizer)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        path = models_dir(folder)
        with without_notices():
            self._interpreters = {net: _load(path / net.model.name) for net in (SHORT, FULL)}
        self._anchors = {net: anchors(net.grids) for net in (SHORT, FULL)}
        self._lock = threading.Lock()

    def faces(self, image: Image.Image) -> list[Face]:
        """Every face found, best first: the full range model's, and the short range model's
        close faces that the full range model confirms on the picture zoomed out."""
        picture = image.convert("RGB")
        found = self._detect(FULL, picture)
        close = [
            face
            for face in self._detect(SHORT, picture)
            if face.size >= CLOSE_FACE * max(picture.size)
        ]
        if close:
            zoomed = self._detect(FULL, picture, ZOOM_OUT)
            found += [f for f in close if any(overlap(f, z) > SAME_FACE for z in zoomed)]
        return _one_per_face(found)

    def _detect(self, net: Network, picture: Image.Image, zoom_out: float = 1.0) -> list[Face]:
        """One model's detections on `picture` letterboxed onto a grey square, `zoom_out`
        times its longer side, in the picture's pixels."""
        width, height = picture.size
        square = round(max(width, height) * zoom_out)
        canvas = Image.new("RGB", (square, square), (128, 128, 128))
        left, top = (square - width) // 2, (square - height) // 2
        canvas.paste(picture, (left, top))
        pixels = np.asarray(canvas.resize((net.side, net.side), Image.Resampling.BILINEAR))
        tensor = pixels.astype(np.float32)[None] / 127.5 - 1.0
        interpreter = self._interpreters[net]
        with self._lock:
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
            interpreter.invoke()
            regressions, logits = _outputs(interpreter)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -80.0, 80.0)))
        kept = np.flatnonzero(scores >= MIN_SCORE)
        centres = self._anchors[net][kept]
        offsets = regressions[kept] / net.side  # in the square's sides
        scale, shift = square, np.array([left, top], np.float32)
        faces = []
        for centre, offset, score in zip(centres, offsets, scores[kept], strict=True):
            middle = (centre + offset[:2]) * scale - shift
            half = offset[2:4] * scale / 2
            points = (offset[4:].reshape(6, 2) + centre) * scale - shift
            faces.append(
                Face(
                    (*(middle - half).tolist(), *(middle + half).tolist()),
                    tuple((float(x), float(y)) for x, y in points),
                    float(score),
                )
            )
        return _one_per_face(faces)


def _outputs(interpreter: Any) -> tuple[np.ndarray, np.ndarray]:
    """(regressions [n, 16], logits [n, 1]), told apart by shape: the two models name them
    differently."""
    tensors = [interpreter.get_tensor(d["index"])[0] for d in interpreter.get_output_details()]
    regressions = next(t for t in tensors if t.shape[-1] == 16)
    logits = next(t for t in tensors if t.shape[-1] == 1)
    return regressions, logits


def overlap(a: Face, b: Face) -> float:
    """Intersection over union of two faces' boxes."""
    width = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    height = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    shared = max(0.0, width) * max(0.0, height)
    areas = [(f.box[2] - f.box[0]) * (f.box[3] - f.box[1]) for f in (a, b)]
    return shared / (sum(areas) - shared) if shared > 0 else 0.0


def _one_per_face(faces: list[Face]) -> list[Face]:
    """The best-scored detection of each face (non-maximum suppression), best first."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.score):
        if all(overlap(face, other) <= SAME_FACE for other in kept):
            kept.append(face)
    return kept


def hold(faces: Sequence[Face], size: tuple[int, int]) -> np.ndarray | None:
    """Where the quality method holds the photo: 0..1 at size = (width, height), an ellipse over
    each face of at least MIN_HELD_FACE of the longer side; None when no face is that large."""
    width, height = size
    held = [face for face in faces if face.size >= MIN_HELD_FACE * max(size)]
    if not held:
        return None
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    mask = np.zeros((height, width), np.float32)
    for face in held:
        left, top, right, bottom = face.box
        box_width, box_height = right - left, bottom - top
        centre_x = (left + right) / 2
        centre_y = (top + bottom) / 2 - HOLD_RAISE * box_height
        angle = _roll(face)
        cos, sin = math.cos(angle), math.sin(angle)
        across = (columns - centre_x) * cos + (rows - centre_y) * sin
        along = (rows - centre_y) * cos - (columns - centre_x) * sin
        radius = np.hypot(
            across / (HOLD_HALF_WIDTH * box_width), along / (HOLD_HALF_HEIGHT * box_height)
        )
        inside = np.clip((1.0 + HOLD_FEATHER - radius) / HOLD_FEATHER, 0.0, 1.0)
        mask = np.maximum(mask, inside * inside * (3.0 - 2.0 * inside))  # smoothstep
    return mask


def _roll(face: Face) -> float:
    """How far the face is turned in the picture's plane (radians), from the line through its
    eyes; 0 where the eyes are too close together to tell (a profile)."""
    (right_x, right_y), (left_x, left_y) = face.keypoints[:2]
    left, _, right, _ = face.box
    if math.hypot(left_x - right_x, left_y - right_y) < 0.25 * (right - left):
        return 0.0
    return math.atan2(left_y - right_y, left_x - right_x)
