"""Window by window, exactly: the tiled loss and gradient against the whole canvas's, the windows'
layout, their size from a memory budget, and a print continued from a finished painting."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from nst_engine import Engine, Settings, backend, gatys, losses, plans, vgg
from nst_engine.backend import ops
from nst_engine.canvas import Canvas
from nst_engine.images import load_image, resize_longer_side, to_caffe
from nst_engine.losses import LossWeights, Scale
from nst_engine.objective import Objective
from nst_engine.tiles import GRID, TiledObjective, Tiling, tiling_for

# The tiled gradient's largest difference from the whole canvas's, as a share of its largest value.
# Summing in another order costs 1e-6 on one CPU and 2.5e-4 on another (relu5_1, random weights);
# a halo half as wide as the network's reach costs 1.2e-2.
GRADIENT_TOLERANCE = 1e-3

TERMS = LossWeights(style=1.0, content=0.3, total_variation=2.0, moments=1.0, subject=0.4)


@pytest.mark.parametrize("shape", [(160, 208), (96, 400), (48, 48), (512, 384), (1536, 2048)])
def test_windows_own_every_pixel_once_and_stay_on_the_canvas(shape: tuple[int, int]) -> None:
    tiling = Tiling(halo=48, area=128 * 160)
    owned = np.zeros(shape, int)
    height, width = tiling.window_shape(shape)
    assert height * width <= tiling.area
    for window in tiling.windows(shape):
        top, left, bottom, right = window.interior
        owned[top:bottom, left:right] += 1
        assert 0 <= window.top <= window.top + height <= shape[0]
        assert 0 <= window.left <= window.left + width <= shape[1]
        assert window.top % GRID == window.left % GRID == 0
        assert window.top <= top and bottom <= window.top + height  # it holds what it owns
    assert (owned == 1).all()


def test_windows_grow_with_the_memory_budget_and_the_halo_with_the_network() -> None:
    relu4 = gatys.LAYER_SETS["relu4"].outputs
    relu5 = gatys.LAYER_SETS["relu5"].outputs
    small, large = tiling_for(relu4, 0.5e9), tiling_for(relu4, 2e9)
    assert large.area == pytest.approx(4 * small.area, abs=4)
    canvas = (1536, 2048)
    assert len(large.windows(canvas)) < len(small.windows(canvas))
    assert tiling_for(relu5, 1e9).halo > tiling_for(relu4, 1e9).halo >= 42  # relu4_1 sees 42 px


def _scale(
    objective: Objective, canvas: Canvas, photo: Image.Image, painting: Image.Image
) -> Scale:
    keep = canvas.place(to_caffe(photo))
    contents = objective.contents(keep, canvas)
    subject = np.zeros((*contents[0].shape[:3], 1), np.float32)
    subject[:, 4:12, 6:16] = 0.8  # a person's mask, at the content layer
    style = objective.style_target([(painting, 1.0)], max(photo.size), buckets=False)
    return Scale(canvas.region(), style, contents, contents, [subject])


def _compare(
    objective: Objective, photo: Image.Image, painting: Image.Image, area: int
) -> list[set[str]]:
    """The loss and gradient over windows of `area` px with the halo the engine gives this
    network, against the whole canvas's; the windows' halo sides (`_halo_sides`)."""
    canvas = Canvas.exact(photo.size).rounded(GRID)  # the picture and a margin to the grid
    noise = np.random.default_rng(0).normal(0.0, 20.0, (1, *canvas.shape, 3))
    x = ops.convert_to_tensor((canvas.place(to_caffe(photo)) + noise).astype(np.float32))
    scale = _scale(objective, canvas, photo, painting)
    loss, grad = backend.value_and_grad(objective.loss)(x, objective.parameters, scale, TERMS)
    halo = tiling_for(objective.layers.outputs, 1e9).halo
    tiled = TiledObjective(objective, Tiling(halo, area))
    contents = tiled.contents(canvas.place(to_caffe(photo)), canvas)
    region = _content_region(objective, canvas)
    for ours, theirs in zip(contents, scale.contents, strict=True):
        np.testing.assert_allclose(
            ops.convert_to_numpy(ours) * region, ops.convert_to_numpy(theirs) * region, atol=1e-3
        )
    tiled_scale = Scale(scale.region, scale.style, contents, contents, scale.masks)
    tiled_loss, tiled_grad = tiled.value_and_grad(
        x, tiled_scale, TERMS, tiled.normalisers(tiled_scale)
    )
    assert float(tiled_loss) == pytest.approx(float(loss), rel=1e-4)
    ours, theirs = ops.convert_to_numpy(tiled_grad), ops.convert_to_numpy(grad)
    assert np.abs(ours - theirs).max() <= GRADIENT_TOLERANCE * np.abs(theirs).max()
    return _halo_sides(tiled.tiling, canvas.shape)


def _halo_sides(tiling: Tiling, shape: tuple[int, int]) -> list[set[str]]:
    """For each window, the sides on which it sees a whole halo beyond the part it owns (so
    the comparison crossed a cut between windows there)."""
    height, width = tiling.window_shape(shape)
    sides = []
    for window in tiling.windows(shape):
        top, left, bottom, right = window.interior
        seen = {
            "top": top - window.top,
            "left": left - window.left,
            "bottom": window.top + height - bottom,
            "right": window.left + width - right,
        }
        sides.append({side for side, pixels in seen.items() if pixels >= tiling.halo})
    return sides


def _content_region(objective: Objective, canvas: Canvas) -> np.ndarray:
    """The picture's positions at the content layer (features beyond it are never compared)."""
    step = vgg.stride(objective.layers.content[0])
    return ops.convert_to_numpy(losses.region_at(canvas.region(), step))


@pytest.fixture(scope="module")
def float32_engine(vgg_weights: Path, compilation_cache: Path) -> Engine:
    """Exactness is measured in float32, whatever precision the machine would pick."""
    return Engine(vgg_weights, precision="float32", compilation_cache=compilation_cache)


@pytest.fixture(scope="module")
def photo(content_photo: Path) -> Image.Image:
    return resize_longer_side(load_image(content_photo), 200)


@pytest.fixture(scope="module")
def painting(style_painting: Path) -> Image.Image:
    return resize_longer_side(load_image(style_painting), 200)


def test_the_tiled_gradient_is_the_whole_canvases(
    float32_engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    sides = _compare(float32_engine._objective("default"), photo, painting, area=128 * 128)
    assert {"top", "left", "bottom", "right"} in sides  # a window with halos all round


def test_the_tiled_gradient_is_exact_for_prints_layers(
    float32_engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    """A print's scales see to relu3_1 only: a halo of 16 px."""
    objective = float32_engine._objective(gatys.PRINT_LAYER_SET)
    assert tiling_for(objective.layers.outputs, 1e9).halo == GRID
    sides = _compare(objective, photo, painting, area=96 * 96)
    assert any("top" in seen for seen in sides) and any("left" in seen for seen in sides)


def test_the_tiled_gradient_is_exact_to_relu5_1_too(
    photo: Image.Image, painting: Image.Image
) -> None:
    """Keras' full weights reach relu5_1, whose reach (and so the halo) is twice relu4_1's.
    A wide strip of the photo, cut into windows side by side (288 px wide: 96 px of its own
    and a 96-px halo either side); a taller picture would only cost more windows of the same."""
    layers = gatys.LAYER_SETS["relu5"]
    keras.utils.set_random_seed(0)
    extractor = vgg.vgg19_features(layers.outputs)  # random weights: the geometry is the point
    strip = photo.resize((384, 288)).crop((0, 80, 384, 208))
    sides = _compare(Objective(extractor, layers), strip, painting, area=128 * 288)
    assert {"left", "right"} in sides


def test_every_weight_names_one_term_of_the_loss() -> None:
    """The tables and LossWeights name the same terms, each once: a weight without a term (or a
    term without a weight) would be silently left out of the loss."""
    global_names, local_names = set(losses.GLOBAL_TERMS), set(losses.LOCAL_TERMS)
    assert not global_names & local_names
    assert global_names | local_names == set(LossWeights._fields)


def test_the_whole_canvas_and_the_windows_agree_on_every_term(
    float32_engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    """Both objectives compose one loss from the same terms: each term, unweighted, has the
    same value over windows as over the whole canvas (and none is zero here, so each counts).
    On a print's layers, whose small halo lets a 128 px picture have windows inside it."""
    objective = float32_engine._objective(gatys.PRINT_LAYER_SET)
    small = resize_longer_side(photo, 128)
    canvas = Canvas.exact(small.size).rounded(GRID)
    noise = np.random.default_rng(1).normal(0.0, 20.0, (1, *canvas.shape, 3))
    x = (canvas.place(to_caffe(small)) + noise).astype(np.float32)
    scale = _scale(objective, canvas, small, painting)
    tiled = TiledObjective(objective, Tiling(tiling_for(objective.layers.outputs, 1e9).halo, 64**2))
    assert len(tiled.tiling.windows(canvas.shape)) >= 9  # some with halos on all sides
    whole, by_windows = objective.evaluate_terms(x, scale), tiled.evaluate_terms(x, scale)
    assert set(whole) == set(by_windows) == set(LossWeights._fields)
    for name, value in whole.items():
        assert value > 0.0, name
        assert by_windows[name] == pytest.approx(value, rel=1e-4), name
    weights = LossWeights(style=0.5, content=2.0, total_variation=3.0, moments=0.25, subject=4.0)
    composed = sum(getattr(weights, name) * value for name, value in whole.items())
    assert objective.evaluate(x, scale, weights) == pytest.approx(composed, rel=1e-5)


@pytest.mark.recipe
def test_a_print_continues_the_painting_and_keeps_its_large_structures(
    engine: Engine, photo: Image.Image, painting: Image.Image
) -> None:
    small = engine.run(photo, painting, Settings(max_side=96, steps=20)).image
    plan = plans.print_plan(96, 192)
    assert plan.scales == ((128, plans.PRINT_STEPS[0]), (192, plans.PRINT_STEPS[1]))
    tiny_windows = dataclasses.replace(plan, tile_memory=2e7)
    print_layers = gatys.LAYER_SETS[gatys.PRINT_LAYER_SET].outputs
    assert len(tiling_for(print_layers, 2e7).windows((144, 192))) >= 9  # halos on all sides
    large = engine.run(photo, painting, Settings(max_side=192), resume=small, plan=tiny_windows)
    assert large.image.size == (192, 144)
    assert large.steps == sum(plans.PRINT_STEPS)
    shrunk = np.asarray(large.image.resize(small.size, Image.Resampling.LANCZOS), float)
    enlarged = np.asarray(small.resize(large.image.size, Image.Resampling.BICUBIC), float)
    assert np.abs(shrunk - np.asarray(small, float)).mean() < 1  # the same painting, larger
    assert np.abs(np.asarray(large.image, float) - enlarged).mean() > 3  # painted, not enlarged


def test_a_side_above_the_painted_one_is_painted_there_then_continued_as_a_print(
    engine: Engine, photo: Image.Image, painting: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One path with `resume`: Engine.run at 192 px, the painted side lowered to 96 px, gives
    exactly the 96 px painting continued at 192 px; progress runs once to 1.0 over both."""
    monkeypatch.setattr(plans, "PAINTED_SIDE", 96)
    reports: list[tuple[float, bool]] = []
    settings = Settings(max_side=192, steps=10)
    whole = engine.run(photo, painting, settings, lambda f, p: reports.append((f, p is not None)))
    small = engine.run(photo, painting, dataclasses.replace(settings, max_side=96))
    printed = engine.run(photo, painting, settings, resume=small.image)
    assert whole.image.size == (192, 144)
    assert np.array_equal(np.asarray(whole.image), np.asarray(printed.image))
    assert whole.steps == small.steps + printed.steps == 10 + sum(plans.PRINT_STEPS)
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and reports[-1][1]
    assert 0.0 < sum(fraction <= 0.5 for fraction in fractions) < len(fractions)


def test_a_print_is_larger_than_the_painting() -> None:
    with pytest.raises(ValueError, match="larger than the painting"):
        plans.print_plan(512, 512)


def test_a_paintings_statistics_by_windows_are_the_whole_ones(
    float32_engine: Engine, painting: Image.Image
) -> None:
    """A print's painting is measured at the print's side, window by window."""
    objective = float32_engine._objective("default")
    tiled = TiledObjective(objective, Tiling(tiling_for(objective.layers.outputs, 1e9).halo, 64**2))
    picture = to_caffe(painting)  # 200 x 125, on a canvas of the windows' grid
    canvas = Canvas.exact(painting.size).rounded(GRID)
    assert len(tiled.tiling.windows(canvas.shape)) >= 9
    whole = objective.picture_statistics(picture, canvas)
    by_windows = tiled.picture_statistics(picture, canvas)
    for ours, theirs in zip(by_windows, whole, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            a, b = ops.convert_to_numpy(a), ops.convert_to_numpy(b)
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())
