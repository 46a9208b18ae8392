"""Instant previews with Magenta's arbitrary image stylization network (Ghiasi et al. 2017, int8).

One forward pass instead of an optimisation. The prediction network turns a painting into a style
vector of 100 numbers; the transfer network paints a 384x384 photo with it.

Why tiles rather than one pass over the whole photo: the transfer graph's upsampling layers resize
to constant sizes (192, 384, 384), so `resize_tensor_input` changes the input but the output stays
384x384. Patching those constants in the model does work, and is faster when warm (0.26 s against
0.47 s at 1024x768), but every new image shape then needs its own interpreter: 0.5-2.7 s to set up
and 1.3-1.6 GB of memory at 1024 px. Overlapping tiles, cross-faded, run on one 250 MB interpreter
for every shape. docs/engine.md has the measurements.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from nst_engine.colors import match_colors, transfer_luminance
from nst_engine.download import checked, fetch
from nst_engine.errors import Cancelled, WeightsError
from nst_engine.framenet import FrameNetwork
from nst_engine.images import load_image, resize_longer_side
from nst_engine.quiet import without_notices
from nst_engine.settings import FULL_STYLE_STRENGTH, Settings

try:
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # no LiteRT wheel for this platform: TensorFlow's own (deprecated) copy
    from tensorflow.lite.python.interpreter import Interpreter

# gatys.Progress's shape, not imported from there: that module loads TensorFlow, previews need not.
Progress = Callable[[float, Image.Image | None], None]

MODELS_DIR_ENV = "NST_FAST_MODELS_DIR"  # read in bot/config.py and by `nst`; for messages
MAX_SIDE = 1024  # a preview is for a phone screen; more pixels would only cost time
TILE = 384  # the transfer network's fixed input and output size
OVERLAP = 64  # least overlap between neighbouring tiles; seams are cross-faded over this width
STYLE_SIDE = 256  # the prediction network's input size
VECTOR_SIZE = 100  # the style vector's length
VARIATION_CROP = 0.7  # the part of a painting's shorter side a variation's style vector sees
MAX_CACHED_VECTORS = 256  # 400 bytes each: every preset, with room for a local manifest


@dataclass(frozen=True)
class ModelFile:
    """A model file: its name on disk, where to download it, and the hash it must have."""

    name: str
    url: str
    sha256: str


_HUB = "https://tfhub.dev/google/lite-model/magenta/arbitrary-image-stylization-v1-256/int8"
PREDICTION = ModelFile(
    "magenta_arbitrary-image-stylization-v1-256_int8_prediction_1.tflite",
    f"{_HUB}/prediction/1?lite-format=tflite",
    "af6ad4b2e7aeba0675f32636082ab915ced5375229a3f8aff7e714c6213f5ed2",
)
TRANSFER = ModelFile(
    "magenta_arbitrary-image-stylization-v1-256_int8_transfer_1.tflite",
    f"{_HUB}/transfer/1?lite-format=tflite",
    "7a1550643cf034a4d813c0aa276976cd15da4141b4f1ec3631db1d0d9c8e2cd1",
)


def cache_dir() -> Path:
    """Where downloaded model files are kept: $XDG_CACHE_HOME/nst_engine or ~/.cache/nst_engine."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "nst_engine"


def model_path(model: ModelFile, models_dir: str | Path | None = None) -> Path:
    """The checked file: in `models_dir`, else downloaded to the cache.

    A folder that is named explicitly is used as it is (never downloaded into), so an offline
    deployment fails with a clear message instead of trying the network. Raises WeightsError.
    """
    if not models_dir:
        try:
            return fetch(model.url, cache_dir() / model.name, model.sha256)
        except WeightsError as error:
            raise WeightsError(
                f"{error}; download {model.name} elsewhere and set {MODELS_DIR_ENV} to its folder"
            ) from error
    otherwise = f"or point {MODELS_DIR_ENV} at a folder that has it"
    return checked(Path(models_dir).expanduser() / model.name, model.sha256, model.url, otherwise)


class FastStylizer:
    """Magenta's two networks, loaded once; `stylize` may be called from several threads at once.

    An interpreter keeps its input and output tensors inside itself, so two threads using it at
    once would overwrite each other's inputs: a lock makes each set-inputs/invoke/read-output
    sequence atomic. One interpreter per thread would buy no speed (XNNPACK already runs one invoke
    on every core), only memory. Concurrent calls take turns tile by tile.
    """

    def __init__(self, models_dir: str | Path | None = None) -> None:
        prediction = model_path(PREDICTION, models_dir)
        transfer = model_path(TRANSFER, models_dir)
        self._transfer_model = transfer
        with without_notices():
            self._predict = _load(prediction)
            self._transfer = _load(transfer)
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}

    def stylize(
        self,
        content: Image.Image,
        style: Image.Image | Sequence[Image.Image],
        settings: Settings,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Image.Image:
        """`content` painted in `style`'s manner: RGB, longer side min(settings.max_side, 1024).

        Several paintings are mixed by blending their style vectors with settings.style_weights
        (equal by default), so a mix costs no more than one painting. style_strength is mapped
        onto the quality method's scale, where medium (0.7) already paints the whole picture:
        from 0.7 on the paintings' style vector is used as it is, below it is mixed with the
        photo's own, as Ghiasi et al. do. The network does not give the photo back from its own
        style vector (colours shift), so below half of 0.7 the result is also cross-faded
        towards the photo, reaching it at 0. preserve_colors works as in the quality mode.
        style_scale (brush size) paints the photo 1/style_scale times its output size (at most
        2x MAX_SIDE) and scales the result to it: the network's strokes have a fixed size in
        pixels. seed picks which square of each painting the style vector sees (0: the centre,
        as Magenta's demo), so a new seed is another take. layers and steps are the quality
        mode's and are ignored here.
        """
        _check(cancel)
        styles = [style] if isinstance(style, Image.Image) else list(style)
        side = min(settings.max_side, MAX_SIDE)
        work_side = max(64, min(round(side / settings.style_scale), 2 * MAX_SIDE))
        photo = resize_longer_side(content, work_side)
        if settings.preserve_colors:
            styles = [match_colors(painting, photo) for painting in styles]
        vector = self.mixed_vector(styles, settings)
        painted = self.paint(photo, vector, settings, cancel=cancel, progress=progress)
        if work_side == side:
            return painted
        return resize_longer_side(painted, side)

    def mixed_vector(self, styles: Sequence[Image.Image], settings: Settings) -> np.ndarray:
        """The paintings' style vectors blended by settings.style_weights (equal by default)."""
        vector: np.ndarray = np.zeros((1, 1, 1, VECTOR_SIZE), np.float32)
        for weight, painting in zip(settings.weights_for(len(styles)), styles, strict=True):
            if weight > 0:  # weights 1, 0 cost one painting and give exactly its picture
                vector = vector + weight * self.style_vector(painting, settings.seed)
        return vector

    def style_vector(self, image: Image.Image, seed: int = 0) -> np.ndarray:
        """The [1, 1, 1, 100] style vector of a square of `image`: the largest centred one for
        seed 0 (as in Magenta's demo); for another seed, a square of VARIATION_CROP of the
        shorter side at a place the seed picks, so each seed is another take on the painting."""
        if seed:
            x, y = np.random.default_rng(seed).uniform(0.0, 1.0, 2)
            side = round(VARIATION_CROP * min(image.size))
            left, top = round(x * (image.width - side)), round(y * (image.height - side))
            image = image.crop((left, top, left + side, top + side))
        square = ImageOps.fit(image, (STYLE_SIDE, STYLE_SIDE), Image.Resampling.LANCZOS)
        return self._run(self._predict, np.asarray(square, np.float32)[None] / 255.0)

    def file_style_vector(self, path: Path) -> np.ndarray:
        """A painting file's style vector, computed once per file (its path and mtime).

        Presets are painted again and again (contact sheets, animations): then only the
        transfer network runs, and the file is not even decoded.
        """
        key = f"{path.resolve()}@{path.stat().st_mtime_ns}"
        vector = self._vectors.get(key)
        if vector is None:
            vector = self.style_vector(load_image(path))
            with self._lock:
                if len(self._vectors) >= MAX_CACHED_VECTORS:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[key] = vector
        return vector

    def frame_network(self, width: int, height: int) -> FrameNetwork:
        """The transfer network for frames of this size: for `paint(network=...)`, one per clip."""
        return FrameNetwork(self._transfer_model, width, height)

    def paint(
        self,
        photo: Image.Image,
        vector: np.ndarray,
        settings: Settings,
        photo_vector: np.ndarray | None = None,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        one_pass: bool = False,
        network: FrameNetwork | None = None,
    ) -> Image.Image:
        """`photo` (already at its output size) painted with a style vector.

        photo_vector: the photo's own style vector when the caller already has it (a contact
        sheet paints one photo many times); computed here when strength < 1 needs it.
        one_pass: a small photo (longer side <= TILE) in one pass of the network at its own
        size rather than padded to a tile: 0.25 s instead of 0.33 at 256 px on 2 cores.
        """
        strength = min(1.0, settings.style_strength / FULL_STYLE_STRENGTH)
        if strength < 1.0:
            own = self.style_vector(photo) if photo_vector is None else photo_vector
            vector = strength * vector + (1.0 - strength) * own
        source = np.asarray(photo, np.float32) / 255.0
        if network is not None:
            painted = network.transfer(source, vector)
        elif one_pass:
            painted = self._transfer_once(source, vector)
        else:
            painted = self._transfer_tiled(source, vector, progress, cancel)
        fade = min(1.0, 2.0 * strength)
        pixels = fade * painted + (1.0 - fade) * source
        result = Image.fromarray(np.clip(pixels * 255.0, 0, 255).round().astype(np.uint8), "RGB")
        if settings.preserve_colors:
            result = transfer_luminance(result, photo)
        if progress:
            progress(1.0, result)
        return result

    def _transfer_once(self, pixels: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Paint an [H, W, 3] image of at most TILE px a side in one pass at its own size.

        The network's input takes any size, but its output is always TILE x TILE (see the
        module's docstring): it is scaled back to the input's size.
        """
        height, width, _ = pixels.shape
        side = max(height, width)
        if side > TILE:
            raise ValueError(f"one pass takes at most {TILE} px a side, not {side}")
        square = np.pad(pixels, ((0, side - height), (0, side - width), (0, 0)), mode="symmetric")
        out = self._run(self._transfer, square[None], vector)[0]
        image = Image.fromarray(np.clip(out * 255.0, 0, 255).round().astype(np.uint8), "RGB")
        image = image.resize((side, side), Image.Resampling.LANCZOS)
        return (np.asarray(image, np.float32) / 255.0)[:height, :width]

    def _transfer_tiled(
        self,
        pixels: np.ndarray,
        vector: np.ndarray,
        progress: Progress | None,
        cancel: threading.Event | None,
    ) -> np.ndarray:
        """Paint an [H, W, 3] image in [0, 1] tile by tile, blending the overlaps linearly."""
        height, width, _ = pixels.shape
        # Mirror a side shorter than a tile: it keeps the picture's statistics, which the
        # network's instance normalisation sees, unlike a constant border.
        padded = np.pad(
            pixels,
            ((0, max(0, TILE - height)), (0, max(0, TILE - width)), (0, 0)),
            mode="symmetric",
        )
        total = np.zeros(padded.shape, np.float32)
        weights = np.zeros((*padded.shape[:2], 1), np.float32)
        tiles = [
            (y, x) for y in _tile_starts(padded.shape[0]) for x in _tile_starts(padded.shape[1])
        ]
        for done, (y, x) in enumerate(tiles):
            _check(cancel)
            if progress:
                progress(done / len(tiles), None)
            tile = padded[None, y : y + TILE, x : x + TILE]
            total[y : y + TILE, x : x + TILE] += (
                self._run(self._transfer, tile, vector)[0] * _WEIGHT
            )
            weights[y : y + TILE, x : x + TILE] += _WEIGHT
        return (total / weights)[:height, :width]

    def _run(self, interpreter: Any, *inputs: np.ndarray) -> np.ndarray:
        """Invoke with `inputs` in the model's input order; a copy of the first output.

        An input of another shape than the last resizes the interpreter first (20-100 ms).
        """
        with self._lock:
            first = interpreter.get_input_details()[0]
            if tuple(first["shape"]) != inputs[0].shape:
                interpreter.resize_tensor_input(first["index"], inputs[0].shape)
                interpreter.allocate_tensors()
            for detail, value in zip(interpreter.get_input_details(), inputs, strict=True):
                interpreter.set_tensor(detail["index"], value)
            interpreter.invoke()
            output: np.ndarray = interpreter.get_tensor(
                interpreter.get_output_details()[0]["index"]
            )
            return output


def _tile_starts(length: int) -> list[int]:
    """Tile offsets along a side of `length` >= TILE px: evenly spread, overlapping >= OVERLAP."""
    count = math.ceil((length - OVERLAP) / (TILE - OVERLAP))
    if count == 1:
        return [0]
    return [round(i * (length - TILE) / (count - 1)) for i in range(count)]


def _edge_ramp() -> np.ndarray:
    """A tile's blending weight: 1 inside, falling linearly to near 0 over OVERLAP px at each edge.

    Never exactly 0, so a pixel that only one tile covers (at the picture's border) still counts.
    """
    distance = np.minimum(np.arange(TILE), np.arange(TILE)[::-1]) + 0.5
    ramp = np.minimum(distance / OVERLAP, 1.0).astype(np.float32)
    return (ramp[:, None] * ramp[None, :])[..., None]


_WEIGHT = _edge_ramp()


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("stylization cancelled")


def _load(path: Path) -> Any:
    with warnings.catch_warnings():
        # Only the fallback warns: we use tf.lite.Interpreter because LiteRT is not installed.
        warnings.filterwarnings("ignore", r"\s*Warning: tf\.lite\.Interpreter is deprecated")
        interpreter = Interpreter(model_path=str(path), num_threads=os.cpu_count() or 1)
    interpreter.allocate_tensors()
    return interpreter
