"""The in-process runner as it starts in `make run` and in every nst-worker: its engines and
person mode share the process's one person segmenter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import EngineOptions
from bot.jobs.runner import InProcessRunner
from nst_engine import segmentation


async def test_two_engines_and_person_mode_load_one_segmenter(
    vgg_weights: Path,
    fast_models_dir: Path,
    selfie_model: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(vgg_weights))
    monkeypatch.setenv("NST_FAST_MODELS_DIR", str(fast_models_dir))
    monkeypatch.setenv(segmentation.MODEL_ENV, str(selfie_model))
    loaded = []
    original = segmentation.PersonSegmenter.__init__

    def counting(self: segmentation.PersonSegmenter, *args: Any, **kwargs: Any) -> None:
        loaded.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(segmentation.PersonSegmenter, "__init__", counting)
    runner = InProcessRunner(2, options=EngineOptions(precision="float32", warm_sides=()))
    await runner.start()
    try:
        assert runner.person_error is None
        assert len(loaded) == 1
    finally:
        await runner.stop()
