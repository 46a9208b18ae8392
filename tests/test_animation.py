"""Animations in the engine: frames and rate kept (thinned past the cap), H.264 without sound,
the limits, flicker suppressed, cancelling, the command line. Clips are made here with PyAV, a
few frames each. The blending on its own, on made-up paintings: test_blend.py."""

from __future__ import annotations

import itertools
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from nst_engine import Cancelled, ImageError, Settings, animation
from nst_engine.cli import main
from nst_engine.fast import FastStylizer
from nst_engine.images import load_image, resize_longer_side

FAST = Settings(method="fast")


@pytest.fixture(scope="module")
def stylizer(fast_models_dir: Path) -> FastStylizer:
    return FastStylizer(fast_models_dir)


def make_clip(
    path: Path, photo: Path, frames: int, fps: int, still: bool = False, codec: str = "libx264"
) -> Path:
    """frames of a 96x64 window over the photo: panning, or still with a little sensor noise."""
    image = np.asarray(resize_longer_side(load_image(photo), 160), np.float32)
    noise = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(fps))
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = 96, 64
        stream.pix_fmt = "yuv420p" if codec == "libx264" else "rgb8"
        for index in range(frames):
            left = 0 if still else (index * 2) % 64  # pan, and back to the start
            window = image[10:74, left : left + 96]
            if still:
                window = window + noise.normal(0, 2, window.shape).astype(np.float32)
            pixels = np.clip(window, 0, 255).astype(np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def test_frames_and_rate_match_the_input_as_silent_h264(
    stylizer: FastStylizer, tmp_path: Path, content_photo: Path, style_painting: Path
) -> None:
    source = make_clip(tmp_path / "in.mp4", content_photo, frames=24, fps=12)
    output = tmp_path / "out.mp4"
    progress: list[float] = []
    stats = animation.stylize_clip(
        stylizer, source, [style_painting], FAST, output, progress.append
    )
    assert (stats.frames, stats.rate, stats.size) == (24, Fraction(12), (96, 64))
    # Each frame painted (and blended forward), then each blended back from the last.
    assert progress[-1] == 1.0 and progress == sorted(progress) and len(progress) == 2 * 24
    assert progress[23] == animation.PAINTING_SHARE
    clip = animation.probe(output)
    assert (clip.frames, clip.rate, clip.width, clip.height) == (24, 12, 96, 64)
    with av.open(str(output)) as container:
        assert [s.type for s in container.streams] == ["video"]  # no sound
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.video[0].codec_context.pix_fmt == "yuv420p"


def test_a_gif_is_read_and_long_clips_are_thinned_to_the_cap(
    stylizer: FastStylizer,
    tmp_path: Path,
    content_photo: Path,
    style_painting: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(animation, "MAX_FRAMES", 10)
    source = make_clip(tmp_path / "in.gif", content_photo, frames=25, fps=25, codec="gif")
    assert animation.probe(source).frames == 25
    stats = animation.stylize_clip(stylizer, source, [style_painting], FAST, tmp_path / "out.mp4")
    # Every third frame: the same second of animation at a third of the rate.
    assert (stats.frames, stats.rate) == (9, Fraction(25, 3))


def test_still_clip_flicker_stays_within_one_and_a_half_times_the_inputs(
    stylizer: FastStylizer, tmp_path: Path, content_photo: Path, style_painting: Path
) -> None:
    """Flicker: the mean absolute difference between consecutive frames, 0-1."""
    source = make_clip(tmp_path / "in.mp4", content_photo, frames=12, fps=12, still=True)
    seen: list[tuple[np.ndarray, ...]] = []
    stats = animation.stylize_clip(
        stylizer,
        source,
        [style_painting],
        FAST,
        tmp_path / "out.mp4",
        watch=lambda *frames: seen.append(tuple(f.astype(np.float32) / 255 for f in frames)),
    )
    assert len(seen) == stats.frames == 12 and seen[0][1].shape == (64, 96, 3)
    flicker = [
        np.mean(
            [np.abs(now[kind] - before[kind]).mean() for before, now in itertools.pairwise(seen)]
        )
        for kind in range(3)  # input, painting, output
    ]
    assert flicker[2] <= 1.5 * flicker[0]
    assert flicker[2] < flicker[1] / 10  # the blending is what does it


def test_over_ten_seconds_and_not_a_video_are_refused(tmp_path: Path, content_photo: Path) -> None:
    long = make_clip(tmp_path / "long.mp4", content_photo, frames=23, fps=2)
    with pytest.raises(ImageError, match="at most 10 s"):
        animation.check_limits(animation.probe(long))
    text = tmp_path / "notes.mp4"
    text.write_text("not a video at all")
    with pytest.raises(ImageError, match="video"):
        animation.probe(text)


def test_cancel_stops_between_frames_and_leaves_no_file(
    stylizer: FastStylizer, tmp_path: Path, content_photo: Path, style_painting: Path
) -> None:
    source = make_clip(tmp_path / "in.mp4", content_photo, frames=24, fps=12)
    cancel = threading.Event()
    output = tmp_path / "out.mp4"
    done: list[float] = []

    def progress(fraction: float) -> None:
        done.append(fraction)
        if len(done) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        animation.stylize_clip(stylizer, source, [style_painting], FAST, output, progress, cancel)
    assert len(done) == 3 and not output.exists()


def test_the_command_line_paints_a_clip_into_an_mp4(
    tmp_path: Path,
    content_photo: Path,
    style_painting: Path,
    fast_models_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NST_FAST_MODELS_DIR", str(fast_models_dir))
    source = make_clip(tmp_path / "in.gif", content_photo, frames=6, fps=10, codec="gif")
    output = tmp_path / "out.mp4"
    assert main(["stylize", str(source), str(style_painting), "-o", str(output)]) == 0
    clip = animation.probe(output)
    assert (clip.frames, clip.width, clip.height) == (6, 96, 64)
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{output}: 6 frames 96x64 at 10 fps, ")
    assert "6/6" in captured.err  # the progress bar, counting frames
    with pytest.raises(SystemExit):  # an image name for a clip: refused before any work
        main(["stylize", str(source), str(style_painting), "-o", str(tmp_path / "out.png")])
    assert "should end in .mp4" in capsys.readouterr().err
