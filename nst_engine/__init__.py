"""Neural style transfer: Gatys et al. (2015) on VGG19 for quality, Magenta's network for previews.

Knows nothing of Telegram.
"""

from nst_engine.errors import Cancelled, EngineError, ImageError, WeightsError
from nst_engine.settings import Settings

__all__ = ["Cancelled", "EngineError", "ImageError", "Settings", "WeightsError"]
