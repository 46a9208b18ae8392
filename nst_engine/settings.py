"""Settings for one stylization: a frozen value, so a job's settings can be stored and replayed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Method = Literal["quality", "fast"]

# The strength from which both methods paint the whole picture in the painting's manner (medium);
# below it the photo shows through more and more, and at 0 it is all that is left.
FULL_STYLE_STRENGTH = 0.7
LayerSet = Literal["default", "gatys"]
# Where the quality method's optimisation begins: the fast network's painting of the photo (a
# warm start, a painting already) or the photo plus seeded noise (Gatys' own start).
Start = Literal["preview", "noise"]


@dataclass(frozen=True)
class Settings:
    """What a person can feel in the result; every field has a default that looks good.

    method: "quality" optimises the image (Gatys et al.); "fast" is one forward pass of
        Magenta's arbitrary-style network (a preview in about a second).
    max_side: the output's longer side in pixels; the content's aspect ratio is kept.
    steps: the optimisation step budget over all scales; None means the default for max_side.
    style_strength: 0 keeps the photo, 1 is all painting.
    preserve_colors: keep the photo's colours and take only the painting's texture.
    style_scale: brush size, the style image's size relative to the output.
    seed: makes runs repeatable.
    style_weights: how much of each painting when several are mixed, in their order; None
        weighs them equally. Normalised here to sum to 1.
    layers: "default" (style relu1_1..relu4_1, plus relu5_1 where the weights hold it; content
        relu4_1) or Gatys' set (style relu1_1..relu5_1, content relu4_2; needs full VGG19 weights).
    start: "preview" begins the quality method from the fast network's painting, so it needs far
        fewer steps; "noise" from the photo plus seeded noise. Without the fast models,
        "preview" falls back to "noise".
    """

    method: Method = "quality"
    max_side: int = 512
    steps: int | None = None
    style_strength: float = 0.7
    preserve_colors: bool = False
    style_scale: float = 1.0
    seed: int = 0
    layers: LayerSet = "default"
    style_weights: tuple[float, ...] | None = None
    start: Start = "preview"

    def __post_init__(self) -> None:
        if self.style_weights is not None:
            weights = tuple(float(w) for w in self.style_weights)
            if not weights or not all(math.isfinite(w) and w >= 0 for w in weights):
                raise ValueError(f"style_weights must be finite and >= 0, not {weights}")
            if sum(weights) <= 0:
                raise ValueError("style_weights must not all be 0")
            object.__setattr__(self, "style_weights", tuple(w / sum(weights) for w in weights))
        if self.method not in ("quality", "fast"):
            raise ValueError(f"method must be 'quality' or 'fast', not {self.method!r}")
        if not 64 <= self.max_side <= 4096:
            raise ValueError(f"max_side must be between 64 and 4096, not {self.max_side}")
        if self.steps is not None and self.steps < 1:
            raise ValueError(f"steps must be positive, not {self.steps}")
        if not 0.0 <= self.style_strength <= 1.0:
            raise ValueError(f"style_strength must be in [0, 1], not {self.style_strength}")
        if not 0.1 <= self.style_scale <= 4.0:
            raise ValueError(f"style_scale must be in [0.1, 4], not {self.style_scale}")
        if self.start not in ("preview", "noise"):
            raise ValueError(f"start must be 'preview' or 'noise', not {self.start!r}")
        if self.layers not in ("default", "gatys"):
            raise ValueError(f"layers must be 'default' or 'gatys', not {self.layers!r}")

    def weights_for(self, count: int) -> tuple[float, ...]:
        """The normalised weight of each of `count` paintings; ValueError if they disagree."""
        if self.style_weights is None:
            return (1.0 / count,) * count
        if len(self.style_weights) != count:
            raise ValueError(f"{len(self.style_weights)} style weights for {count} style images")
        return self.style_weights
