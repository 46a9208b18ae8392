"""Faces: what the detectors find on the labelled photos, and the hold on a person (an earlier
revision's: the selfie segmenter's mask) beside the hold on faces, painted in one run.

    python benchmarks/faces.py [REV] [--style starry_night] [--size 512] [--out DIR]
                               [--grid docs/faces_grid.png] [--no-paint]

1. Detection (docs/segmentation.md): for every photo of tests/data (and scikit-image's
   astronaut), the faces that the full range model finds alone, the short range model alone,
   and both as nst_engine.faces combines them, at 512 and 256 px and on close crops of two
   faces; the share of the picture that the selfie segmenter calls a person (what REV held) and
   that the faces' hold covers; and the milliseconds a detection takes.
2. Painting (docs/engine.md): every photo with --style at --size, by REV's engine (default: the
   merge-base with main, before the face detectors) and by this checkout's, taking turns in
   processes of their own (benchmarks/versus.py), and for the photos without a face, this
   checkout's again without any subject term. For each: wall and CPU seconds, nst_metrics'
   figures (benchmarks/engine.py), and where there are faces face_ssim (the luminance SSIM of
   the faces' boxes against the photo's, at 64 px) and below_ssim (the same one face lower:
   the neck and clothes).
3. --grid: photo | REV | this checkout, two photos a row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import engine as bench  # noqa: E402 (benchmarks/engine.py: paths, figures, rows)
import versus  # noqa: E402 (the engine processes)

from nst_engine.faces import FULL, SHORT, Face, FaceDetector, hold  # noqa: E402
from nst_engine.images import load_image, resize_longer_side  # noqa: E402

PHOTOS = [*sorted(path.stem for path in bench.LABELLED.glob("*.jpg")), "astronaut"]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    face_models = bench.use_test_models(args.out)
    detector = FaceDetector(face_models)
    print(f"load average before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores")
    detection(detector)
    if args.no_paint:
        return 0
    rows = paint(args, detector)
    bench.measure(rows)
    for row in rows:
        row.figures.update(face_figures(detector, row))
    print_table(rows)
    if args.grid:
        write_grid(rows, args.grid)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


def detection(detector: FaceDetector) -> None:
    """Faces found per photo and way, the segmenter's person share, the hold's, the time."""
    from nst_engine.segmentation import PersonSegmenter
    from tests.assets import selfie_segmentation_model

    segmenter = PersonSegmenter(selfie_segmentation_model())
    print(
        "\n| photo | full range alone | short range alone | both (the engine's) | face sizes |"
        " person (segmenter) | held (faces) |\n|---|---|---|---|---|---:|---:|"
    )
    pictures = {name: load_image(bench.photo_path(name)) for name in PHOTOS}
    pictures.update(close_crops(detector, pictures))
    for name, picture in pictures.items():
        counts = []
        for ways in (
            lambda p: detector._detect(FULL, p),
            lambda p: detector._detect(SHORT, p),
            detector.faces,
        ):
            counts.append(
                "/".join(str(len(ways(resize_longer_side(picture, s)))) for s in (512, 256))
            )
        photo = resize_longer_side(picture, 512)
        found = detector.faces(photo)
        held = hold(found, photo.size)
        sizes = ", ".join(f"{face.size / max(photo.size):.3f}" for face in found)
        person = float((segmenter.mask(photo) > 0.5).mean())
        print(
            f"| {name} | {' | '.join(counts)} | {sizes} | {person:.2f} | "
            f"{0.0 if held is None else float(held.mean()):.3f} |"
        )
    photo = resize_longer_side(pictures["group"], 512)
    times = []
    for _ in range(30):
        began = time.perf_counter()
        detector.faces(photo)
        times.append(time.perf_counter() - began)
    print(f"\nfaces() on a 512 px photo: median {1000 * statistics.median(times):.1f} ms")


def close_crops(detector: FaceDetector, pictures: dict[str, Image.Image]) -> dict[str, Image.Image]:
    """The portrait's and the bearded man's faces cropped to fill 90 % and 110 % of the frame."""
    crops = {}
    for name in ("portrait", "beard_glasses"):
        (face,) = detector.faces(pictures[name])
        left, top, right, bottom = face.box
        middle_x, middle_y = (left + right) / 2, (top + bottom) / 2
        for fill in (0.9, 1.1):
            half = face.size / fill / 2
            box = (middle_x - half, middle_y - half, middle_x + half, middle_y + half)
            crops[f"{name}, face {round(100 * fill)} % of the frame"] = pictures[name].crop(box)
    return crops


def paint(args: argparse.Namespace, detector: FaceDetector) -> list[bench.Row]:
    """Each photo by REV and by this checkout, alternately first; the faceless ones again by
    this checkout without the subject term ("nohold")."""
    previous = versus.unpack(args.rev, args.out / "previous-tree")
    processes = {"previous": versus.start(previous), "current": versus.start(REPO)}
    print(f"\nprevious = {args.rev}; style {args.style}; {args.size} px", flush=True)
    rows = []
    for index, photo in enumerate(PHOTOS):
        order = ["previous", "current"] if index % 2 == 0 else ["current", "previous"]
        picture = resize_longer_side(load_image(bench.photo_path(photo)), args.size)
        if not detector.faces(picture):
            order.append("nohold")
        for name in order:
            output = args.out / f"{name}_{photo}_{args.style}_{args.size}.png"
            job = {
                "photo": str(bench.photo_path(photo)),
                "style": str(bench.style_path(args.style)),
                "size": args.size,
                "strength": bench.STRENGTHS["medium"],
                "out": str(output),
            }
            if name == "nohold":
                job["subject_weight"] = 0.0
            done = versus.ask(processes["current" if name == "nohold" else name], job)
            row = bench.Row(name, photo, args.style, output, done["seconds"], done["cpu"])
            row.steps, row.load = done["steps"], os.getloadavg()[0]
            rows.append(row)
            print(f"{name:9s} {photo:14s} {row.seconds:6.1f} s {row.cpu_seconds:6.1f} cpu-s")
    for process in processes.values():
        process.stdin.close()  # type: ignore[union-attr]
        process.wait(timeout=60)
    return rows


def face_figures(detector: FaceDetector, row: bench.Row) -> dict[str, float]:
    """face_ssim and below_ssim over the faces the detector finds in the photo at the
    result's size; none where it finds none."""
    from skimage.metrics import structural_similarity

    result = load_image(row.output)
    photo = load_image(bench.photo_path(row.photo)).resize(result.size, Image.Resampling.LANCZOS)
    found = detector.faces(photo)
    if not found:
        return {}

    def ssim(face: Face, lower: float) -> float:
        left, top, right, bottom = face.box
        shift = lower * (bottom - top)
        box = (left, top + shift, right, bottom + shift)

        def crop(image: Image.Image) -> np.ndarray:
            part = image.crop(box).convert("L").resize((64, 64), Image.Resampling.LANCZOS)
            return np.asarray(part, np.float64)

        return float(structural_similarity(crop(result), crop(photo), data_range=255.0))

    return {
        "face_ssim": float(np.mean([ssim(face, 0.0) for face in found])),
        "below_ssim": float(np.mean([ssim(face, 1.0) for face in found])),
    }


def print_table(rows: list[bench.Row]) -> None:
    """One line a photo: REV → this checkout; the faceless ones' largest difference from the
    painting without any subject term."""
    by_photo: dict[str, dict[str, bench.Row]] = {}
    for row in rows:
        by_photo.setdefault(row.photo, {})[row.method] = row
    names = [*bench.COLUMNS, "face_ssim", "below_ssim"]
    print(
        "\n| photo | seconds (ratio) | CPU s (ratio) | "
        + " | ".join(names)
        + " | vs no hold |\n|---|---|---|"
        + "---|" * (len(names) + 1)
    )
    for photo, by_method in by_photo.items():
        before, after = by_method["previous"], by_method["current"]
        figures = " | ".join(
            f"{before.figures[n]:.3f} → {after.figures[n]:.3f}" if n in after.figures else ""
            for n in names
        )
        plain = by_method.get("nohold")
        same = ""
        if plain is not None:
            same = f"{max(abs(after.figures[n] - plain.figures[n]) for n in bench.COLUMNS):.4f}"
            same += " (same pixels)" if _same_pixels(after, plain) else ""
        print(
            f"| {photo} | {before.seconds:.1f} → {after.seconds:.1f} "
            f"({after.seconds / before.seconds:.2f}) | {before.cpu_seconds:.1f} → "
            f"{after.cpu_seconds:.1f} ({after.cpu_seconds / before.cpu_seconds:.2f}) | "
            f"{figures} | {same} |"
        )


def _same_pixels(a: bench.Row, b: bench.Row) -> bool:
    return bool(np.array_equal(np.asarray(load_image(a.output)), np.asarray(load_image(b.output))))


def write_grid(rows: list[bench.Row], path: Path, height: int = 128) -> None:
    """photo | REV | this checkout, two photos a row, as a 256-colour PNG."""
    by_key = {(row.photo, row.method): row for row in rows}
    triples = []
    for photo in PHOTOS:
        tiles = [load_image(bench.photo_path(photo))]
        tiles += [load_image(by_key[(photo, method)].output) for method in ("previous", "current")]
        triples.append([t.resize((round(t.width * height / t.height), height)) for t in tiles])
    lines = [triples[i : i + 2] for i in range(0, len(triples), 2)]
    gap = 4
    width = max(sum(t.width + gap for triple in line for t in triple) + 3 * gap for line in lines)
    grid = Image.new("RGB", (width, len(lines) * (height + gap)), "white")
    for y, line in enumerate(lines):
        x = 0
        for triple in line:
            for tile in triple:
                grid.paste(tile, (x, y * (height + gap)))
                x += tile.width + gap
            x += 3 * gap
    path.parent.mkdir(parents=True, exist_ok=True)
    grid.quantize(256, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    print(f"grid: {path} ({path.stat().st_size // 1024} KB)")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default=None, help="default: the merge-base with main")
    parser.add_argument("--style", default="starry_night")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "nst-faces")
    parser.add_argument("--grid", type=Path, default=None)
    parser.add_argument("--no-paint", action="store_true")
    args = parser.parse_args(argv)
    if args.rev is None:
        base = ["git", "-C", str(REPO), "merge-base", "HEAD", "main"]
        args.rev = subprocess.run(base, check=True, capture_output=True, text=True).stdout.strip()
    return args


if __name__ == "__main__":
    sys.exit(main())
