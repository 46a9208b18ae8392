"""Where the person is: MediaPipe's selfie segmenter, for painting only the background (or only
the person) of a photo.

The model (Apache-2.0, 250 KB) takes a 256x256 RGB image in [0, 1] and gives each pixel the
probability that it belongs to a person. It is fetched like the preview models: a cached,
sha256-pinned download, or the file the constructor is given (the bot's NST_SEGMENTATION_MODEL).

The photo is squashed to the model's square input rather than letterboxed: on crops of two
photos with people, padding (grey, black, edge or mirrored) was better on some crops and much
worse on others, squashing never far off (docs/segmentation.md has the figures). The
probability is blurred a little at the model's own resolution before it is scaled up, so the
seam between painted and kept pixels is soft and its width grows with the picture.

One model operation, Convolution2DTransposeBias, is MediaPipe's own: LiteRT runs it through the
XNNPACK delegate that both LiteRT and tf.lite apply by default; an interpreter built without
default delegates rejects the model.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from nst_engine.download import checked, fetch
from nst_engine.errors import WeightsError
from nst_engine.fast import ModelFile, _load, cache_dir
from nst_engine.quiet import without_notices

MODEL_ENV = "NST_SEGMENTATION_MODEL"  # read in bot/config.py; named here for messages
SIDE = 256  # the model's input and output size
FEATHER = 1.0  # the edge's blur, sigma in model pixels (1/256 of the picture's side)
LIGHT_STYLING = 0.25  # a suggested share of the painting in the kept region: "lightly styled"

# The sha256 is that of the copy in mediapipe 0.10.14's wheel
# (mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite), the copy the tests use.
SELFIE = ModelFile(
    "selfie_segmentation.tflite",
    "https://storage.googleapis.com/mediapipe-assets/selfie_segmentation.tflite",
    "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
)

Mode = Literal["background", "person"]
MODES: tuple[Mode, ...] = ("background", "person")


def model_path(path: str | Path | None = None) -> Path:
    """The checked model file: `path`, else downloaded to the cache.

    A file that is named explicitly is used as it is (never downloaded over), so an offline
    deployment fails with a clear message instead of trying the network. Raises WeightsError.
    """
    if not path:
        try:
            return fetch(SELFIE.url, cache_dir() / SELFIE.name, SELFIE.sha256)
        except WeightsError as error:
            raise WeightsError(
                f"{error}; download {SELFIE.name} elsewhere and set {MODEL_ENV} to its path"
            ) from error
    otherwise = f"or point {MODEL_ENV} at a copy of {SELFIE.name}"
    return checked(Path(path).expanduser(), SELFIE.sha256, SELFIE.url, otherwise)


class PersonSegmenter:
    """The selfie segmenter, loaded once; `mask` may be called from several threads at once.

    As in FastStylizer, a lock makes each set-input/invoke/read-output sequence atomic, because
    the interpreter keeps its tensors inside itself. A call takes about 12 ms at 512 px on 2 cores.
    """

    def __init__(self, model: str | Path | None = None) -> None:
        path = model_path(model)
        with without_notices():
            self._interpreter = _load(path)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._lock = threading.Lock()

    def mask(self, image: Image.Image) -> np.ndarray:
        """How much each pixel of `image` is person: float32 [height, width] in 0..1, soft-edged.

        The probability is blurred by FEATHER model pixels before it is scaled up (bilinear)
        to the image's size, so the edge is a few pixels wide at 512 px and proportionally
        wider on a bigger picture.
        """
        square = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
        pixels = np.asarray(square, np.float32)[None] / 255.0
        with self._lock:
            self._interpreter.set_tensor(self._input, pixels)
            self._interpreter.invoke()
            probability = self._interpreter.get_tensor(self._output)[0, :, :, 0].copy()
        soft = _blur(np.clip(probability, 0.0, 1.0), FEATHER)
        return resize_mask(soft, image.size)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`mask` scaled (bilinear) to size = (width, height), as float32 in 0..1."""
    if mask.shape == (size[1], size[0]):
        return mask.astype(np.float32, copy=False)
    scaled = Image.fromarray(mask.astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(scaled, np.float32), 0.0, 1.0)


def composite(
    photo: Image.Image,
    styled: Image.Image,
    mask: np.ndarray,
    mode: Mode = "background",
    kept_styling: float = 0.0,
) -> Image.Image:
    """The painted picture where mode says, the photo elsewhere: RGB at `styled`'s size.

    mode "background" paints the background and keeps the person as in the photo; "person"
    the reverse. kept_styling (0..1) lets that much of the painting into the kept region too
    (LIGHT_STYLING for "lightly styled"), so it does not look pasted in. The mask (a person
    probability, as PersonSegmenter.mask gives) and the photo are scaled to `styled`'s size
    when they differ from it, since the stylizers give their own output size.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if not 0.0 <= kept_styling <= 1.0:
        raise ValueError(f"kept_styling must be in 0..1, not {kept_styling}")
    size = styled.size
    photo = photo.convert("RGB")
    if photo.size != size:
        photo = photo.resize(size, Image.Resampling.LANCZOS)
    person = resize_mask(mask, size)
    painted = 1.0 - person if mode == "background" else person
    alpha = (painted + (1.0 - painted) * kept_styling)[:, :, None]
    original = np.asarray(photo, np.float32)
    pixels = original + alpha * (np.asarray(styled.convert("RGB"), np.float32) - original)
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8), "RGB")


def _blur(values: np.ndarray, sigma: float) -> np.ndarray:
    """A separable Gaussian blur with edges extended: small arrays only (the model's output)."""
    radius = max(1, round(3 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    padded = np.pad(values, radius, mode="edge")
    rows = sum(w * padded[:, i : i + values.shape[1]] for i, w in enumerate(taps))
    out = sum(w * rows[i : i + values.shape[0], :] for i, w in enumerate(taps))
    return np.asarray(out, np.float32)
