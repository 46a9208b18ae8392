"""A scale's terms built in tests as the recipe builds them, to read the loss of a picture."""

from __future__ import annotations

from PIL import Image

from nst_engine.backend import ops
from nst_engine.canvas import Canvas
from nst_engine.images import to_caffe
from nst_engine.losses import Scale
from nst_engine.objective import Objective


def coarsest_scale(objective: Objective, photo: Image.Image, painting: Image.Image) -> Scale:
    """The first scale's terms for a photo at its own size: its content, the painting's style."""
    canvas = Canvas.exact(photo.size)
    contents = objective.contents(to_caffe(photo), canvas)
    masks = [ops.zeros((*c.shape[:3], 1)) for c in contents]
    style = objective.style_target([(painting, 1.0)], max(photo.size), buckets=False)
    return Scale(canvas.region(), style, contents, contents, masks)
