"""`nst stylize` as a shell sees it: files in, a file out, one summary line, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from nst_engine.cli import main


@pytest.fixture(autouse=True)
def _offline_previews(monkeypatch: pytest.MonkeyPatch, fast_models_dir: Path) -> None:
    monkeypatch.setenv("NST_FAST_MODELS_DIR", str(fast_models_dir))  # never download in tests


def test_stylize_writes_the_image_and_ends_with_seconds_steps_and_device(
    tmp_path: Path,
    content_photo: Path,
    style_painting: Path,
    vgg_weights: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.png"
    argv = ["stylize", str(content_photo), str(style_painting), "-o", str(out), "--size", "64"]
    assert main([*argv, "--steps", "3", "--weights", str(vgg_weights)]) == 0
    with Image.open(out) as image:
        assert image.size == (64, 48)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith(f"{out}: ") and " s, 3 steps, CPU" in last


def test_an_unknown_output_format_is_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["stylize", "photo.jpg", "style.jpg", "-o", str(tmp_path / "out.xyz")])
    assert exit_.value.code == 2
    assert "out.xyz" in capsys.readouterr().err


def test_missing_weights_are_one_line_on_stderr(
    tmp_path: Path, content_photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.h5"
    argv = ["stylize", str(content_photo), str(content_photo), "-o", str(tmp_path / "o.png")]
    assert main([*argv, "--weights", str(missing)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("nst: ") and str(missing) in error and "\n" not in error
