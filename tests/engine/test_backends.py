"""The engine on both Keras backends, each in a process of its own (Keras reads KERAS_BACKEND
once): the same painting from both, JAX without TensorFlow, and JAX's compiled programs reused
by the next process through the compilation cache."""

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


def _paint(
    backend: str, vgg_weights: Path, photo: Path, painting: Path, tmp_path: Path, **env: str
) -> dict[str, Any]:
    out = tmp_path / f"{backend}-{len(list(tmp_path.iterdir()))}.json"
    environment = {key: value for key, value in os.environ.items() if key != CACHE_ENV}
    environment.update(KERAS_BACKEND=backend, **env)
    command = [sys.executable, "-m", "tests.engine.paint_small"]
    subprocess.run(
        [*command, str(vgg_weights), str(photo), str(painting), str(out)],
        check=True,
        cwd=REPO_ROOT,
        env=environment,
        timeout=600,
    )
    return dict(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def paintings(
    vgg_weights: Path,
    content_photo: Path,
    style_painting: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("backends")
    return {
        backend: _paint(backend, vgg_weights, content_photo, style_painting, folder)
        for backend in ("tensorflow", "jax")
    }


def test_both_backends_paint_the_same_picture(paintings: dict[str, dict[str, Any]]) -> None:
    tensorflow, jax = paintings["tensorflow"], paintings["jax"]
    assert (tensorflow["backend"], jax["backend"]) == ("tensorflow", "jax")
    assert jax["loss"] == pytest.approx(tensorflow["loss"], rel=0.01)
    difference = np.abs(np.array(tensorflow["pixels"], float) - np.array(jax["pixels"], float))
    assert difference.mean() < 1.0 and difference.max() <= 12


def test_the_jax_backend_never_imports_tensorflow(paintings: dict[str, dict[str, Any]]) -> None:
    assert paintings["tensorflow"]["tensorflow_imported"]
    assert not paintings["jax"]["tensorflow_imported"]


def test_a_second_process_reuses_the_compiled_programs(
    vgg_weights: Path, content_photo: Path, style_painting: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "compiled"
    env = {CACHE_ENV: str(cache)}
    first = _paint("jax", vgg_weights, content_photo, style_painting, tmp_path, **env)
    files = sorted(path.name for path in cache.rglob("*") if path.is_file())
    second = _paint("jax", vgg_weights, content_photo, style_painting, tmp_path, **env)
    assert first["cache_hits"] == 0 and files
    assert second["cache_hits"] >= 2  # the summary and the fused step, at least
    # Nothing is compiled again but Keras' weight initialisers, which bake a fresh seed into a
    # small program in each process while the model is built.
    again = {path.name for path in cache.rglob("*") if path.is_file()} - set(files)
    assert not [name for name in again if not name.startswith("jit__uniform")], again
    print(f"compiling: {first['compile_s']:.1f} s, then {second['compile_s']:.1f} s")
    assert second["compile_s"] < 0.5 * first["compile_s"]


def test_tensorflows_start_up_notices_stay_out_of_the_log() -> None:
    """ "Could not find cuda drivers", "This TensorFlow binary is optimized...": written by
    TensorFlow's C++ core straight to stderr while it loads, before any log level applies."""
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    command = [sys.executable, "-c", "import nst_engine.backend; print('loaded')"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "loaded"
    assert "cudart_stub" not in result.stderr
    assert "absl::InitializeLog" not in result.stderr
    assert "cpu_feature_guard" not in result.stderr
