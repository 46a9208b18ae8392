"""The in-process runner as it starts in `make run` and in every nst-worker: its engines and
person mode share the process's one face detector, and its fast service's networks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.config import EngineOptions
from bot.jobs.engines import measured_pace
from bot.jobs.fast_service import FastService
from bot.jobs.in_process import InProcessRunner
from nst_engine import backend, faces, fast
from tests.conftest import mediapipe_models

if TYPE_CHECKING:
    from nst_engine.engine import Engine


@asynccontextmanager
async def started(engines: int, options: EngineOptions) -> AsyncIterator[InProcessRunner]:
    """An InProcessRunner as bot/app.py starts one, then its process's fast service."""
    fast = FastService.from_options(options)
    runner = InProcessRunner(engines, fast, options=options)
    try:
        await runner.start()
        await fast.start()
        yield runner
    finally:
        await runner.stop()
        await fast.stop()


async def test_two_engines_and_person_mode_load_one_face_detector_and_one_fast_network(
    vgg_weights: Path,
    fast_models_dir: Path,
    selfie_model: Path,
    face_models: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded: list[object] = []
    for model in (faces.FaceDetector, fast.FastStylizer):
        original = model.__init__

        def counting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            loaded.append(self)
            _original(self, *args, **kwargs)

        monkeypatch.setattr(model, "__init__", counting)
    options = EngineOptions(
        "float32",
        warm_sides=(),
        face_models_dir=face_models,
        vgg_weights=vgg_weights,
        fast_models_dir=fast_models_dir,
        segmentation_model=selfie_model,
    )
    async with started(2, options) as runner:
        assert runner.person_error is None and runner.fast_error is None
        assert sorted(type(model).__name__ for model in loaded) == ["FaceDetector", "FastStylizer"]


async def test_the_runner_warms_its_engine_up_and_says_on_what_it_runs(
    vgg_weights: Path,
    fast_models_dir: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One line at start: the backend, the device, the precision and the warm-up's sides."""
    selfie, faces_dir = mediapipe_models()
    options = EngineOptions(
        "float32",
        tmp_path / "compiled",
        (64,),
        face_models_dir=faces_dir,
        vgg_weights=vgg_weights,
        fast_models_dir=fast_models_dir,
        segmentation_model=selfie,
    )
    caplog.set_level("INFO", logger="bot.jobs.engines")
    async with started(1, options):
        lines = [r.getMessage() for r in caplog.records if "engine ready" in r.getMessage()]
        assert len(lines) == 1
        assert lines[0].startswith(f"engine ready: {backend.NAME} on CPU (")
        assert "float32, compiled for 64 px in " in lines[0]


def test_an_engines_pace_is_measured_once_for_its_sides_whatever_its_data_folder(
    engine: Engine, tmp_path: Path
) -> None:
    """Tests hand the session's engine to a bot per test, each with a data folder and so a
    compilation cache of its own; measuring the pace again for each cost a second of CPU."""
    options = EngineOptions(warm_sides=(64,), print_sides=(), fast_side=64)
    first = measured_pace(engine, replace(options, compilation_cache=tmp_path / "a"))
    again = measured_pace(engine, replace(options, compilation_cache=tmp_path / "b"))
    other = measured_pace(engine, replace(options, warm_sides=(96,)))
    assert again is first and other is not first
