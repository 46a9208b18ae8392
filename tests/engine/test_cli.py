"""`nst stylize` as a shell sees it: files in, a file out, one summary line, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import plans
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


def test_resume_paints_on_a_finished_painting_at_print_size(
    tmp_path: Path,
    content_photo: Path,
    style_painting: Path,
    vgg_weights: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only the print's finer scale runs (its PRINT_STEPS, not a whole schedule), and a size
    no larger than the painting is refused before the engine is built."""
    argv = ["stylize", str(content_photo), str(style_painting), "--weights", str(vgg_weights)]
    painting, printed = tmp_path / "painting.png", tmp_path / "print.png"
    assert main([*argv, "-o", str(painting), "--size", "64", "--steps", "3"]) == 0
    assert main([*argv, "-o", str(printed), "--size", "128", "--resume", str(painting)]) == 0
    with Image.open(printed) as image:
        assert image.size == (128, 96)
    assert f" s, {plans.PRINT_STEPS[0]} steps, " in capsys.readouterr().out.strip().splitlines()[-1]
    assert main([*argv, "-o", str(printed), "--size", "64", "--resume", str(painting)]) == 1
    assert "--size 64 must be larger than the painting's 64 px" in capsys.readouterr().err


def test_a_face_models_folder_without_them_is_one_line_and_the_run_goes_on(
    tmp_path: Path,
    content_photo: Path,
    style_painting: Path,
    vgg_weights: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "out.png"
    argv = ["stylize", str(content_photo), str(style_painting), "-o", str(out), "--size", "64"]
    argv += ["--steps", "2", "--weights", str(vgg_weights), "--face-models", str(tmp_path)]
    assert main(argv) == 0 and out.is_file()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("nst: ")]
    assert len(lines) == 1 and lines[0].startswith("nst: no face will be held: ")
    assert "face_detection_short_range.tflite" in lines[0]


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


def test_two_styles_with_weights_mix_by_the_fast_method(
    tmp_path: Path, content_photo: Path, style_painting: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scream = style_painting.with_name("the_scream.jpg")
    outputs = {}
    for name, weights in (("mix", "0.5,0.5"), ("first", "1,0"), ("second", "0,2")):
        outputs[name] = tmp_path / f"{name}.png"
        argv = ["stylize", str(content_photo), "--fast", "--size", "96"]
        argv += ["--style", str(style_painting), "--style", str(scream)]
        assert main([*argv, "--style-weights", weights, "-o", str(outputs[name])]) == 0
    alone = tmp_path / "alone.png"
    assert main(["stylize", str(content_photo), str(style_painting), "--fast", "--size", "96",
                 "-o", str(alone)]) == 0  # fmt: skip
    pixels = {name: np.asarray(Image.open(path), np.float32) for name, path in outputs.items()}
    assert np.array_equal(pixels["first"], np.asarray(Image.open(alone), np.float32))
    assert np.abs(pixels["mix"] - pixels["first"]).mean() > 2
    assert np.abs(pixels["mix"] - pixels["second"]).mean() > 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--style-weights", "1,2,3"], "3 --style-weights for 2 paintings"),
        (["--style-weights", "1,x"], "not a list of numbers"),
        (["--style-weights", "0,0"], "must not all be 0"),
        (["--style-weights=-1,2"], ">= 0"),
    ],
)
def test_bad_style_weights_are_refused_before_any_work(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stylize", "p.jpg", "--style", "a.jpg", "--style", "b.jpg", "-o", "o.png", *extra]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_no_painting_at_all_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["stylize", "p.jpg", "-o", "o.png"])
    assert "give a painting" in capsys.readouterr().err
