"""How a painting process (the bot with its engines in process, or an nst-worker) builds its
engines: on its own lower-priority threads, warmed up, and its pace measured, before the first
job; one face detector shared by all of them."""

from __future__ import annotations

import logging
import os
import sys
import weakref
from typing import TYPE_CHECKING

from bot.config import EngineOptions
from nst_engine import pace

if TYPE_CHECKING:
    from nst_engine.engine import Engine, OptionalModel
    from nst_engine.faces import FaceDetector

log = logging.getLogger(__name__)

# Engine threads run this much nicer than the event loop: under load the scheduler gives the loop
# the CPU first, so answering a message never waits for an optimisation step.
ENGINE_NICENESS = 10

# Paces measured, by engine and options: tests hand one Engine to many runners, and measuring
# again would give the same figures.
_measured: weakref.WeakKeyDictionary[Engine, dict[EngineOptions, pace.Pace]] = (
    weakref.WeakKeyDictionary()
)


def lower_priority() -> None:
    """Make the calling thread (and threads it starts, such as TensorFlow's) yield the CPU.

    On Linux nice() applies to the calling thread only; elsewhere it would slow the whole
    process, event loop included, so it is left alone there.
    """
    if sys.platform == "linux":
        os.nice(ENGINE_NICENESS)


def shared_face_detector(options: EngineOptions) -> OptionalModel[FaceDetector]:
    """The process's one face detector (options.face_models_dir, else the cache), for every
    engine's subject term and for person mode; loaded by the first that asks."""
    # Imported here, at start-up, because TensorFlow takes seconds to import: the CLI, the
    # handlers and a missing-token error must not pay for it.
    from nst_engine.engine import OptionalModel
    from nst_engine.faces import FaceDetector

    return OptionalModel(lambda: FaceDetector(options.face_models_dir))


def build_engine(options: EngineOptions, faces: OptionalModel[FaceDetector]) -> Engine:
    from nst_engine.engine import Engine

    engine = Engine(
        options.vgg_weights,
        options.fast_models_dir,
        precision=options.precision,
        face_detector=faces,
        compilation_cache=options.compilation_cache,
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
    known = _measured.setdefault(engine, {})
    if options not in known:
        known[options] = pace.measure(
            engine, options.warm_sides, options.print_sides, options.fast_side
        )
        log.info("engine pace measured: %s", _summary(known[options], options))
    return known[options]


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
