"""How the recipe spends its steps: the scales, the steps at each, the side a painting is painted
at, and how a print continues it (gatys.py runs a plan; docs/engine.md measures each choice).

Arithmetic only, no backend: the bot's wait estimates (pace.py) read a plan without importing
TensorFlow, so a bot whose engines are on workers, or one that stops at start, never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from nst_engine.settings import Settings

# The coarsest scale's longer side; each finer one doubles it, up to the output's side.
COARSEST_SIDE = 128
# Steps at the coarsest scale from photo + noise, and from the fast network's painting (which
# has the painting's colours and textures already); at finer ones: 30 at 256 px, falling
# slower than the pixel count grows (12 at 512 px), never fewer than MIN_FINE_STEPS.
COARSE_STEPS = 200
WARM_COARSE_STEPS = 60
FINE_STEPS_AT_256 = 30
FINE_STEPS_EXPONENT = 1.32
MIN_FINE_STEPS = 8
# The weight of the photo's own content over its faces at finer scales (Plan.subject_weight).
SUBJECT_WEIGHT = 0.4
# The side a quality picture is painted at: a larger one is that painting continued as a print
# (Engine.run), because the coarsest scale would be too small a share of it to make the
# painting's large structures.
PAINTED_SIDE = 512
# Steps at a print's first scale and at each finer one (a finished painting continued at 2048
# or 4096 px): a 1024 px step costs a quarter of a 2048 px one, so the first scale takes more.
PRINT_STEPS = (4, 3)
# Activations of one window, in bytes (tiles.py): a 768x576 canvas in two windows. At a print's
# scales, where relu1_1's maps dominate more than tiles.py's estimate weighs them, a smaller
# budget: 416x544 px windows, 16 at 2048 px, a peak RSS of 2.8 GB (docs/engine.md).
TILE_MEMORY = 1.0e9
PRINT_TILE_MEMORY = 0.7e9


@dataclass(frozen=True)
class Plan:
    """How to spend the steps: per scale (longer side, step budget), the optimiser's memory,
    when to stop."""

    scales: tuple[tuple[int, int], ...]
    # Steps L-BFGS (optim.py) remembers: its estimate of the loss's curvature.
    history: int = 10
    # A scale stops once the loss fell by less than this fraction over the last `window` steps
    # (converged: the picture no longer changes visibly); None runs every step.
    tolerance: float | None = 0.001
    window: int = 10
    # Standard deviation, in 0-255 pixel units at full strength, of the seeded noise added to
    # the photo to start from: it gives the style a foothold in flat areas such as a clear sky.
    init_noise: float = 8.0
    # Weight of the channels' mean/deviation loss beside the Gram loss (weight 1), at every scale:
    # at equal time it lowered style_mobile by 0.01-0.03 on the anchors (docs/engine.md); 0 is
    # Gatys' Gram loss alone.
    moments_weight: float = 1.0
    # Weight, at every finer scale, of the photo's own content over its faces (the
    # content loss elsewhere holds only the coarser result): it keeps a face recognisable,
    # which the coarsest scale, where a face is a few dozen pixels, paints over. 0 turns it off
    # (docs/engine.md measures both).
    subject_weight: float = SUBJECT_WEIGHT
    # Bytes of activations a step may hold at once: a larger canvas is painted window by window
    # (tiles.py), exactly, so that memory follows this and not the picture.
    tile_memory: float = TILE_MEMORY
    # Paint on one of a few canvas shapes (canvas.py) rather than the picture's own: what a
    # backend that compiles per shape needs; None: as the backend the engine runs on needs.
    # The result has the picture's exact size either way.
    buckets: bool | None = None


def scale_sides(max_side: int) -> list[int]:
    """Longer sides from COARSEST_SIDE, doubling, to max_side: 128, 256, 512, 768 for 768."""
    sides = [COARSEST_SIDE * 2**k for k in range(16) if COARSEST_SIDE * 2**k < max_side]
    return [*sides, max_side]


def default_plan(settings: Settings, warm: bool = False) -> Plan:
    """Most steps at the cheap coarsest scale, fewer from a warm start; `settings.steps`
    rescales the whole budget."""
    sides = scale_sides(settings.max_side)
    steps = [WARM_COARSE_STEPS if warm else COARSE_STEPS] + [
        max(MIN_FINE_STEPS, round(FINE_STEPS_AT_256 * (256 / side) ** FINE_STEPS_EXPONENT))
        for side in sides[1:]
    ]
    if settings.steps is not None:
        total = sum(steps)
        steps = [max(1, round(n * settings.steps / total)) for n in steps]
        steps[0] += settings.steps - sum(steps)  # exactly the budget asked for
    return Plan(scales=tuple((s, n) for s, n in zip(sides, steps, strict=True) if n > 0))


def print_plan(painted_side: int, max_side: int) -> Plan:
    """A finished painting continued at max_side (print size): the ladder's scales above the
    painting's own side, PRINT_STEPS, L-BFGS remembering only as many steps as a scale takes
    (at 4096 px each remembered step is two 150-MB images). It is painted with the print's
    layers (gatys.PRINT_LAYER_SET). No subject term: the painting's faces are there already,
    and its large structures are held."""
    sides = [side for side in scale_sides(max_side) if side > painted_side]
    if not sides:
        raise ValueError(f"a print must be larger than the painting's {painted_side} px")
    first, finer = PRINT_STEPS
    steps = [first] + [finer] * (len(sides) - 1)
    return Plan(
        scales=tuple(zip(sides, steps, strict=True)),
        history=max(steps) - 1,
        subject_weight=0.0,
        tile_memory=PRINT_TILE_MEMORY,
    )
