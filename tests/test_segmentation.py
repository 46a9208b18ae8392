"""The person/background split: MediaPipe's selfie segmenter (the copy in mediapipe's wheel) on
scikit-image's astronaut photo, the composite in both modes with a real preview painting, and
the errors for a missing or wrong model file."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nst_engine import Settings, WeightsError
from nst_engine.fast import FastStylizer
from nst_engine.images import load_image
from nst_engine.segmentation import (
    LIGHT_STYLING,
    MODEL_ENV,
    SELFIE,
    PersonSegmenter,
    composite,
    model_path,
)

# The astronaut photo is 512x512; she fills the middle and the lower half.
FACE = (slice(50, 150), slice(190, 260))  # rows, columns: her hair, eyes and mouth
BACKDROP = (slice(0, 110), slice(310, 380))  # the grey studio wall between her and the shuttle
FLAG = (slice(0, 80), slice(0, 60))  # the flag's top corner


@pytest.fixture(scope="module")
def segmenter(selfie_model: Path) -> PersonSegmenter:
    return PersonSegmenter(selfie_model)


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


@pytest.fixture(scope="module")
def painted(fast_models_dir: Path, astronaut: Image.Image, style_painting: Path) -> Image.Image:
    """The astronaut painted whole by the preview network, at the photo's own size."""
    styled = FastStylizer(fast_models_dir).stylize(
        astronaut, load_image(style_painting), Settings(method="fast", max_side=512)
    )
    assert styled.size == astronaut.size
    return styled


def test_the_model_takes_256_px_rgb_and_gives_one_probability_per_pixel(
    segmenter: PersonSegmenter,
) -> None:
    interpreter = segmenter._interpreter
    (source,) = interpreter.get_input_details()
    (output,) = interpreter.get_output_details()
    assert list(source["shape"]) == [1, 256, 256, 3] and source["dtype"] == np.float32
    assert list(output["shape"]) == [1, 256, 256, 1] and output["dtype"] == np.float32


def test_the_mask_covers_the_face_and_not_the_far_background(
    segmenter: PersonSegmenter, astronaut: Image.Image
) -> None:
    mask = segmenter.mask(astronaut)
    assert mask.shape == (512, 512) and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() <= 1.0
    assert mask[FACE].min() > 0.9
    assert mask[BACKDROP].max() < 0.1 and mask[FLAG].max() < 0.1
    assert 0.35 < (mask > 0.5).mean() < 0.7  # she and her helmet are about half the picture


def test_the_mask_has_the_image_own_size_and_aspect(
    segmenter: PersonSegmenter, astronaut: Image.Image
) -> None:
    """A landscape crop (her head and shoulders) gets a mask of its own size that agrees with
    the square photo's mask on the face."""
    crop = astronaut.crop((0, 0, 512, 288))
    mask = segmenter.mask(crop)
    assert mask.shape == (288, 512)
    assert mask[FACE].min() > 0.9 and mask[BACKDROP].max() < 0.1
    small = segmenter.mask(crop.resize((100, 56)))
    assert small.shape == (56, 100)


def test_the_edge_is_soft_and_widens_with_the_picture(
    segmenter: PersonSegmenter, astronaut: Image.Image
) -> None:
    """Along row 100 (through her head), the mask rises from 0 to 1 over a few pixels, not in one
    step, and over about twice as many on the same photo at twice the size."""

    def edge_width(size: int) -> int:
        mask = segmenter.mask(astronaut.resize((size, size), Image.Resampling.LANCZOS))
        row = mask[size * 100 // 512, : size // 2]  # the background left of her head, then hair
        return int(((row > 0.05) & (row < 0.95)).sum())

    width = edge_width(512)
    assert 3 <= width <= 16
    assert 1.5 * width <= edge_width(1024) <= 2.5 * width


def test_masks_from_several_threads_are_those_of_one_thread(
    segmenter: PersonSegmenter, astronaut: Image.Image
) -> None:
    pictures = [astronaut, astronaut.rotate(90), astronaut.crop((0, 0, 400, 300))] * 2
    expected = [segmenter.mask(picture) for picture in pictures]
    results: list[np.ndarray | None] = [None] * len(pictures)

    def work(index: int) -> None:
        results[index] = segmenter.mask(pictures[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(pictures))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for want, got in zip(expected, results, strict=True):
        assert got is not None and np.array_equal(want, got)


def distance(a: Image.Image, b: Image.Image, region: tuple[slice, slice]) -> float:
    """The mean absolute difference (0-255) of two pictures' pixels in a region."""
    return float(
        np.abs(np.asarray(a, np.float32)[region] - np.asarray(b, np.float32)[region]).mean()
    )


def test_background_mode_keeps_the_person_and_paints_the_rest(
    segmenter: PersonSegmenter, astronaut: Image.Image, painted: Image.Image
) -> None:
    result = composite(astronaut, painted, segmenter.mask(astronaut), "background")
    assert result.size == painted.size and result.mode == "RGB"
    assert distance(painted, astronaut, FACE) > 20  # the painting did change her face
    assert distance(result, astronaut, FACE) < 1.0
    for region in (BACKDROP, FLAG):
        assert distance(result, painted, region) < 1.0
        assert distance(result, astronaut, region) > 20


def test_person_mode_paints_the_person_and_keeps_the_rest(
    segmenter: PersonSegmenter, astronaut: Image.Image, painted: Image.Image
) -> None:
    result = composite(astronaut, painted, segmenter.mask(astronaut), "person")
    assert distance(result, painted, FACE) < 1.0
    assert distance(result, astronaut, FACE) > 20
    for region in (BACKDROP, FLAG):
        assert distance(result, astronaut, region) < 1.0


def test_light_styling_lets_a_quarter_of_the_painting_into_the_kept_region(
    segmenter: PersonSegmenter, astronaut: Image.Image, painted: Image.Image
) -> None:
    mask = segmenter.mask(astronaut)
    result = composite(astronaut, painted, mask, "background", kept_styling=LIGHT_STYLING)
    full = distance(painted, astronaut, FACE)
    assert distance(result, astronaut, FACE) == pytest.approx(LIGHT_STYLING * full, rel=0.1)
    assert distance(result, painted, BACKDROP) < 1.0


def test_the_photo_and_mask_are_scaled_to_the_painting_size(
    segmenter: PersonSegmenter, astronaut: Image.Image, painted: Image.Image
) -> None:
    """The stylizers give their own output size: a bigger photo and its mask are fitted to it."""
    big = astronaut.resize((1024, 1024), Image.Resampling.LANCZOS)
    result = composite(big, painted, segmenter.mask(big), "background")
    assert result.size == (512, 512)
    assert distance(result, astronaut, FACE) < 3.0
    assert distance(result, painted, BACKDROP) < 1.0


def test_composite_refuses_an_unknown_mode_or_amount(
    astronaut: Image.Image, painted: Image.Image
) -> None:
    mask = np.ones((512, 512), np.float32)
    with pytest.raises(ValueError, match="background, person"):
        composite(astronaut, painted, mask, "face")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"0\.\.1"):
        composite(astronaut, painted, mask, "person", kept_styling=1.5)


def test_a_missing_model_file_names_the_path_and_the_setting(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / SELFIE.name
    with pytest.raises(WeightsError, match=f"{missing} not found.*{MODEL_ENV}"):
        PersonSegmenter(missing)
    with pytest.raises(WeightsError, match="not found"):
        model_path(missing)


def test_a_file_with_another_hash_is_refused(tmp_path: Path, fast_models_dir: Path) -> None:
    """Another model (here one of the preview networks) under the right name is not loaded."""
    wrong = tmp_path / SELFIE.name
    shutil.copy(
        fast_models_dir / "magenta_arbitrary-image-stylization-v1-256_int8_transfer_1.tflite", wrong
    )
    with pytest.raises(WeightsError, match=f"wrong sha256 \\(expected {SELFIE.sha256}\\)"):
        PersonSegmenter(wrong)


def test_the_named_file_and_else_the_download_cache_are_used_never_the_environment(
    selfie_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path is an argument (bot/config.py reads the variable); the engine reads none."""
    assert model_path(selfie_model) == selfie_model
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "ignored.tflite"))
    cached = tmp_path / "nst_engine" / SELFIE.name
    cached.parent.mkdir()
    shutil.copy(selfie_model, cached)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert model_path() == cached  # the right hash is there: nothing is downloaded
