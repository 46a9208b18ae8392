"""How a painting process (the bot with its engines in process, or an nst-worker) builds its
engines: on its own lower-priority threads (threads.py), warmed up, and its pace measured,
before the first job; the fast service's networks and face detector shared by all of them."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from bot.config import EngineOptions
from nst_engine import pace

if TYPE_CHECKING:
    from bot.jobs.fast_service import FastService
    from nst_engine.engine import Engine

log = logging.getLogger(__name__)

# What a pace is measured on: the warm sides, the print sides, the fast method's side.
Sides = tuple[tuple[int, ...], tuple[int, ...], int]
# Paces measured, by engine and sides (nothing else in the options changes what a step costs:
# the precision is the engine's): tests hand one Engine to many runners, each with a data folder
# and compilation cache of its own, and measuring again would give the same figures.
_measured: weakref.WeakKeyDictionary[Engine, dict[Sides, pace.Pace]] = weakref.WeakKeyDictionary()


def build_engine(options: EngineOptions, fast: FastService) -> Engine:
    """An Engine as `options` say, with the fast service's networks and face detector: the
    process's one copy of each, whatever the number of engines."""
    # Imported here, at start-up, because TensorFlow takes seconds to import: the CLI, the
    # handlers and a missing-token error must not pay for it.
    from nst_engine.engine import Engine

    engine = Engine(
        options.vgg_weights,
        precision=options.precision,
        face_detector=fast.faces,
        compilation_cache=options.compilation_cache,
        fast_networks=fast.networks,
    )
    # Now, at start-up, rather than on someone's first job: the preview and warm-start
    # network, the face detector whose faces are held, and the compiled steps.
    engine.load_fast()
    engine.load_faces()
    seconds = engine.warm_up(options.warm_sides)
    log.info(
        "engine ready: %s on %s, %s, compiled for %s px in %.1f s",
        engine.backend,
        engine.device,
        engine.precision or "float32",
        "/".join(str(side) for side in options.warm_sides),
        seconds,
    )
    return engine


def measured_pace(engine: Engine, options: EngineOptions) -> pace.Pace:
    """What a step costs on this engine at the sides the bot paints (nst_engine/pace.py): the
    first waits a fresh bot promises come from it."""
    sides = (options.warm_sides, options.print_sides, options.fast_side)
    known = _measured.setdefault(engine, {})
    if sides not in known:
        known[sides] = pace.measure(engine, *sides)
        log.info("engine pace measured: %s", _summary(known[sides], options))
    return known[sides]


def _summary(measured: pace.Pace, options: EngineOptions) -> str:
    """A 512 px painting and each print side, as the pace expects them (one log line)."""
    from nst_engine.settings import Settings

    parts = []
    for side in options.warm_sides:
        seconds = measured.expected_s(Settings(max_side=side))
        if seconds is not None:
            parts.append(f"{side} px {seconds:.0f} s")
    painted = max(options.warm_sides, default=0)
    for side in options.print_sides:
        seconds = measured.expected_s(Settings(max_side=side), painted) if painted else None
        if seconds is not None:
            parts.append(f"print {side} px {seconds:.0f} s")
    return ", ".join(parts) or "nothing to measure"
