"""An engine process for benchmarks/versus.py and faces.py: one Engine of whichever nst_engine
is first on PYTHONPATH, one JSON job a line on stdin, one JSON answer a line on stdout.

    PYTHONPATH=TREE python benchmarks/engine_process.py
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("NST_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def main() -> int:
    from nst_engine import plans
    from nst_engine.engine import Engine
    from nst_engine.settings import Settings

    weights = SHARED / "models/vgg19_normalised_to_block4_conv1.h5"
    options: dict[str, Any] = {"fast_models_dir": SHARED / "models"}
    # Revisions before the face detectors held a person through $NST_SEGMENTATION_MODEL.
    if "face_models_dir" in inspect.signature(Engine).parameters:
        options["face_models_dir"] = os.environ.get("NST_FACE_MODELS_DIR")
    engine = Engine(weights, **options)
    for line in sys.stdin:
        job = json.loads(line)
        settings = Settings(max_side=job["size"], style_strength=job["strength"])
        plan = None
        if "subject_weight" in job:  # this revision's default plan with another weight
            plan = plans.default_plan(settings, warm=engine.fast is not None)
            plan = dataclasses.replace(plan, subject_weight=job["subject_weight"])
        cpu = time.process_time()
        result = engine.run(job["photo"], job["style"], settings, plan=plan)
        cpu = time.process_time() - cpu
        result.image.save(job["out"])
        print(json.dumps({"seconds": result.seconds, "cpu": cpu, "steps": result.steps}))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
