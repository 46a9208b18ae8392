"""Small paintings in a process of their own, on whichever backend $KERAS_BACKEND names:

    python -m tests.engine.paint_small WEIGHTS PHOTO PAINTING OUT.json [PRECISION ...]

One painting in each precision named (float32 when none is), each by an Engine of its own. It
writes what the cross-backend tests compare (each picture, its loss), and what a process reveals
only from inside: whether TensorFlow was imported, and on JAX how often the persistent
compilation cache answered and how long compiling took. The cache is $NST_COMPILATION_CACHE,
read here as `nst` reads it (the engine is given the folder), else the engine's default.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np


def main(weights: str, photo: str, painting: str, out: str, *precisions: str) -> None:
    events: Counter[str] = Counter()
    compile_s = 0.0
    began = time.perf_counter()
    cache = os.environ.get("NST_COMPILATION_CACHE") or None
    from nst_engine import backend

    if backend.NAME == "jax":
        import jax.monitoring

        def seconds(event: str, duration_secs: float, **_: str | int) -> None:
            nonlocal compile_s
            if event == "/jax/core/compile/backend_compile_duration":
                compile_s += duration_secs

        jax.monitoring.register_event_listener(lambda event, **_: events.update([event]))
        jax.monitoring.register_event_duration_secs_listener(seconds)

    from nst_engine import Settings, plans, precision
    from nst_engine.engine import Engine
    from nst_engine.images import load_image, resize_longer_side, to_caffe
    from nst_engine.losses import LossWeights
    from tests.engine.scales import coarsest_scale

    picture, style = resize_longer_side(load_image(photo), 64), load_image(painting)
    plan = plans.Plan(scales=((64, 8),), tolerance=None, buckets=True)
    paintings = {}
    for name in precisions or ("float32",):
        choice = precision.from_env({precision.PRECISION_ENV: name})
        engine = Engine(weights, Path(weights).parent, choice, compilation_cache=cache)
        settings = Settings(max_side=64, start="noise")
        result = engine.run(picture, style, settings, plan=plan).image
        objective = engine._objective("default")
        scale = coarsest_scale(objective, picture, resize_longer_side(style, 64))
        terms = LossWeights(style=1.0, content=0.15, moments=1.0)
        loss = objective.evaluate(to_caffe(result), scale, terms)
        paintings[name] = {"pixels": np.asarray(result).tolist(), "loss": loss}
    report = {
        "backend": backend.NAME,
        "paintings": paintings,
        "tensorflow_imported": "tensorflow" in sys.modules,
        "cache_hits": events["/jax/compilation_cache/cache_hits"],
        "compile_s": compile_s,
        "seconds": time.perf_counter() - began,
    }
    Path(out).write_text(json.dumps(report))


if __name__ == "__main__":
    main(*sys.argv[1:])
