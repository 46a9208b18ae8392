"""Preset paintings: a manifest of public-domain works whose images are fetched on first use.

The repository ships only the manifest (ids, titles, source URLs pinned to a commit, sha256); the
images are downloaded into the presets folder the first time they are needed, or all at once by
`nst-bot presets fetch`, and checked against their sha256 so a changed upstream file is refused.
A preset whose image cannot be fetched is reported and skipped; it never stops the bot.
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.config import Config
from bot.models import Brush, Strength
from nst_engine import sheet
from nst_engine.download import fetch
from nst_engine.errors import WeightsError
from nst_engine.images import load_image

log = logging.getLogger(__name__)

SHIPPED_MANIFEST = Path(__file__).with_name("presets") / "manifest.json"
MANIFEST_NAME = "manifest.json"
DOWNLOAD_TIMEOUT_S = 30
RETRY_AFTER_S = 600  # after a failed download, do not make every /presets wait on it again


class PresetUnavailable(Exception):
    """The preset's image is not on disk and could not be fetched (or failed its sha256 check)."""


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    artist: str
    year: int | None
    url: str
    sha256: str
    strength: Strength = Strength.MEDIUM  # the manifest's recommendation, offered as a tip
    brush: Brush = Brush.MEDIUM  # likewise
    titles: dict[str, str] = field(default_factory=dict)  # translated titles by language

    def title_in(self, language: str) -> str:
        return self.titles.get(language, self.title)

    @property
    def filename(self) -> str:
        return self.id + (Path(urlparse(self.url).path).suffix or ".jpg")


def _key(name: str) -> str:
    """A name reduced to what people reliably type: lower case, letters and digits, no accents
    (é, ê, ё), no 'the'."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    key = re.sub(r"[\W_]+", "", bare.casefold())
    return key.removeprefix("the") or key


def _parse(entry: dict[str, object]) -> Preset:
    recommended = entry.get("recommended") or {}
    assert isinstance(recommended, dict)
    year = entry.get("year")
    titles = entry.get("titles") or {}
    assert isinstance(titles, dict)
    return Preset(
        id=str(entry["id"]),
        title=str(entry["title"]),
        artist=str(entry["artist"]),
        year=int(year) if isinstance(year, int) else None,
        url=str(entry["url"]),
        sha256=str(entry["sha256"]).lower(),
        strength=Strength(recommended.get("strength", Strength.MEDIUM)),
        brush=Brush(recommended.get("brush", Brush.MEDIUM)),
        titles={str(k): str(v) for k, v in titles.items()},
    )


def load_manifest(path: Path) -> list[Preset]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [_parse(entry) for entry in data["presets"]]


def _ensure(preset: Preset, target: Path) -> None:
    """Make target hold the preset's verified image, downloading it if absent or altered."""
    try:
        fetch(preset.url, target, preset.sha256, timeout=DOWNLOAD_TIMEOUT_S)
    except WeightsError as error:  # the engine's download error: unreachable, or wrong sha256
        raise PresetUnavailable(f"{preset.id}: {error}") from error


def _collage(paths: list[Path], titles: list[str]) -> bytes:
    """A JPEG grid of the paintings' centre squares, numbered and titled like the buttons."""
    return sheet.jpeg(sheet.grid([load_image(path) for path in paths], titles))


class PresetLibrary:
    """The presets a user can pick, and their images on disk (fetched when first needed)."""

    def __init__(self, directory: Path, presets: list[Preset]) -> None:
        self.directory = directory
        self.presets = presets
        self._by_id = {preset.id: preset for preset in presets}
        self._locks: dict[str, asyncio.Lock] = {}
        self._verified: set[str] = set()
        self._failed_at: dict[str, float] = {}
        # Telegram file_id of a collage once sent, keyed by its language and preset ids, so each
        # is uploaded once.
        self.collage_file_ids: dict[tuple[str, ...], str] = {}

    @classmethod
    def from_config(cls, config: Config) -> PresetLibrary:
        """Images live in NST_PRESETS_DIR (or data/presets); its manifest.json wins if present."""
        directory = config.presets_dir or config.data_dir / "presets"
        local = directory / MANIFEST_NAME
        return cls(directory, load_manifest(local if local.exists() else SHIPPED_MANIFEST))

    def get(self, preset_id: str) -> Preset | None:
        return self._by_id.get(preset_id)

    @property
    def default(self) -> Preset:
        """The painting a group's /paint uses when none is named: the manifest's first."""
        return self.presets[0]

    def title(self, preset_id: str, language: str = "en") -> str:
        preset = self._by_id.get(preset_id)
        return preset.title_in(language) if preset else preset_id

    def _names(self) -> dict[str, Preset]:
        names: dict[str, Preset] = {}
        for preset in self.presets:
            for name in (preset.id, preset.title, *preset.titles.values(), preset.artist):
                names.setdefault(_key(name), preset)
            names.setdefault(_key(preset.artist.split()[-1]), preset)
        return names

    def find(self, name: str) -> Preset | None:
        """The preset called name by id, title (any language) or artist, ignoring case/spaces."""
        return self._names().get(_key(name)) if _key(name) else None

    def suggest(self, name: str) -> Preset | None:
        """The preset whose name is closest to a misspelt one, if any is close enough."""
        names = self._names()
        # 0.7: with a dozen and more names, 0.6 already calls "Mona Lisa" a near miss of Mondrian.
        close = difflib.get_close_matches(_key(name), list(names), n=1, cutoff=0.7)
        return names[close[0]] if close else None

    def path(self, preset: Preset) -> Path:
        return self.directory / preset.filename

    async def image_path(self, preset_id: str) -> Path:
        """The verified image of a preset, downloaded on first use; PresetUnavailable if not."""
        preset = self._by_id.get(preset_id)
        if preset is None:
            raise PresetUnavailable(f"unknown preset {preset_id!r}")
        target = self.path(preset)
        async with self._locks.setdefault(preset_id, asyncio.Lock()):
            if preset_id in self._verified:
                return target
            failed_at = self._failed_at.get(preset_id)
            if failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_S:
                raise PresetUnavailable(f"{preset_id}: failed recently, not retried yet")
            try:
                await asyncio.to_thread(_ensure, preset, target)
            except PresetUnavailable:
                self._failed_at[preset_id] = time.monotonic()
                raise
            self._verified.add(preset_id)
        return target

    async def available(self) -> tuple[list[Preset], list[Preset]]:
        """(presets whose images are ready, presets that could not be fetched), fetching now."""
        ready: list[Preset] = []
        missing: list[Preset] = []
        for preset in self.presets:
            try:
                await self.image_path(preset.id)
            except PresetUnavailable as error:
                log.warning("preset unavailable: %s", error)
                missing.append(preset)
            else:
                ready.append(preset)
        return ready, missing

    async def collage(self, presets: list[Preset], language: str = "en") -> bytes:
        """One JPEG showing the given (already fetched) presets in a grid, numbered and titled."""
        paths = [self.path(preset) for preset in presets]
        titles = [preset.title_in(language) for preset in presets]
        return await asyncio.to_thread(_collage, paths, titles)


def fetch_all(config: Config) -> list[str]:
    """Download every preset image now (for `nst-bot presets fetch`); one report line each."""
    library = PresetLibrary.from_config(config)
    report = []
    for preset in library.presets:
        try:
            _ensure(preset, library.path(preset))
        except PresetUnavailable as error:
            report.append(f"failed  {preset.id}: {error}")
        else:
            report.append(f"ok      {preset.id} -> {library.path(preset)}")
    return report
