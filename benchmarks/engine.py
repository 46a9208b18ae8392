"""The quality engine's look and speed on ../shared/images, beside jcjohnson/neural-style's anchors.

    python benchmarks/engine.py [--pairs anchors,subjects|all|PHOTO:STYLE,...] [--size 512]
                                [--strengths soft,medium] [--baseline] [--fast] [--out DIR]
                                [--precision auto|float32|bfloat16] [--grid docs/engine_grid.png]

Every pair runs at each strength with otherwise default settings; each result is measured with
../shared/eval/nst_metrics.py at its own size and at --size 128 (the large-scale structure), and
the anchors in ../shared/images/anchors are measured the same way. The table marks the medium
rows that meet the anchor targets (docs/engine.md): style_gain at both sizes at least the
anchor's, style_mobile at most the anchor's + 0.01, ssim_luma at least 0.15.

The "subjects" pairs paint scikit-image's astronaut and cat, whose face is a small part of the
frame: their rows add `face_ssim`, the luminance SSIM of the face's box against the photo's at
64 px, which says whether the face is still recognisable. --baseline also runs the previous
recipe (float32, photo + noise start, 200 steps at 128 px) on every pair, in the same process,
so the two can be compared whatever the machine's load.

Seconds are wall time per stylization with the engine built (CPU seconds beside them); the
build itself is printed once, and the machine's load average with every row, since other
processes make seconds noisy. Peak
memory is the process's before the metric networks load. --fast adds the preview method's figures
at each strength, to check that preview and result agree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nst_engine.images import load_image  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402

SHARED = Path(os.environ.get("NST_SHARED") or REPO.parent / "shared")
STRENGTHS = {"soft": 0.4, "medium": 0.7, "strong": 0.95}
# The anchors: jcjohnson/neural-style's published results (../shared/images/SOURCES.md).
ANCHORS = {
    "tubingen_starry": ("tubingen", "starry_night"),
    "golden_gate_starry": ("golden_gate", "starry_night"),
    "tubingen_scream": ("tubingen", "the_scream"),
    "tubingen_shipwreck": ("tubingen", "shipwreck"),
    "golden_gate_scream": ("golden_gate", "the_scream"),
}
# Photos with a face, from scikit-image (a dev dependency, bundled: nothing is downloaded), and
# the face's box (left, top, right, bottom) as fractions of the photo's width and height.
SUBJECTS = {
    "astronaut": (0.32, 0.12, 0.57, 0.37),
    "chelsea": (0.24, 0.17, 0.82, 0.97),
}
SUBJECT_STYLES = ("starry_night", "the_scream", "great_wave")
LABELLED = REPO / "tests/data"  # photos with and without faces (docs/segmentation.md)
COLUMNS = ("style_gain", "style_gain_128", "style_mobile", "ssim_luma")
BASELINE = "previous"  # the method name of the previous recipe's rows


@dataclass
class Row:
    method: str  # "anchor", a strength's name, "previous", or "fast-" and a strength's name
    photo: str
    style: str
    output: Path
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    steps: int = 0
    load: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def pair(self) -> str:
        return f"{self.photo} x {self.style}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    pairs = parse_pairs(args.pairs)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; out: {args.out}")

    face_models = use_test_models(args.out)
    start = time.perf_counter()
    from nst_engine.engine import Engine

    def build_engine(precision: Any) -> Any:
        return Engine(
            args.weights or SHARED / "models/vgg19_normalised_to_block4_conv1.h5",
            fast_models_dir=os.environ.get("NST_FAST_MODELS_DIR") or SHARED / "models",
            precision=precision,
            face_models_dir=face_models,
        )

    engine = build_engine(args.precision)
    build = time.perf_counter() - start
    print(f"engine build (TensorFlow import, VGG19, weights): {build:.1f} s on {engine.device}")
    print(f"precision: {engine.precision or 'float32'}")
    previous = build_engine("float32") if args.baseline else None

    rows = []
    for photo, style in pairs:
        for strength in args.strengths:
            rows.append(stylize(engine, photo, style, strength, args))
            if previous is not None and strength == "medium":
                rows.append(stylize(previous, photo, style, strength, args, baseline=True))
    if args.fast:
        rows += [
            stylize(engine, photo, style, strength, args, fast=True)
            for photo, style in pairs
            for strength in args.strengths
        ]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    anchors = {pair: name for name, pair in ANCHORS.items()}
    rows += [
        Row("anchor", *pair, SHARED / "images/anchors" / f"{anchors[pair]}.png")
        for pair in dict.fromkeys(pairs)
        if pair in anchors
    ]
    measure(rows)
    print_table(rows)
    medium = [r for r in rows if r.method == "medium"]
    if medium:
        first = medium[0]
        print(f"\nfirst medium result with the build: {first.seconds + build:.1f} s")
    print(f"engine build {build:.1f} s; peak RSS of the engine runs: {peak_mb:.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    (args.out / "results.json").write_text(json.dumps([asdict(r) for r in rows], default=str))
    if args.grid:
        write_grid(rows, args.grid)
    return 0


def use_test_models(out: Path) -> Path:
    """The face detectors' folder from the tests' wheel, also as $NST_FACE_MODELS_DIR for the
    engine processes benchmarks/versus.py starts, unless set; and $NST_SEGMENTATION_MODEL,
    unless set, the segmenter with which revisions before the face detectors held a person."""
    from tests import assets

    try:
        os.environ.setdefault("NST_SEGMENTATION_MODEL", str(assets.selfie_segmentation_model()))
        os.environ.setdefault("NST_FACE_MODELS_DIR", str(assets.face_models_dir()))
    except assets.AssetError as error:  # no registry: no subject term, said once
        print(f"no face detectors ({error}): faces are not held")
        os.environ.setdefault("NST_FACE_MODELS_DIR", str(out / "no-face-models"))
    return Path(os.environ["NST_FACE_MODELS_DIR"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pairs",
        default="all",
        help="'anchors', 'subjects', 'all' and PHOTO:STYLE pairs, comma-separated",
    )
    parser.add_argument("--strengths", default="soft,medium,strong", help="comma-separated")
    parser.add_argument("--size", type=int, default=512, help="the results' longer side")
    parser.add_argument("--fast", action="store_true", help="also the preview method")
    parser.add_argument("--baseline", action="store_true", help="also the previous recipe")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nst-benchmark")
    parser.add_argument("--grid", type=Path, default=None, help="write the result grid PNG")
    parser.add_argument("--weights", default=None, help="VGG19 weights (default: ../shared's)")
    parser.add_argument("--precision", default="auto", help="auto, float32, bfloat16 or float16")
    parser.add_argument(
        "--buckets", action="store_true", help="paint on the few canvas shapes JAX compiles for"
    )
    args = parser.parse_args(argv)
    args.strengths = args.strengths.split(",")
    return args


def parse_pairs(spec: str) -> list[tuple[str, str]]:
    """Comma-separated groups ("anchors", "subjects", "all") and PHOTO:STYLE pairs, in order:
    the anchor pairs (the targets), the subjects, every other photo x painting, then pairs."""
    groups = set(spec.split(","))
    pairs = []
    if {"anchors", "all"} & groups:
        pairs += list(ANCHORS.values())
    if {"subjects", "all"} & groups:
        pairs += [(photo, style) for photo in SUBJECTS for style in SUBJECT_STYLES]
    if "all" in groups:
        photos = sorted(p.stem for p in (SHARED / "images/photos").iterdir())
        styles = sorted(p.name for p in (SHARED / "images/styles").iterdir())
        pairs += [
            (p, Path(s).stem) for p in photos for s in styles if (p, Path(s).stem) not in pairs
        ]
    for item in spec.split(","):
        if ":" in item:
            photo, style = item.split(":")
            pairs.append((photo, style))
    return list(dict.fromkeys(pairs))


def photo_path(photo: str) -> Path:
    """A labelled photo of tests/data, a shared one, or scikit-image's, saved once as a file so
    every photo is read alike."""
    if (LABELLED / f"{photo}.jpg").is_file():
        return LABELLED / f"{photo}.jpg"
    if photo not in SUBJECTS:
        return SHARED / "images/photos" / f"{photo}.jpg"
    path = Path(tempfile.gettempdir()) / "nst-subjects" / f"{photo}.png"
    if not path.exists():
        import skimage.data

        path.parent.mkdir(exist_ok=True)
        Image.fromarray(getattr(skimage.data, photo)()).save(path)
    return path


def style_path(style: str) -> Path:
    return next((SHARED / "images/styles").glob(f"{style}.*"))


def stylize(
    engine: Any,
    photo: str,
    style: str,
    strength: str,
    args: argparse.Namespace,
    fast: bool = False,
    baseline: bool = False,
) -> Row:
    """One result; the baseline is the previous recipe (run on a float32 engine)."""
    settings = Settings(
        method="fast" if fast else "quality",
        max_side=args.size,
        style_strength=STRENGTHS[strength],
        start="noise" if baseline else "preview",
    )
    method = BASELINE if baseline else f"fast-{strength}" if fast else strength
    plan = previous_plan(settings) if baseline else None
    if args.buckets and not baseline:  # what the canvases of a backend that compiles do
        from nst_engine import plans

        plan = replace(plans.default_plan(settings, warm=True), buckets=True)
    cpu = time.process_time()
    result = engine.run(photo_path(photo), style_path(style), settings, plan=plan)
    cpu = time.process_time() - cpu
    output = args.out / f"{method}_{photo}_{style}_{args.size}.png"
    result.image.save(output)
    row = Row(method, photo, style, output, result.seconds, cpu, result.steps, os.getloadavg()[0])
    print(
        f"{method:12s} {row.pair:45s} {row.seconds:7.1f} s {cpu:7.1f} cpu-s {row.steps:4d} steps",
        flush=True,
    )
    return row


def previous_plan(settings: Settings) -> Any:
    """The schedule before the warm start: 200 steps at 128 px, then 30 at 256 falling with the
    pixel count to the power 1.6 (10 at 512), at least 8; no subject term."""
    from nst_engine import plans

    sides = plans.scale_sides(settings.max_side)
    steps = [200] + [max(8, round(30 * (256 / side) ** 1.6)) for side in sides[1:]]
    return plans.Plan(scales=tuple(zip(sides, steps, strict=True)), subject_weight=0.0)


def measure(rows: list[Row]) -> None:
    """nst_metrics' figures for every output, at its own size and at 128 px, in this process."""
    metrics = _load_metrics()
    vgg, mobile = metrics.Vgg(), metrics.Mobile()
    for row in rows:
        for size, suffix in ((None, ""), (128, "_128")):
            output = metrics.load(str(row.output), longest=size)
            content = metrics.load(str(photo_path(row.photo)), size=output.shape[1::-1])
            style = metrics.load(str(style_path(row.style)), longest=max(output.shape[:2]))
            figures = metrics.figures(vgg, mobile, output, content, style)
            unstyled = metrics.figures(vgg, mobile, content, content, style)
            figures["style_gain"] = 1.0 - figures["style_gram"] / unstyled["style_gram"]
            row.figures.update({name + suffix: value for name, value in figures.items()})
        if row.photo in SUBJECTS:
            row.figures["face_ssim"] = face_ssim(row.output, photo_path(row.photo), row.photo)


def face_ssim(output: Path, photo: Path, subject: str, side: int = 64) -> float:
    """Luminance SSIM of the face's box in the result against the photo's, both at `side` px.

    A face is a small part of the frame, so the whole picture's SSIM hardly moves when it is
    lost; at 64 px this compares the face's shapes (eyes, nose, mouth), not the strokes.
    """
    from skimage.metrics import structural_similarity

    def crop(path: Path) -> np.ndarray:
        image = load_image(path)
        left, top, right, bottom = SUBJECTS[subject]
        box = (left * image.width, top * image.height, right * image.width, bottom * image.height)
        face = image.crop(box).convert("L")
        return np.asarray(face.resize((side, side), Image.Resampling.LANCZOS), np.float64)

    return float(structural_similarity(crop(output), crop(photo), data_range=255.0))


def _load_metrics() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nst_metrics", SHARED / "eval/nst_metrics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def meets_targets(row: Row, anchor: Row | None) -> str:
    if anchor is None or row.method != "medium":
        return ""
    ours, theirs = row.figures, anchor.figures
    met = (
        ours["style_gain"] >= theirs["style_gain"]
        and ours["style_gain_128"] >= theirs["style_gain_128"]
        and ours["style_mobile"] <= theirs["style_mobile"] + 0.01
        and ours["ssim_luma"] >= 0.15
    )
    return "yes" if met else "NO"


def print_table(rows: list[Row]) -> None:
    anchors = {r.pair: r for r in rows if r.method == "anchor"}
    columns = (*COLUMNS, "face_ssim", "seconds", "cpu-s", "steps", "load")
    print(
        f"\n| pair | method | {' | '.join(columns)} | meets anchor |"
        f"\n|---|---|{'---:|' * len(columns)}---|"
    )
    for row in sorted(rows, key=lambda r: (r.pair, r.method != "anchor")):
        names = columns[:5]
        figures = " | ".join(f"{row.figures[c]:.3f}" if c in row.figures else "" for c in names)
        timing = (
            f"{row.seconds:.1f} | {row.cpu_seconds:.1f} | {row.steps} | {row.load:.1f}"
            if row.seconds
            else "| | |"
        )
        target = meets_targets(row, anchors.get(row.pair))
        print(f"| {row.pair} | {row.method} | {figures} | {timing} | {target} |")


def write_grid(rows: list[Row], path: Path, height: int = 150) -> None:
    """Per pair: photo | painting | anchor (where there is one) | previous | medium | strong."""
    by_key = {(r.pair, r.method): r for r in rows}
    pairs = list(dict.fromkeys(r.pair for r in rows if r.method == "medium"))
    methods = [
        m for m in ("anchor", BASELINE, "medium", "strong") if any(r.method == m for r in rows)
    ]
    lines = []
    for pair in pairs:
        medium = by_key[(pair, "medium")]
        tiles = [load_image(photo_path(medium.photo)), load_image(style_path(medium.style))]
        for method in methods:
            if (pair, method) in by_key:
                tiles.append(load_image(by_key[(pair, method)].output))
            else:
                tiles.append(Image.new("RGB", tiles[0].size, "white"))
        lines.append([t.resize((round(t.size[0] * height / t.size[1]), height)) for t in tiles])
    widths = [max(line[i].size[0] for line in lines) for i in range(len(lines[0]))]
    grid = Image.new("RGB", (sum(widths) + 4 * len(widths), len(lines) * (height + 4)), "white")
    for y, line in enumerate(lines):
        for x, tile in enumerate(line):
            grid.paste(tile, (sum(widths[:x]) + 4 * x, y * (height + 4)))
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    print(f"grid: {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    sys.exit(main())
