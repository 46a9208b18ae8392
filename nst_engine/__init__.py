"""Neural style transfer: Gatys et al. (2015) on VGG19 for quality, Magenta's network for previews.

Knows nothing of Telegram. Importing this package is cheap: TensorFlow loads on first use of
`Engine`, so a process that only checks images never pays for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Before any submodule imports TensorFlow: its C++ INFO/WARNING/ERROR lines (CPU features, no
# CUDA driver) are noise to a bot's log or a terminal. An explicit setting still wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from nst_engine.errors import Cancelled, EngineError, ImageError, WeightsError
from nst_engine.settings import Settings

if TYPE_CHECKING:
    from nst_engine.engine import Engine

__all__ = [
    "Cancelled",
    "Engine",
    "EngineError",
    "ImageError",
    "Settings",
    "WeightsError",
]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from nst_engine.engine import Engine

        return Engine
    raise AttributeError(f"module 'nst_engine' has no attribute {name!r}")
