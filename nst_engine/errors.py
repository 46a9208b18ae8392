"""The engine's errors: each one says what went wrong and what to do, in one line."""


class EngineError(Exception):
    """Base class for every error the engine raises on purpose."""


class Cancelled(EngineError):
    """The caller's cancel event was set; the work stopped within one step."""


class WeightsError(EngineError):
    """Model weights are missing, corrupt, or lack a layer that was asked for."""


class ImageError(EngineError):
    """An input image cannot be used (unreadable, too small, too many pixels)."""
