"""The selfie segmenter's figures for docs/segmentation.md, and its picture.

    python benchmarks/segmentation.py [--grid docs/segmentation_grid.png]

On scikit-image's astronaut photo (512x512): seconds per mask at 512, 1024 and 2048 px; how
much of the picture is person; the soft edge's width; how far the composites are from the
photo and from the painting in the face and in the background; and, on crops of the astronaut
and of the cameraman photo, how well a crop's mask agrees with the whole photo's (IoU at 0.5,
mean absolute difference) when the crop is squashed to the model's square or padded to it.
The model is the copy in mediapipe's wheel (tests/assets.py); the painting is the preview
network's, from ../shared/models, with starry_night.jpg.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from nst_engine.fast import FastStylizer  # noqa: E402
from nst_engine.images import load_image  # noqa: E402
from nst_engine.segmentation import LIGHT_STYLING, PersonSegmenter, composite  # noqa: E402
from nst_engine.settings import Settings  # noqa: E402
from tests.assets import selfie_segmentation_model  # noqa: E402
from tests.test_segmentation import BACKDROP, FACE, FLAG, distance  # noqa: E402

CROPS = [
    (0, 0, 512, 288),
    (0, 100, 512, 388),
    (0, 0, 512, 200),
    (96, 0, 416, 512),
    (140, 0, 372, 512),
]
PADS = ("squash", "reflect", "edge", "grey")


def seconds(segmenter: PersonSegmenter, image: Image.Image, runs: int = 30) -> float:
    segmenter.mask(image)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        segmenter.mask(image)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def padded_mask(segmenter: PersonSegmenter, image: Image.Image, pad: str) -> np.ndarray:
    """The mask of `image` squashed to the model's square, or padded to a square first."""
    if pad == "squash":
        return segmenter.mask(image)
    width, height = image.size
    side = max(width, height)
    top, left = (side - height) // 2, (side - width) // 2
    pixels = np.asarray(image)
    if pad == "grey":
        square = np.full((side, side, 3), 127, np.uint8)
        square[top : top + height, left : left + width] = pixels
    else:
        widths = ((top, side - height - top), (left, side - width - left), (0, 0))
        square = np.pad(pixels, widths, mode=pad)  # type: ignore[call-overload]
    return segmenter.mask(Image.fromarray(square))[top : top + height, left : left + width]


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a > 0.5) & (b > 0.5)).sum() / max(1, ((a > 0.5) | (b > 0.5)).sum()))


def edge_width(mask: np.ndarray, row: int) -> int:
    line = mask[row, : mask.shape[1] // 2]
    return int(((line > 0.05) & (line < 0.95)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", type=Path, help="write photo | mask | composites here")
    args = parser.parse_args()
    print(f"{len(os.sched_getaffinity(0))} cores, load average {os.getloadavg()[0]:.2f}")
    segmenter = PersonSegmenter(selfie_segmentation_model())
    photo = Image.fromarray(data.astronaut())
    for side in (512, 1024, 2048):
        image = photo.resize((side, side), Image.Resampling.LANCZOS)
        mask = segmenter.mask(image)
        print(
            f"mask at {side} px: {seconds(segmenter, image) * 1000:.1f} ms, "
            f"edge {edge_width(mask, side * 100 // 512)} px wide on row {side * 100 // 512}"
        )
    mask = segmenter.mask(photo)
    print(
        f"person: {(mask > 0.5).mean():.1%} of the picture; face min {mask[FACE].min():.3f}, "
        f"backdrop max {mask[BACKDROP].max():.4f}, flag max {mask[FLAG].max():.4f}"
    )
    big = segmenter.mask(photo.resize((1024, 1024), Image.Resampling.LANCZOS))
    small = np.asarray(Image.fromarray(big, "F").resize((512, 512), Image.Resampling.BILINEAR))
    print(f"IoU of the 512-px mask and the 1024-px one scaled down: {iou(mask, small):.4f}")

    stylizer = FastStylizer(SHARED / "models")
    styled = stylizer.stylize(
        photo,
        load_image(SHARED / "images/styles/starry_night.jpg"),
        Settings(method="fast", max_side=512),
    )
    results = {
        "background": composite(photo, styled, mask, "background"),
        "person": composite(photo, styled, mask, "person"),
        f"background, kept {LIGHT_STYLING}": composite(
            photo, styled, mask, "background", LIGHT_STYLING
        ),
    }
    print("mean |difference| 0-255    face: photo painting   backdrop: photo painting")
    for name, image in [("painting", styled), *results.items()]:
        face = distance(image, photo, FACE), distance(image, styled, FACE)
        backdrop = distance(image, photo, BACKDROP), distance(image, styled, BACKDROP)
        print(f"  {name:<25} {face[0]:10.2f} {face[1]:8.2f} {backdrop[0]:15.2f} {backdrop[1]:8.2f}")

    print("crop: a crop's mask against the whole photo's, IoU at 0.5 / mean |difference|")
    totals: dict[str, list[float]] = {pad: [] for pad in PADS}
    for name, whole in [
        ("astronaut", photo),
        ("camera", Image.fromarray(data.camera()).convert("RGB")),
    ]:
        reference = segmenter.mask(whole)
        for box in CROPS:
            truth = reference[box[1] : box[3], box[0] : box[2]]
            cells = []
            for pad in PADS:
                crop_mask = padded_mask(segmenter, whole.crop(box), pad)
                totals[pad].append(iou(crop_mask, truth))
                cells.append(
                    f"{pad} {iou(crop_mask, truth):.3f}/{np.abs(crop_mask - truth).mean():.3f}"
                )
            print(f"  {name} {box}: " + "  ".join(cells))
    print("  mean IoU: " + "  ".join(f"{pad} {np.mean(v):.3f}" for pad, v in totals.items()))
    print("  worst IoU: " + "  ".join(f"{pad} {min(v):.3f}" for pad, v in totals.items()))

    if args.grid:
        panels = [photo, Image.fromarray((mask * 255).round().astype(np.uint8)).convert("RGB")]
        panels += [results["background"], results["person"]]
        grid = Image.new("RGB", (sum(p.width for p in panels) + 8 * 3, photo.height), "white")
        for index, panel in enumerate(panels):
            grid.paste(panel, (index * (photo.width + 8), 0))
        # A palette, as docs/engine_grid.png: a third of the size, and the soft edge still shows.
        palette = grid.quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
        palette.save(args.grid, optimize=True)
        print(f"wrote {args.grid}")


if __name__ == "__main__":
    main()
