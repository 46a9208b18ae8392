"""A painter process for benchmarks/versus.py: one Engine of whichever nst_engine is first on
PYTHONPATH, one JSON job a line on stdin, one JSON answer a line on stdout.

    PYTHONPATH=TREE python benchmarks/painter.py
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SHARED = Path(os.environ.get("NST_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def main() -> int:
    from nst_engine.engine import Engine
    from nst_engine.settings import Settings

    weights = SHARED / "models/vgg19_normalised_to_block4_conv1.h5"
    engine = Engine(weights, fast_models_dir=SHARED / "models")
    for line in sys.stdin:
        job = json.loads(line)
        settings = Settings(max_side=job["size"], style_strength=job["strength"])
        cpu = time.process_time()
        result = engine.run(job["photo"], job["style"], settings)
        cpu = time.process_time() - cpu
        result.image.save(job["out"])
        print(json.dumps({"seconds": result.seconds, "cpu": cpu, "steps": result.steps}))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
