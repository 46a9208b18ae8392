"""The fast (preview) mode: shape, strength, colours, seams, threads, cancelling, model files.

Nothing here touches the internet: downloads come from a local HTTP server or file:// URLs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import Cancelled, Settings, WeightsError, cli, fast
from nst_engine.download import fetch
from nst_engine.fast import FastStylizer
from nst_engine.images import load_image

MAGENTA = "NST_FAST_MODELS_DIR"


@pytest.fixture(scope="module")
def stylizer(fast_models_dir: Path) -> FastStylizer:
    return FastStylizer(fast_models_dir)


@pytest.fixture(scope="module")
def photo(content_photo: Path) -> Image.Image:
    return load_image(content_photo)


@pytest.fixture(scope="module")
def painting(style_painting: Path) -> Image.Image:
    return load_image(style_painting)


@pytest.fixture(scope="module")
def scream(style_painting: Path) -> Image.Image:
    return load_image(style_painting.with_name("the_scream.jpg"))


def _fast(max_side: int, style_strength: float = 0.7, preserve_colors: bool = False) -> Settings:
    return Settings(
        "fast", max_side, style_strength=style_strength, preserve_colors=preserve_colors
    )


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((1024, 768), 1024, (1024, 768)),  # several tiles
        ((768, 1024), 500, (375, 500)),  # portrait
        ((1024, 768), 200, (200, 150)),  # smaller than one tile
        ((1000, 100), 800, (800, 80)),  # a panorama: one row of tiles, mirrored to a tile's height
        ((1024, 768), 4096, (1024, 768)),  # clamped to 1024
    ],
)
def test_keeps_the_aspect_ratio(
    stylizer: FastStylizer,
    photo: Image.Image,
    painting: Image.Image,
    size: tuple[int, int],
    max_side: int,
    expected: tuple[int, int],
) -> None:
    content = photo.resize(size)
    result = stylizer.stylize(content, painting, _fast(max_side))
    assert result.mode == "RGB"
    assert result.size == expected


def test_strength_zero_keeps_the_photo_and_one_does_not(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    plain = _pixels(photo.resize((384, 288), Image.Resampling.LANCZOS))
    kept = stylizer.stylize(photo, painting, _fast(384, style_strength=0.0))
    painted = stylizer.stylize(photo, painting, _fast(384, style_strength=1.0))
    halfway = stylizer.stylize(photo, painting, _fast(384, style_strength=0.5))
    distances = [float(np.abs(_pixels(im) - plain).mean()) for im in (kept, halfway, painted)]
    assert distances[0] < 1.0
    assert distances[2] > 20.0
    assert distances[0] < distances[1] < distances[2]


def test_strength_is_on_the_quality_methods_scale(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    """Medium already paints with the whole style, as the quality method does; soft does not."""
    soft, medium, full = (
        _pixels(stylizer.stylize(photo, painting, _fast(384, style_strength=s)))
        for s in (0.4, 0.7, 1.0)
    )
    assert np.array_equal(medium, full)
    assert np.abs(soft - full).mean() > 5.0


def test_preserve_colors_keeps_the_photos_chroma(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    def chroma(image: Image.Image) -> np.ndarray:
        return _pixels(image.convert("YCbCr"))[..., 1:]

    plain = chroma(photo.resize((384, 288), Image.Resampling.LANCZOS))
    kept = stylizer.stylize(photo, painting, _fast(384, style_strength=1.0, preserve_colors=True))
    free = stylizer.stylize(photo, painting, _fast(384, style_strength=1.0))
    assert np.abs(chroma(kept) - plain).mean() < 2.0
    assert np.abs(chroma(free) - plain).mean() > 10.0


def _seam_ratio(image: Image.Image) -> float:
    """Gradient energy across tile borders relative to that just beside them (8 px each side).

    Comparing with the neighbourhood rather than the whole image keeps the photo's own edges, where
    they happen to meet a border, from counting as a seam.
    """
    pixels = _pixels(image).mean(axis=2)
    ratios = []
    for axis, length in ((1, image.size[0]), (0, image.size[1])):
        energy = np.abs(np.diff(pixels, axis=axis)).mean(axis=1 - axis)  # one value per gap
        starts = fast._tile_starts(length)
        for border in [s - 1 for s in starts[1:]] + [s + fast.TILE - 1 for s in starts[:-1]]:
            beside = np.r_[energy[border - 12 : border - 4], energy[border + 5 : border + 13]]
            ratios.append(energy[border] / beside.mean())
    return float(np.mean(ratios))


def test_tiles_leave_no_seam(
    stylizer: FastStylizer,
    photo: Image.Image,
    painting: Image.Image,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _fast(1024, style_strength=1.0)  # 1024x768: three by three tiles
    blended = stylizer.stylize(photo, painting, settings)
    monkeypatch.setattr(fast, "_WEIGHT", np.ones_like(fast._WEIGHT))
    averaged = stylizer.stylize(photo, painting, settings)
    assert _seam_ratio(averaged) > 1.3  # the measure does see the seams of unweighted tiles
    assert _seam_ratio(blended) < 1.15


def test_threads_share_one_stylizer(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    jobs = [(photo, painting, 0.3), (painting, photo, 1.0)] * 2
    alone = [_pixels(stylizer.stylize(c, s, _fast(400, style_strength=a))) for c, s, a in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        together = list(
            pool.map(
                lambda job: stylizer.stylize(job[0], job[1], _fast(400, style_strength=job[2])),
                jobs,
            )
        )
    for expected, result in zip(alone, together, strict=True):
        np.testing.assert_array_equal(_pixels(result), expected)


def test_progress_ends_with_the_image(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    calls: list[tuple[float, Image.Image | None]] = []
    result = stylizer.stylize(
        photo, painting, _fast(640), progress=lambda f, im: calls.append((f, im))
    )
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == (1.0, result)
    assert all(image is None for _, image in calls[:-1])


def test_cancel_before_and_between_tiles(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        stylizer.stylize(photo, painting, _fast(640), cancel=cancel)

    cancel.clear()
    tiles_started = []

    def cancel_after_first_tile(fraction: float, image: Image.Image | None) -> None:
        tiles_started.append(fraction)
        cancel.set()

    with pytest.raises(Cancelled):
        stylizer.stylize(photo, painting, _fast(640), cancel_after_first_tile, cancel)
    assert len(tiles_started) == 1


def test_loading_prints_nothing_and_needs_no_tensorflow(fast_models_dir: Path) -> None:
    script = (
        "import sys; from nst_engine.fast import FastStylizer; FastStylizer(sys.argv[1]); "
        "assert 'tensorflow' not in sys.modules"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(fast_models_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run.stdout == ""
    assert run.stderr == ""


def test_command_line_fast(
    tmp_path: Path,
    fast_models_dir: Path,
    content_photo: Path,
    style_painting: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(MAGENTA, str(fast_models_dir))
    output = tmp_path / "preview.png"
    argv = ["stylize", "--fast", "--size", "300", str(content_photo), str(style_painting)]
    assert cli.main([*argv, "-o", str(output)]) == 0
    assert Image.open(output).size == (300, 225)


# Getting the model files.


class _Server:
    """A local HTTP server for the files in one folder; counts the requests it answers."""

    def __init__(self, folder: Path) -> None:
        self.requests = 0
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                super().do_GET()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(Handler, directory=str(folder))
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/{name}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"weights" * 1000)
    running = _Server(folder)
    yield running
    running.close()


SERVED_SHA256 = hashlib.sha256(b"weights" * 1000).hexdigest()


def test_fetch_downloads_once(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "cache" / "model.bin"
    assert fetch(server.url("model.bin"), dest, SERVED_SHA256) == dest
    assert fetch(server.url("model.bin"), dest, SERVED_SHA256) == dest
    assert dest.read_bytes() == b"weights" * 1000
    assert server.requests == 1


def test_fetch_replaces_a_damaged_copy(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "model.bin"
    dest.write_bytes(b"truncated")
    fetch(server.url("model.bin"), dest, SERVED_SHA256)
    assert dest.read_bytes() == b"weights" * 1000


def test_fetch_rejects_a_wrong_hash_and_leaves_nothing(server: _Server, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(WeightsError, match=f"sha256 {SERVED_SHA256}, expected 0+$"):
        fetch(server.url("model.bin"), cache / "model.bin", "0" * 64)
    assert list(cache.iterdir()) == []


def test_fetch_failure_names_the_url(server: _Server, tmp_path: Path) -> None:
    url = server.url("missing.bin")
    with pytest.raises(WeightsError, match=f"cannot download {url}"):
        fetch(url, tmp_path / "missing.bin", SERVED_SHA256)
    assert list(tmp_path.glob("*missing*")) == []


def test_a_missing_model_names_file_url_and_variable(tmp_path: Path) -> None:
    with pytest.raises(WeightsError) as error:
        FastStylizer(tmp_path)
    message = str(error.value)
    assert fast.PREDICTION.name in message
    assert fast.PREDICTION.url in message
    assert MAGENTA in message
    assert "\n" not in message


def test_a_named_folder_is_never_downloaded_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "fetch", None)  # any download attempt would fail loudly
    with pytest.raises(WeightsError, match="not found"):
        FastStylizer(tmp_path)


def test_a_wrong_hash_in_the_folder_is_an_error(tmp_path: Path, fast_models_dir: Path) -> None:
    for model in (fast.PREDICTION, fast.TRANSFER):
        (tmp_path / model.name).write_bytes((fast_models_dir / model.name).read_bytes())
    (tmp_path / fast.TRANSFER.name).write_bytes(b"not a model")
    with pytest.raises(WeightsError, match=f"{fast.TRANSFER.name} has the wrong sha256"):
        FastStylizer(tmp_path)


def test_without_a_folder_the_models_are_downloaded_to_the_cache(
    tmp_path: Path, fast_models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MAGENTA, str(tmp_path / "ignored"))  # the engine reads no variable
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for name in ("PREDICTION", "TRANSFER"):
        model = getattr(fast, name)
        local = (fast_models_dir / model.name).resolve().as_uri()
        monkeypatch.setattr(fast, name, dataclasses.replace(model, url=local))
    FastStylizer()
    cached = sorted(path.name for path in (tmp_path / "nst_engine").iterdir())
    assert cached == sorted([fast.PREDICTION.name, fast.TRANSFER.name])


def test_a_failed_download_says_what_to_do(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    url = server.url("gone.tflite")
    monkeypatch.setattr(fast, "PREDICTION", dataclasses.replace(fast.PREDICTION, url=url))
    with pytest.raises(WeightsError, match=f"cannot download {url}: .*set {MAGENTA}"):
        FastStylizer()


def test_the_engine_loads_the_preview_models_only_when_asked_for_them(
    vgg_weights: Path, fast_models_dir: Path, tmp_path: Path, compilation_cache: Path
) -> None:
    from nst_engine.engine import Engine

    models = tmp_path / "models"
    models.mkdir()
    # An empty folder: fine.
    engine = Engine(vgg_weights, models, compilation_cache=compilation_cache)
    photo = Image.new("RGB", (64, 48), (200, 40, 40))
    painting = Image.new("RGB", (64, 64), (30, 60, 200))
    # A quality run from noise needs no preview models (from the preview it asks for them).
    quality = engine.stylize(photo, painting, Settings(max_side=64, steps=3, start="noise"))
    assert quality.size == (64, 48)
    for model in (fast.PREDICTION, fast.TRANSFER):  # the files arrive after the engine was built
        shutil.copy(fast_models_dir / model.name, models / model.name)
    assert engine.fast_error is None
    assert engine.stylize(photo, painting, Settings(method="fast", max_side=64)).size == (64, 48)


# Several paintings, brush size, variations.


def test_style_weights_are_normalised_and_validated() -> None:
    assert Settings(style_weights=(3, 1)).style_weights == (0.75, 0.25)
    assert Settings(style_weights=(2, 2)).weights_for(2) == (0.5, 0.5)
    assert Settings().weights_for(4) == (0.25,) * 4
    for bad in [(), (0, 0), (-1, 2), (float("nan"), 1)]:
        with pytest.raises(ValueError, match="style_weights"):
            Settings(style_weights=bad)
    with pytest.raises(ValueError, match="2 style weights for 3"):
        Settings(style_weights=(1, 1)).weights_for(3)


def test_weights_one_zero_give_exactly_the_single_painting(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image, scream: Image.Image
) -> None:
    alone = stylizer.stylize(photo, painting, _fast(256))
    weighted = dataclasses.replace(_fast(256), style_weights=(1.0, 0.0))
    assert np.array_equal(
        _pixels(stylizer.stylize(photo, [painting, scream], weighted)), _pixels(alone)
    )
    mixed = _pixels(stylizer.stylize(photo, [painting, scream], _fast(256)))
    other = _pixels(stylizer.stylize(photo, scream, _fast(256)))
    # Halfway: about as far from either painting's picture as from the other.
    to_a, to_b = np.abs(mixed - _pixels(alone)).mean(), np.abs(mixed - other).mean()
    assert to_a > 2 and to_b > 2 and 0.5 < to_a / to_b < 2


def test_brush_size_keeps_the_size_and_changes_the_strokes(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    results = {
        scale: stylizer.stylize(photo, painting, dataclasses.replace(_fast(256), style_scale=scale))
        for scale in (0.5, 1.0, 2.0)
    }
    assert {image.size for image in results.values()} == {(256, 192)}
    assert np.abs(_pixels(results[0.5]) - _pixels(results[1.0])).mean() > 2
    assert np.abs(_pixels(results[2.0]) - _pixels(results[1.0])).mean() > 2


def test_a_new_seed_is_another_take_and_a_seed_repeats(
    stylizer: FastStylizer, photo: Image.Image, painting: Image.Image
) -> None:
    def take(seed: int) -> np.ndarray:
        return _pixels(
            stylizer.stylize(photo, painting, dataclasses.replace(_fast(128), seed=seed))
        )

    assert np.array_equal(take(7), take(7))
    assert np.abs(take(7) - take(0)).mean() > 1
    assert np.abs(take(7) - take(8)).mean() > 1
