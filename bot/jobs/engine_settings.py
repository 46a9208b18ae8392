"""The rules that turn a person's choices (UserSettings) into what the engine is asked to do."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Config
from bot.models import BRUSH_SCALE, STRENGTH_VALUE, JobRequest, Quality, UserSettings
from nst_engine.settings import Settings


def engine_settings(settings: UserSettings, config: Config, fast_available: bool) -> Settings:
    """What the engine is asked to do for a user's choices (FAST falls back when unavailable)."""
    chosen = Settings(
        style_strength=STRENGTH_VALUE[settings.strength],
        preserve_colors=settings.preserve_colors,
        style_scale=BRUSH_SCALE[settings.brush],
        seed=settings.seed,
    )
    if settings.quality is Quality.FAST and fast_available:
        return replace(chosen, method="fast", max_side=config.fast_side)
    side = config.high_side if settings.quality is Quality.HIGH else config.standard_side
    return replace(chosen, method="quality", max_side=side, steps=config.quality_steps)


def with_mix(settings: Settings, request: JobRequest) -> Settings:
    """The engine settings with the mix's weights: first painting, then the second."""
    mix = request.extras.mix
    if mix is None:
        return settings
    return replace(settings, style_weights=(mix.share, 1 - mix.share))


def for_print(settings: Settings, request: JobRequest) -> Settings:
    """A print paints on its finished painting by the quality method, at the print's side (the
    job's own strength, brush, colours, seed and mix kept)."""
    print_size = request.extras.print_size
    if print_size is None:
        return settings
    return replace(settings, method="quality", max_side=print_size.side)
