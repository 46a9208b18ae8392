"""How long a run takes on this machine, measured rather than assumed.

A bot's first promises ("Ready in about 2 min") used to be constants measured once on another
machine, and a print offered at 12 minutes took 160 s. What a step costs follows the machine (its
CPU, its cores, its load); how many steps a run makes at which sides is the engine's own plan
(plans.default_plan, plans.print_plan). So `measure` times a short run of each kind a bot makes,
two steps a scale on synthetic pictures, and `Pace.expected_s` adds up a plan's steps at what
they cost. A run that stops early (a converged scale) takes less than that.
"""

from __future__ import annotations

import io
import itertools
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from nst_engine import plans
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.engine import Engine
    from nst_engine.gatys import Progress

# Steps timed at each scale: the first one's time holds the scale's setup (its targets, its
# features; at the first scale the warm start and the subject too), the others' do not, and their
# median is a step's cost. Small scales' steps take a tenth of a second and a plan has dozens of
# them, so more are timed there (a blip of load weighs less); large ones cost seconds each.
TIMED_STEPS = 2
SMALL_SIDE, SMALL_TIMED_STEPS = 256, 6


@dataclass(frozen=True)
class Cost:
    """What one scale costs: its setup once, then each step."""

    setup_s: float
    step_s: float


@dataclass(frozen=True)
class Pace:
    """Measured costs: the quality method's scales (default layers) and a print's scales (its own
    layers, window by window), by longer side; the fast method by output side."""

    scales: Mapping[int, Cost]
    print_scales: Mapping[int, Cost]
    fast_s: Mapping[int, float]
    warm_start: bool  # the quality method begins from the fast network's painting

    def expected_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        """Seconds a run of `settings` takes (painted_side: a print, from a painting of that
        side); None when nothing of its kind was measured. Sides not measured are scaled from
        the nearest measured one by their pixels."""
        if settings.method == "fast":
            return _scaled(self.fast_s, settings.max_side)
        if painted_side is None and settings.max_side > plans.PAINTED_SIDE:
            # Painted at PAINTED_SIDE, then continued as a print, as Engine.run does.
            painting = self.expected_s(replace(settings, max_side=plans.PAINTED_SIDE))
            printed = self.expected_s(settings, plans.PAINTED_SIDE)
            return None if painting is None or printed is None else painting + printed
        if painted_side is None:
            plan, costs = plans.default_plan(settings, warm=self.warm_start), self.scales
        else:
            plan, costs = plans.print_plan(painted_side, settings.max_side), self.print_scales
        if not costs:
            return None
        total = 0.0
        for side, steps in plan.scales:
            setup = _scaled({s: c.setup_s for s, c in costs.items()}, side)
            step = _scaled({s: c.step_s for s, c in costs.items()}, side)
            assert setup is not None and step is not None
            total += setup + steps * step
        return total

    def to_json(self) -> dict[str, Any]:
        """As a heartbeat carries it (JSON keys are strings)."""
        return {
            "scales": {str(s): [c.setup_s, c.step_s] for s, c in self.scales.items()},
            "print_scales": {str(s): [c.setup_s, c.step_s] for s, c in self.print_scales.items()},
            "fast_s": {str(s): seconds for s, seconds in self.fast_s.items()},
            "warm_start": self.warm_start,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pace:
        return cls(
            {int(s): Cost(*c) for s, c in data["scales"].items()},
            {int(s): Cost(*c) for s, c in data["print_scales"].items()},
            {int(s): float(seconds) for s, seconds in data["fast_s"].items()},
            bool(data["warm_start"]),
        )


def _scaled(measured: Mapping[int, float], side: int) -> float | None:
    """The figure at `side`, from the largest measured side not above it (else the smallest),
    times the pixels' ratio."""
    if not measured:
        return None
    below = [s for s in measured if s <= side]
    base = max(below) if below else min(measured)
    return measured[base] * (side / base) ** 2


def measure(
    engine: Engine, sides: Sequence[int], print_sides: Sequence[int], fast_side: int | None
) -> Pace:
    """Time the scales a quality run of `sides` makes, the first scale of a print to the
    smallest of `print_sides` (from a painting of the largest of `sides`) and, where the fast
    models are there, the fast method at `fast_side`. Seconds on a CPU, a few dozen on a busy
    2-core one at the bot's default sides."""
    photo, painting = _pictures()
    scales: dict[int, Cost] = {}
    if sides:
        ladder = plans.scale_sides(max(sides))
        steps = [SMALL_TIMED_STEPS if side <= SMALL_SIDE else TIMED_STEPS for side in ladder]
        plan = plans.Plan(scales=tuple(zip(ladder, steps, strict=True)), tolerance=None)
        settings = Settings(max_side=max(sides))
        scales = _timed(
            lambda report: engine.run(photo, painting, settings, report, plan=plan), ladder
        )
    print_scales: dict[int, Cost] = {}
    if sides and print_sides:
        painted = max(sides)
        first = plans.print_plan(painted, min(print_sides)).scales[0][0]
        plan = replace(plans.print_plan(painted, first), scales=((first, TIMED_STEPS),))
        finished = _resized(painting, painted)
        settings = Settings(max_side=first)
        print_scales = _timed(
            lambda report: engine.run(
                photo, painting, settings, report, plan=plan, resume=finished
            ),
            [first],
        )
    fast_s: dict[int, float] = {}
    if fast_side is not None and engine.fast is not None:
        fast = Settings(method="fast", max_side=fast_side)
        engine.run(photo, painting, fast)  # the first run sets the networks up
        began = time.perf_counter()
        # A run and its PNG, as a job writes it: at 1024 px the file costs a good part of it.
        engine.run(photo, painting, fast).image.save(io.BytesIO(), "PNG")
        fast_s[fast_side] = time.perf_counter() - began
    return Pace(scales, print_scales, fast_s, warm_start=engine.fast is not None)


def _timed(run: Callable[[Progress], object], sides: Sequence[int]) -> dict[int, Cost]:
    """Each scale's cost (by side, as the run's plan has them) from the times of its reports:
    a step's report has no picture, and each scale ends with one that has."""
    reports: list[tuple[float, bool]] = []
    began = time.perf_counter()
    run(lambda _fraction, picture: reports.append((time.perf_counter(), picture is None)))
    costs: list[Cost] = []
    before, steps = began, []
    for at, is_step in reports:
        if is_step:
            steps.append(at)
            continue
        step = statistics.median(b - a for a, b in itertools.pairwise(steps))
        costs.append(Cost(max(0.0, steps[0] - before - step), step))
        before, steps = at, []
    return dict(zip(sides, costs, strict=True))


def _pictures() -> tuple[Image.Image, Image.Image]:
    """A photo (4:3) and a painting, smooth noise: what they show does not change a step's cost."""
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    painting = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return _resized(photo, 1024), _resized(painting, 512)


def _resized(picture: Image.Image, side: int) -> Image.Image:
    scale = side / max(picture.size)
    size = (round(picture.width * scale), round(picture.height * scale))
    return picture.resize(size, Image.Resampling.BICUBIC)
