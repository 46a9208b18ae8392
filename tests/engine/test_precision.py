"""The precision choice: bfloat16 only where the machine has fast kernels for it; overridable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import Engine, Settings, backend, precision
from nst_engine.images import load_image, resize_longer_side, to_caffe
from nst_engine.losses import LossWeights
from tests.engine.scales import coarsest_scale

AVX2_ONLY = frozenset({"fma", "avx2", "f16c"})
WITH_BF16 = AVX2_ONLY | {"avx512f", "avx512_bf16"}
WITH_AMX = AVX2_ONLY | {"amx_tile", "amx_bf16"}


def test_auto_keeps_float32_on_a_cpu_without_bf16_kernels() -> None:
    assert precision.choose("auto", gpu=False, flags=AVX2_ONLY) is None


@pytest.mark.parametrize("flags", [WITH_BF16, WITH_AMX])
def test_auto_picks_bfloat16_on_a_cpu_with_bf16_kernels(flags: frozenset[str]) -> None:
    assert precision.choose("auto", gpu=False, flags=flags) == "mixed_bfloat16"


def test_auto_picks_bfloat16_on_a_gpu() -> None:
    assert precision.choose("auto", gpu=True, flags=AVX2_ONLY) == "mixed_bfloat16"


def test_a_forced_choice_wins_over_the_machine() -> None:
    assert precision.choose("float32", gpu=True, flags=WITH_BF16) is None
    assert precision.choose("bfloat16", gpu=False, flags=AVX2_ONLY) == "mixed_bfloat16"
    assert precision.choose("float16", gpu=False, flags=AVX2_ONLY) == "mixed_float16"
    with pytest.raises(ValueError, match="precision must be one of auto, float32"):
        precision.choose("double", gpu=False, flags=AVX2_ONLY)  # type: ignore[arg-type]


def test_the_environment_variable_overrides_and_a_typo_names_it() -> None:
    assert precision.from_env({}) == "auto"
    assert precision.from_env({"NST_PRECISION": "float32"}) == "float32"
    with pytest.raises(ValueError, match="NST_PRECISION must be one of"):
        precision.from_env({"NST_PRECISION": "bf16"})


def test_cpu_flags_are_read_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16\n\nprocessor\t: 1\n")
    assert precision.cpu_flags(cpuinfo) == {"fpu", "sse", "avx512f", "avx512_bf16"}
    assert precision.cpu_flags(tmp_path / "missing") == frozenset()


@pytest.fixture(scope="module")
def photo(content_photo: Path) -> Image.Image:
    return resize_longer_side(load_image(content_photo), 64)


@pytest.fixture(scope="module")
def painting(style_painting: Path) -> Image.Image:
    return resize_longer_side(load_image(style_painting), 64)


def _loss(engine: Engine, photo: Image.Image, painting: Image.Image) -> float:
    objective = engine._objective("default")
    scale = coarsest_scale(objective, photo, painting)
    return objective.evaluate(
        to_caffe(photo), scale, LossWeights(style=1.0, content=0.15, moments=1.0)
    )


def test_forced_off_and_on_the_convolutions_run_in_that_precision_with_the_same_loss(
    vgg_weights: Path,
    fast_models_dir: Path,
    photo: Image.Image,
    painting: Image.Image,
    compilation_cache: Path,
) -> None:
    full = Engine(vgg_weights, fast_models_dir, "float32", compilation_cache=compilation_cache)
    half = Engine(vgg_weights, fast_models_dir, "bfloat16", compilation_cache=compilation_cache)
    for engine, dtype in ((full, "float32"), (half, "bfloat16")):
        extractor = engine._objective("default").extractor
        assert {layer.compute_dtype for layer in extractor.layers[1:]} == {dtype}
    assert _loss(half, photo, painting) == pytest.approx(_loss(full, photo, painting), rel=0.02)
    result = np.asarray(half.stylize(photo, painting, Settings(max_side=64, steps=4)), np.float32)
    assert result.shape == (48, 64, 3) and result.std() > 1.0


def test_auto_uses_a_cpus_bfloat16_kernels_only_on_tensorflow(
    vgg_weights: Path,
    fast_models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    compilation_cache: Path,
) -> None:
    """oneDNN's bfloat16 kernels are TensorFlow's; XLA's CPU backend (JAX) has none."""
    monkeypatch.setattr(precision, "cpu_flags", lambda: WITH_BF16)
    engine = Engine(vgg_weights, fast_models_dir, "auto", compilation_cache=compilation_cache)
    expected = "mixed_bfloat16" if backend.NAME == "tensorflow" else None
    assert engine.precision == expected
