"""The preset library: the shipped manifest, name lookup, fetching with sha256, the collage.

Downloads are served by a local http.server from a temporary folder holding copies of ../shared's
paintings, so nothing touches the network and nothing is copied into the repository.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.config import Config
from bot.models import Brush, Strength
from bot.presets import (
    SHIPPED_MANIFEST,
    PresetLibrary,
    PresetUnavailable,
    fetch_all,
    load_manifest,
)
from nst_engine import sheet
from tests.conftest import shared_path

PAINTINGS = {"starry_night": "starry_night.jpg", "the_scream": "the_scream.jpg"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder) of an HTTP server on 127.0.0.1 serving that folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def write_manifest(directory: Path, base_url: str, served_dir: Path, **sha_override: str) -> None:
    """A manifest of PAINTINGS served from served_dir (copied there now, from ../shared)."""
    entries = []
    for preset_id, filename in PAINTINGS.items():
        copy = served_dir / filename
        shutil.copyfile(shared_path(f"images/styles/{filename}"), copy)
        sha = hashlib.sha256(copy.read_bytes()).hexdigest()
        entries.append(
            {
                "id": preset_id,
                "title": preset_id.replace("_", " ").title(),
                "artist": "Artist " + preset_id,
                "year": 1900,
                "url": f"{base_url}/{filename}",
                "sha256": sha_override.get(preset_id, sha),
                "recommended": {"strength": "strong"},
            }
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps({"presets": entries}))


def library_in(tmp_path: Path) -> PresetLibrary:
    return PresetLibrary.from_config(Config(token="t", presets_dir=tmp_path / "presets"))


def test_shipped_manifest_pins_every_shared_painting() -> None:
    presets = load_manifest(SHIPPED_MANIFEST)
    shared = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in shared_path("images/styles").iterdir()
    }
    assert {p.filename: p.sha256 for p in presets} == shared
    assert len({p.id for p in presets}) == len(presets) >= 17
    for preset in presets:
        assert preset.url.startswith("https://raw.githubusercontent.com/")
        assert preset.titles["ru"] and preset.titles["ru"] != preset.title
        assert preset.artist


def test_from_config_uses_presets_dir_or_data_dir_and_shipped_manifest(tmp_path: Path) -> None:
    default = PresetLibrary.from_config(Config(token="t", data_dir=tmp_path))
    assert default.directory == tmp_path / "presets"
    assert len(default.presets) == len(load_manifest(SHIPPED_MANIFEST))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("starry_night", "starry_night"),
        ("  The STARRY   night ", "starry_night"),
        ("Starry-Night!", "starry_night"),
        ("scream", "the_scream"),
        ("Звёздная ночь", "starry_night"),
        ("звездная  ночь", "starry_night"),
        ("monet", "monet_garden"),
        ("Cézanne", "cezanne_sainte_victoire"),
        ("Mont Sainte-Victoire", "cezanne_sainte_victoire"),
        ("shipwreck", "shipwreck"),
        ("great wave", "great_wave"),
        ("Большая волна в Канагаве", "great_wave"),
        ("hokusai", "great_wave"),
        ("Composition VII", "composition_vii"),
        ("Composition No. VII", "mondrian_composition_vii"),
        ("mondrian", "mondrian_composition_vii"),
        ("reverie", "mucha_reverie"),
        ("Грёзы", "mucha_reverie"),
    ],
)
def test_find_ignores_case_spaces_and_punctuation(name: str, expected: str) -> None:
    library = PresetLibrary(Path("unused"), load_manifest(SHIPPED_MANIFEST))
    found = library.find(name)
    assert found is not None and found.id == expected


@pytest.mark.parametrize("name", ["", "   ", "the", "mona lisa", "hello"])
def test_find_refuses_other_names(name: str) -> None:
    assert PresetLibrary(Path("unused"), load_manifest(SHIPPED_MANIFEST)).find(name) is None


def test_suggest_a_near_miss_only() -> None:
    library = PresetLibrary(Path("unused"), load_manifest(SHIPPED_MANIFEST))
    suggestion = library.suggest("stary nite")
    assert suggestion is not None and suggestion.id == "starry_night"
    assert library.suggest("quantum chromodynamics") is None


def test_title_by_language_and_unknown_id() -> None:
    library = PresetLibrary(Path("unused"), load_manifest(SHIPPED_MANIFEST))
    assert library.title("the_scream") == "The Scream"
    assert library.title("the_scream", "ru") == "Крик"
    assert library.title("gone") == "gone"


def test_manifest_recommends_strength_and_brush() -> None:
    library = PresetLibrary(Path("unused"), load_manifest(SHIPPED_MANIFEST))
    great_wave, grande_jatte = library.get("great_wave"), library.get("grande_jatte")
    assert great_wave is not None and grande_jatte is not None
    assert (great_wave.strength, great_wave.brush) == (Strength.STRONG, Brush.LARGE)
    assert grande_jatte.brush is Brush.SMALL


async def test_image_is_fetched_once_verified_and_renamed_into_place(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    base_url, served_dir = served
    write_manifest(tmp_path / "presets", base_url, served_dir)
    library = library_in(tmp_path)
    assert library.get("starry_night") == library.find("starry night")
    assert library.get("starry_night").strength is Strength.STRONG  # type: ignore[union-attr]
    path = await library.image_path("starry_night")
    assert path.read_bytes() == (served_dir / "starry_night.jpg").read_bytes()
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".part")] == []
    (served_dir / "starry_night.jpg").unlink()  # a second call must not download again
    assert await library.image_path("starry_night") == path
    # A fresh library (a restart) trusts a file already on disk with the right sha256.
    assert await library_in(tmp_path).image_path("starry_night") == path


async def test_wrong_sha256_is_refused_and_leaves_nothing(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    base_url, served_dir = served
    write_manifest(tmp_path / "presets", base_url, served_dir, the_scream="0" * 64)
    library = library_in(tmp_path)
    with pytest.raises(PresetUnavailable, match="sha256"):
        await library.image_path("the_scream")
    assert sorted(p.name for p in (tmp_path / "presets").iterdir()) == ["manifest.json"]


async def test_missing_image_is_reported_not_fatal(
    tmp_path: Path, served: tuple[str, Path]
) -> None:
    base_url, served_dir = served
    write_manifest(tmp_path / "presets", base_url, served_dir)
    (served_dir / "the_scream.jpg").unlink()
    library = library_in(tmp_path)
    ready, missing = await library.available()
    assert [p.id for p in ready] == ["starry_night"]
    assert [p.id for p in missing] == ["the_scream"]
    # Put back: not retried at once, so /presets does not wait on a dead link every time.
    shutil.copyfile(shared_path("images/styles/the_scream.jpg"), served_dir / "the_scream.jpg")
    with pytest.raises(PresetUnavailable, match="recently"):
        await library.image_path("the_scream")
    with pytest.raises(PresetUnavailable, match="unknown"):
        await library.image_path("no_such_preset")


def test_fetch_all_reports_each_preset(tmp_path: Path, served: tuple[str, Path]) -> None:
    base_url, served_dir = served
    write_manifest(tmp_path / "presets", base_url, served_dir)
    (served_dir / "the_scream.jpg").unlink()
    report = fetch_all(Config(token="t", presets_dir=tmp_path / "presets"))
    assert len(report) == 2
    assert report[0].startswith("ok") and "starry_night" in report[0]
    assert report[1].startswith("failed") and "the_scream" in report[1]
    assert (tmp_path / "presets" / "starry_night.jpg").exists()


async def test_collage_shows_every_ready_preset(tmp_path: Path, served: tuple[str, Path]) -> None:
    base_url, served_dir = served
    write_manifest(tmp_path / "presets", base_url, served_dir)
    library = library_in(tmp_path)
    ready, _ = await library.available()
    with Image.open(io.BytesIO(await library.collage(ready, "ru"))) as collage:
        assert collage.format == "JPEG"
        assert collage.size == (2 * sheet.CELL + sheet.GAP, sheet.CELL + sheet.TITLE_HEIGHT)


async def test_collage_of_every_shipped_preset_is_a_four_column_grid() -> None:
    presets = load_manifest(SHIPPED_MANIFEST)
    library = PresetLibrary(shared_path("images/styles"), presets)  # already there: no fetching
    with Image.open(io.BytesIO(await library.collage(presets, "ru"))) as collage:
        rows = -(-len(presets) // 4)
        assert collage.width == 4 * sheet.CELL + 3 * sheet.GAP
        assert collage.height == rows * (sheet.CELL + sheet.TITLE_HEIGHT + sheet.GAP) - sheet.GAP
