"""The engine on both Keras backends, each in a process of its own (Keras reads KERAS_BACKEND
once): the same painting from both, in float32 and in bfloat16 (pinned, whatever the CPU has:
`auto` would pick bfloat16 on TensorFlow alone on a CPU with AVX512-BF16), JAX without
TensorFlow, and JAX's compiled programs reused by the next process through the compilation
cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_ENV = "NST_COMPILATION_CACHE"
PRECISIONS = ("float32", "bfloat16")


def _paint(
    backend: str, vgg_weights: Path, photo: Path, painting: Path, out: Path, cache: Path | None
) -> dict[str, Any]:
    """Both precisions' paintings by a process of this backend; on JAX, `cache` compiled."""
    environment = {key: value for key, value in os.environ.items() if key != CACHE_ENV}
    environment["KERAS_BACKEND"] = backend
    if cache is not None:
        environment[CACHE_ENV] = str(cache)
    command = [sys.executable, "-m", "tests.engine.paint_small"]
    subprocess.run(
        [*command, str(vgg_weights), str(photo), str(painting), str(out), *PRECISIONS],
        check=True,
        cwd=REPO_ROOT,
        env=environment,
        timeout=600,
    )
    return dict(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """JAX's compilation cache as the first JAX process left it."""
    return tmp_path_factory.mktemp("compiled")


@pytest.fixture(scope="module")
def paintings(
    vgg_weights: Path,
    content_photo: Path,
    style_painting: Path,
    cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("backends")
    sources = (vgg_weights, content_photo, style_painting)
    return {
        "tensorflow": _paint("tensorflow", *sources, folder / "tensorflow.json", None),
        "jax": _paint("jax", *sources, folder / "jax.json", cache),
    }


def _pixels(report: dict[str, Any], precision: str) -> np.ndarray:
    return np.array(report["paintings"][precision]["pixels"], float)


# (mean, max) pixel levels apart. bfloat16 keeps 8 significant bits, and each backend rounds its
# own way, so its two pictures differ more than float32's.
APART = {"float32": (1.0, 12), "bfloat16": (3.0, 48)}


@pytest.mark.parametrize("precision", PRECISIONS)
def test_both_backends_paint_the_same_picture(
    paintings: dict[str, dict[str, Any]], precision: str
) -> None:
    tensorflow, jax = paintings["tensorflow"], paintings["jax"]
    assert (tensorflow["backend"], jax["backend"]) == ("tensorflow", "jax")
    losses = [report["paintings"][precision]["loss"] for report in (tensorflow, jax)]
    assert losses[1] == pytest.approx(losses[0], rel=0.01 if precision == "float32" else 0.05)
    difference = np.abs(_pixels(tensorflow, precision) - _pixels(jax, precision))
    print(f"{precision}: mean {difference.mean():.2f}, max {difference.max():.0f} levels apart")
    mean, most = APART[precision]
    assert difference.mean() < mean and difference.max() <= most


def test_bfloat16_paints_the_float32_picture_on_each_backend(
    paintings: dict[str, dict[str, Any]],
) -> None:
    for report in paintings.values():
        difference = np.abs(_pixels(report, "bfloat16") - _pixels(report, "float32"))
        print(f"{report['backend']}: bfloat16 {difference.mean():.2f} levels from float32")
        assert difference.mean() < 4.0


def test_the_jax_backend_never_imports_tensorflow(paintings: dict[str, dict[str, Any]]) -> None:
    assert paintings["tensorflow"]["tensorflow_imported"]
    assert not paintings["jax"]["tensorflow_imported"]


def test_a_second_process_reuses_the_compiled_programs(
    paintings: dict[str, dict[str, Any]],
    cache: Path,
    vgg_weights: Path,
    content_photo: Path,
    style_painting: Path,
    tmp_path: Path,
) -> None:
    first = paintings["jax"]
    files = sorted(path.name for path in cache.rglob("*") if path.is_file())
    sources = (vgg_weights, content_photo, style_painting)
    second = _paint("jax", *sources, tmp_path / "again.json", cache)
    assert first["cache_hits"] == 0 and files
    assert second["cache_hits"] >= 2  # the summary and the fused step, at least
    # Nothing is compiled again but Keras' weight initialisers, which bake a fresh seed into a
    # small program in each process while the model is built.
    again = {path.name for path in cache.rglob("*") if path.is_file()} - set(files)
    assert not [name for name in again if not name.startswith("jit__uniform")], again
    print(f"compiling: {first['compile_s']:.1f} s, then {second['compile_s']:.1f} s")
