"""The quality engine end to end: small images, real TensorFlow, the shared VGG19 weights."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
import skimage.data
from PIL import Image
from skimage.metrics import structural_similarity

from nst_engine import (
    Cancelled,
    Engine,
    EngineError,
    ImageError,
    Settings,
    WeightsError,
    backend,
    gatys,
    losses,
    plans,
    vgg,
)
from nst_engine.backend import keras, ops
from nst_engine.canvas import Canvas
from nst_engine.images import load_image, resize_longer_side, to_caffe
from nst_engine.losses import LossWeights
from nst_engine.settings import Start
from tests.engine.scales import coarsest_scale

SMALL = Settings(max_side=64, steps=4)


@pytest.fixture(scope="module")
def engine(
    vgg_weights: Path, fast_models_dir: Path, face_models_or_none: Path, compilation_cache: Path
) -> Engine:
    faces = face_models_or_none
    return Engine(vgg_weights, fast_models_dir, None, faces, compilation_cache=compilation_cache)


@pytest.fixture(scope="module")
def photo(content_photo: Path) -> Image.Image:
    return resize_longer_side(load_image(content_photo), 96)


@pytest.fixture(scope="module")
def painting(style_painting: Path) -> Image.Image:
    return resize_longer_side(load_image(style_painting), 96)


def _convolutions(model: keras.Model) -> list[str]:
    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def test_extractor_stops_at_the_deepest_layer_in_use(engine: Engine) -> None:
    convs = _convolutions(engine._objective("default").extractor)
    assert convs == list(vgg.CONV_LAYERS[: vgg.CONV_LAYERS.index("block4_conv1") + 1])
    shallow = _convolutions(vgg.vgg19_features(["block1_conv1", "block2_conv1"]))
    assert shallow == ["block1_conv1", "block1_conv2", "block2_conv1"]


def test_extractor_matches_keras_vgg19_with_the_same_weights(vgg_weights: Path) -> None:
    ours = vgg.vgg19_features(["block4_conv1"])
    vgg.load_weights(ours, vgg_weights)
    full = keras.applications.VGG19(include_top=False, weights=None)
    theirs = keras.Model(full.input, full.get_layer("block4_conv1").output)
    theirs.load_weights(vgg_weights)
    image = np.random.default_rng(0).uniform(-120, 130, (1, 40, 48, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ops.convert_to_numpy(ours(image)), ops.convert_to_numpy(theirs(image)), rtol=1e-4, atol=1e-3
    )


def test_result_keeps_the_contents_aspect_ratio(engine: Engine, photo: Image.Image) -> None:
    painting = Image.new("RGB", (50, 90), (200, 120, 30))
    landscape = engine.stylize(photo, painting, SMALL)
    assert landscape.mode == "RGB"
    assert landscape.size == (64, 48)
    portrait = engine.stylize(photo.transpose(Image.Transpose.ROTATE_90), painting, SMALL)
    assert portrait.size == (48, 64)


def test_after_the_warm_up_no_photo_waits_for_a_compiler(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    """Whatever a photo's aspect ratio, its job compiles (JAX) or traces (TensorFlow) none of
    the programs the warm-up made: the first person to send one does not wait for it."""
    engine.warm_up((64,))
    objective = engine._objective("default")

    def programs() -> int:
        return sum(backend.compilations(p) for p in [objective.summary, *objective._steps.values()])

    made = programs()
    for size in [(64, 24), (40, 64)]:  # a panorama and a portrait
        engine.run(photo.resize(size), painting, Settings(max_side=64, steps=2, start="noise"))
    assert made > 0 and programs() == made


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16"])
def test_every_image_mode_can_be_stylized(
    engine: Engine, photo: Image.Image, painting: Image.Image, mode: str
) -> None:
    odd = photo.convert("L").convert("I;16") if mode == "I;16" else photo.convert(mode)
    result = engine.stylize(odd, painting.convert(mode) if mode != "I;16" else painting, SMALL)
    assert result.mode == "RGB"
    assert result.size == (64, 48)


def test_paths_and_bytes_are_accepted(engine: Engine, content_photo: Path) -> None:
    style = Image.new("RGB", (64, 64), (10, 80, 200))
    assert engine.stylize(content_photo.read_bytes(), style, SMALL).size[0] == 64
    with pytest.raises(ImageError):
        engine.stylize(b"not a photo", style, SMALL)


def test_a_photo_too_narrow_for_vgg_is_an_image_error(engine: Engine) -> None:
    with pytest.raises(ImageError, match="too narrow"):
        engine.stylize(Image.new("RGB", (400, 20)), Image.new("RGB", (64, 64)), SMALL)


@pytest.mark.parametrize(
    ("style_scale", "side", "painting_side"),
    [(0.5, 96, 64), (2.0, 96, 192), (0.1, 96, 64), (2.0, 768, 1024), (1.0, 2048, 2048)],
)
def test_the_brush_sets_the_paintings_size(
    style_scale: float, side: int, painting_side: int
) -> None:
    """The brush's multiple of the scale's side, at least 64 px, at most 1024 px or the side
    (a print's painting is enlarged with the print)."""
    assert gatys.style_side(Settings(style_scale=style_scale), side) == painting_side


@pytest.mark.parametrize("start", ["preview", "noise"])
def test_the_seed_makes_runs_repeatable(
    engine: Engine, photo: Image.Image, painting: Image.Image, start: Start
) -> None:
    def pixels(seed: int) -> np.ndarray:
        settings = Settings(max_side=64, steps=3, seed=seed, start=start)
        return np.asarray(engine.stylize(photo, painting, settings))

    assert np.array_equal(pixels(1), pixels(1))
    assert not np.array_equal(pixels(1), pixels(2))


def test_style_loss_halves_within_a_few_dozen_steps(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    settings = Settings(max_side=64, steps=30)
    result = engine.stylize(photo, painting, settings)
    objective = engine._objective("default")
    content = resize_longer_side(photo, 64)
    target = objective.style_target([(painting, 1.0)], 64, buckets=False)

    def style_loss(image: Image.Image) -> float:
        picture = to_caffe(image)
        current = objective.statistics(picture, Canvas.exact(image.size))
        return float(losses.style_loss(current, target))

    assert style_loss(result) < 0.5 * style_loss(content)


def test_strength_zero_keeps_the_photo(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    result = engine.stylize(photo, painting, Settings(max_side=64, steps=10, style_strength=0.0))
    difference = np.abs(
        np.asarray(result, float) - np.asarray(resize_longer_side(photo, 64), float)
    )
    assert difference.mean() < 2.0


@pytest.mark.parametrize("start", ["preview", "noise"])
def test_progress_rises_to_one_at_least_once_per_step(
    engine: Engine, photo: Image.Image, painting: Image.Image, start: Start
) -> None:
    calls: list[tuple[float, Image.Image | None]] = []
    plan = plans.Plan(scales=((48, 5), (64, 5)), tolerance=None)
    settings = replace(SMALL, start=start)
    result = engine.run(
        photo, painting, settings, progress=lambda f, p: calls.append((f, p)), plan=plan
    )
    fractions = [fraction for fraction, _ in calls]
    assert result.steps == 10
    assert len(fractions) >= result.steps
    assert fractions == sorted(fractions)
    assert fractions[0] >= 0.0 and fractions[-1] == 1.0
    assert calls[-1][1] is not None and calls[-1][1].size == result.image.size


@pytest.mark.parametrize("start", ["preview", "noise"])
def test_cancel_stops_within_one_step(
    engine: Engine, photo: Image.Image, painting: Image.Image, start: Start
) -> None:
    cancel = threading.Event()
    fractions: list[float] = []

    def cancel_after_third_step(fraction: float, preview: Image.Image | None) -> None:
        fractions.append(fraction)
        if len(fractions) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        engine.stylize(
            photo,
            painting,
            Settings(max_side=64, steps=50, start=start),
            cancel_after_third_step,
            cancel,
        )
    assert len(fractions) == 3


@pytest.mark.recipe
def test_the_warm_start_reaches_a_lower_loss_than_noise_in_the_same_steps(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    objective = engine._objective("default")
    scale = coarsest_scale(objective, resize_longer_side(photo, 64), painting)
    weights = LossWeights(style=1.0, content=gatys.Look.of(0.7).content_weight, moments=1.0)
    plan = plans.Plan(scales=((64, 5),), tolerance=None, buckets=False)

    def loss_after_five_steps(start: Start) -> float:
        image = engine.run(photo, painting, Settings(max_side=64, start=start), plan=plan).image
        return objective.evaluate(to_caffe(image), scale, weights)

    assert loss_after_five_steps("preview") < 0.9 * loss_after_five_steps("noise")


def test_a_paintings_statistics_are_computed_once_per_scale_across_jobs(
    vgg_weights: Path,
    photo: Image.Image,
    painting: Image.Image,
    monkeypatch: pytest.MonkeyPatch,
    compilation_cache: Path,
) -> None:
    objective = Engine(vgg_weights, compilation_cache=compilation_cache)._objective("default")
    computed: list[Canvas] = []
    statistics = objective.statistics

    def counted(image: np.ndarray, canvas: Canvas) -> losses.StyleTarget:
        computed.append(canvas)
        return statistics(image, canvas)

    monkeypatch.setattr(objective, "statistics", counted)
    first = objective.style_target([(painting, 1.0)], 64, buckets=False)
    again = objective.style_target([(painting.copy(), 1.0)], 64, buckets=False)  # the same pixels
    assert len(computed) == 1
    np.testing.assert_array_equal(
        ops.convert_to_numpy(first.grams[0]), ops.convert_to_numpy(again.grams[0])
    )
    objective.style_target([(painting, 1.0)], 48, buckets=False)  # another scale
    objective.style_target([(photo, 1.0)], 64, buckets=False)  # another painting
    assert len(computed) == 3


@pytest.fixture(scope="module")
def astronaut() -> Image.Image:
    return Image.fromarray(skimage.data.astronaut())


@pytest.mark.recipe
def test_the_subject_term_keeps_a_face_closer_to_the_photo(
    engine: Engine, astronaut: Image.Image, painting: Image.Image, face_models: Path
) -> None:
    """The face's structure (luminance SSIM of its box), not its colours, which are painted."""
    assert engine.load_faces() is None  # the session's engine has the wheel's face detectors

    def face(image: Image.Image) -> np.ndarray:
        box = (84, 30, 146, 94)  # the face, at 256 px
        return np.asarray(image.crop(box).convert("L"), np.float64)

    def face_ssim(subject_weight: float) -> float:
        plan = plans.Plan(scales=((128, 20), (256, 10)), subject_weight=subject_weight)
        result = engine.run(astronaut, painting, Settings(max_side=256), plan=plan).image
        photo = resize_longer_side(astronaut, 256)
        return float(structural_similarity(face(result), face(photo), data_range=255.0))

    assert face_ssim(1.0) > face_ssim(0.0) + 0.03  # the default weight: a benchmark matter


def test_without_the_fast_models_the_warm_start_falls_back_to_noise(
    vgg_weights: Path,
    tmp_path: Path,
    photo: Image.Image,
    painting: Image.Image,
    compilation_cache: Path,
) -> None:
    # No preview models there.
    engine = Engine(vgg_weights, tmp_path, compilation_cache=compilation_cache)
    warm = engine.stylize(photo, painting, Settings(max_side=64, steps=3, start="preview"))
    noise = engine.stylize(photo, painting, Settings(max_side=64, steps=3, start="noise"))
    assert np.array_equal(np.asarray(warm), np.asarray(noise))


def test_preserve_colors_keeps_the_photos_chroma(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    result = engine.stylize(photo, painting, Settings(max_side=64, steps=10, preserve_colors=True))
    chroma = np.asarray(result.convert("YCbCr"), float)[..., 1:]
    photo_chroma = np.asarray(resize_longer_side(photo, 64).convert("YCbCr"), float)[..., 1:]
    assert np.abs(chroma - photo_chroma).mean() < 3.0


def test_layers_the_weights_lack_are_a_clear_error(engine: Engine, photo: Image.Image) -> None:
    with pytest.raises(
        WeightsError, match=r"no layer block4_conv2 \(its deepest is block4_conv1\)"
    ):
        engine.stylize(photo, photo, Settings(max_side=64, layers="gatys"))


def test_missing_weights_file_names_the_file_url_and_variable(tmp_path: Path) -> None:
    missing = tmp_path / "vgg19.h5"  # as bot/config.py and `nst` read it from the variable
    with pytest.raises(WeightsError) as error:
        Engine(missing)
    assert str(missing) in str(error.value)
    assert vgg.WEIGHTS_URL in str(error.value)
    assert "NST_VGG19_WEIGHTS" in str(error.value)


def test_failed_download_names_the_cache_file_url_and_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_network(*args: object, **kwargs: object) -> str:
        raise Exception("URL fetch failure: no route to host")

    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(tmp_path / "ignored.h5"))  # the engine reads none
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(WeightsError) as error:
        Engine()
    message = str(error.value)
    assert str(tmp_path / "models" / vgg.WEIGHTS_FILE) in message
    assert vgg.WEIGHTS_URL in message and "NST_VGG19_WEIGHTS" in message
    assert "no route to host" in message


def test_a_file_that_is_not_hdf5_is_a_weights_error(tmp_path: Path) -> None:
    bogus = tmp_path / "weights.h5"
    bogus.write_bytes(b"<html>404</html>")
    with pytest.raises(WeightsError, match="cannot read"):
        Engine(bogus)


def test_fast_method_dispatches_to_the_preview_network(engine: Engine, photo: Image.Image) -> None:
    assert engine.fast_error is None
    preview = engine.stylize(photo, photo, Settings(method="fast", max_side=64))
    assert preview.size == (64, 48)


def test_without_preview_models_quality_still_works_and_fast_says_why(
    vgg_weights: Path, tmp_path: Path, photo: Image.Image, compilation_cache: Path
) -> None:
    engine = Engine(vgg_weights, fast_models_dir=tmp_path, compilation_cache=compilation_cache)
    assert engine.fast_error is not None and str(tmp_path) in engine.fast_error
    with pytest.raises(EngineError, match="fast mode is not available"):
        engine.stylize(photo, photo, Settings(method="fast"))
    assert engine.stylize(photo, photo, SMALL).size == (64, 48)


def test_scales_start_at_128_px_and_double_up_to_the_output() -> None:
    assert plans.scale_sides(512) == [128, 256, 512]
    assert plans.scale_sides(768) == [128, 256, 512, 768]
    assert plans.scale_sides(1000) == [128, 256, 512, 1000]
    assert plans.scale_sides(96) == [96]


def test_most_steps_go_to_the_cheap_coarsest_scale() -> None:
    plan = plans.default_plan(Settings(max_side=1024))
    assert plan.scales == ((128, 200), (256, 30), (512, 12), (1024, 8))
    warm = plans.default_plan(Settings(max_side=1024), warm=True)
    assert warm.scales[0] == (128, plans.WARM_COARSE_STEPS) and warm.scales[1:] == plan.scales[1:]
    budget = plans.default_plan(Settings(max_side=512, steps=100))
    assert [side for side, _ in budget.scales] == [128, 256, 512]
    assert sum(steps for _, steps in budget.scales) == 100
    assert budget.scales[0][1] > 0.8 * 100


def test_strength_moves_the_look_from_the_photo_towards_the_painting() -> None:
    soft, medium, strong = (gatys.Look.of(s) for s in (0.4, 0.7, 0.95))
    assert soft.content_weight > medium.content_weight > strong.content_weight
    assert soft.detail == 1.0 > medium.detail > strong.detail == 0.0


@pytest.mark.recipe
def test_the_coarsest_scale_already_changes_the_large_structure(
    engine: Engine, content_photo: Path, painting: Image.Image
) -> None:
    """At medium strength the first scale repaints the layout's big shapes, not only texture."""
    photo = load_image(content_photo)
    previews: list[Image.Image] = []
    plan = plans.Plan(scales=((128, 60), (160, 1)), tolerance=None)
    engine.run(
        photo,
        painting,
        Settings(max_side=160),
        progress=lambda _, preview: previews.append(preview) if preview else None,
        plan=plan,
    )

    def luma_64(image: Image.Image) -> np.ndarray:
        return np.asarray(resize_longer_side(image, 64).convert("L"), np.float64)

    ssim = float(structural_similarity(luma_64(previews[0]), luma_64(photo), data_range=255.0))
    assert ssim < 0.8  # the photo against itself is 1.0


def test_full_weights_add_relu5_1_to_the_style_layers(
    tmp_path: Path,
    fast_models_dir: Path,
    photo: Image.Image,
    painting: Image.Image,
    compilation_cache: Path,
) -> None:
    """Keras' full ImageNet file holds block5: the default layers then reach relu5_1."""
    full = vgg.vgg19_features(["block5_conv1"])
    path = tmp_path / "vgg19_full.h5"
    with h5py.File(path, "w") as file:  # Keras' notop layout, as load_weights reads it
        for layer in full.layers:
            if isinstance(layer, keras.layers.Conv2D):
                group = file.create_group(layer.name)
                names = [f"{layer.name}/kernel:0", f"{layer.name}/bias:0"]
                group.attrs["weight_names"] = [name.encode() for name in names]
                for name, value in zip(names, layer.get_weights(), strict=True):
                    group.create_dataset(name, data=value)
    engine = Engine(path, fast_models_dir, compilation_cache=compilation_cache)
    assert engine.default_layers == "relu5"
    assert _convolutions(engine._objective("default").extractor)[-1] == "block5_conv1"
    assert engine.stylize(photo, painting, SMALL).size == (64, 48)


@pytest.mark.parametrize("size", [(100, 37), (37, 100), (97, 97), (90, 71), (64, 16)])
def test_any_aspect_ratio_comes_back_at_its_exact_size_through_the_canvases(
    engine: Engine, photo: Image.Image, painting: Image.Image, size: tuple[int, int]
) -> None:
    plan = plans.Plan(scales=((max(size), 2),), buckets=True)
    picture = photo.resize(size)
    result = engine.run(picture, painting, Settings(max_side=max(size)), plan=plan).image
    assert result.size == size
    # The canvas beyond the picture never shows: the result is the photo's own layout.
    difference = np.abs(np.asarray(result, float) - np.asarray(picture, float)).mean()
    assert difference < 60


def test_a_canvas_paints_the_picture_as_its_own_size_would(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    """Bucketed and exact canvases differ only at the picture's edge (VGG's padding sees the
    mirrored canvas there): the same run on both is the same picture but for a few levels."""
    picture = photo.resize((96, 60))  # 16:10, on a 96 x 72 canvas

    def run(buckets: bool) -> np.ndarray:
        plan = plans.Plan(scales=((96, 6),), tolerance=None, buckets=buckets)
        settings = Settings(max_side=96, start="noise")
        return np.asarray(engine.run(picture, painting, settings, plan=plan).image, float)

    difference = np.abs(run(True) - run(False))
    assert difference.mean() < 6
