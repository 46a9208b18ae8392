"""Gatys et al. (2015): optimise an image's pixels until its VGG features have the photo's layout
and the painting's textures, coarse to fine.

The recipe, top to bottom (the measurements behind each choice are in docs/engine.md):

1. The coarsest scale (~128 px) does most of the work. There VGG's deepest style layer sees a
   third of the picture, so the painting's large structures (swirls, skies, big strokes) can form,
   and a step costs a sixteenth of one at 512 px. It starts from the fast network's painting of
   the photo (a warm start: the painting's colours and textures are there already, so it needs
   60 steps rather than the 200 from the photo plus noise) and keeps the photo's layout through
   a content loss whose weight falls as strength rises.
2. Each finer scale starts from the one before, upsampled, and keeps *that* as its content: it
   refines strokes and adds texture at its own size without pulling the photo back in, which
   would undo the large structures. How much of the photo's own fine detail a finer scale may
   bring back is a setting of the look: all of it at soft strength, a quarter at medium (it
   sharpens the painting's own fine texture too), none at strong. Over a face it also holds
   the photo's own content, so that a face, too small at 128 px, stays recognisable; a photo
   without one gets no such term (nor its VGG pass).
3. The painting is resized with the canvas at every scale (times `style_scale`, the brush
   size), so a stroke keeps its size relative to the picture at every scale.
4. The style loss matches the painting's Gram matrices and, beside them, each channel's mean and
   standard deviation (Li et al. 2017): at no measurable cost, it took the last anchor pairs'
   style_mobile (an unrelated network's mean/std view) under jcjohnson's.
5. The scales are 128 px doubling up to the largest below the output's side, then the output's
   side (128, 256, 512, 768 for 768 px): every quality shares its coarser scales' canvases, so
   on a backend that compiles per shape (JAX) the programs compiled for one serve the others.

The maths of one scale (features, losses, the optimiser's step, resizing) is objective.py's, in
keras.ops; the scales and their steps are plans.py's (no backend: the bot reads them too); this
module decides what each scale asks of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from nst_engine import backend, pauses
from nst_engine.backend import Tensor, ops
from nst_engine.canvas import Canvas, fit, resize, zero_pad
from nst_engine.colors import match_colors, transfer_luminance
from nst_engine.errors import Cancelled, ImageError
from nst_engine.images import (
    from_caffe,
    resize_longer_side,
    to_caffe,
    with_large_structures_of,
)
from nst_engine.losses import LossWeights, Scale
from nst_engine.objective import Layers, Objective, Styles
from nst_engine.optim import LBFGS
from nst_engine.plans import Plan, default_plan
from nst_engine.segmentation import resize_mask
from nst_engine.settings import FULL_STYLE_STRENGTH, Settings
from nst_engine.tiles import GRID, TiledObjective, tiled, tiling_for
from nst_engine.vgg import stride

Progress = Callable[[float, Image.Image | None], None]

PRINT_LAYER_SET = "print"

RELU3_STYLE = ("block1_conv1", "block2_conv1", "block3_conv1")
RELU4_STYLE = (*RELU3_STYLE, "block4_conv1")
LAYER_SETS = {
    # Up to relu4_1: what the shared test weights hold.
    "relu4": Layers(style=RELU4_STYLE, content=("block4_conv1",)),
    # relu5_1 sees about twice as much of the picture as relu4_1: larger structures. Losses are
    # normalised per layer, so adding it keeps the look's balance.
    "relu5": Layers(style=(*RELU4_STYLE, "block5_conv1"), content=("block4_conv1",)),
    # The paper's own choice.
    "gatys": Layers(style=(*RELU4_STYLE, "block5_conv1"), content=("block4_conv2",)),
    # A print's scales (1024 px and up, above the painting's side): the painting's strokes are
    # there, enlarged, and its large structures are held (back-projection), so what a print adds
    # is the detail of strokes and edges, which relu3_1 (a 24 px receptive field) sees. Against
    # relu4_1: half the time a step, and the same figures (docs/engine.md).
    PRINT_LAYER_SET: Layers(style=RELU3_STYLE, content=("block3_conv1",)),
}

# The fast network paints the warm start at this longer side, then it is shrunk to the coarsest.
WARM_START_SIDE = 256
# A brush larger than the picture never resizes the painting past this longer side (a 4x brush
# on a large output would otherwise need gigabytes), nor below the shorter one.
MAX_STYLE_SIDE = 1024
MIN_STYLE_SIDE = 64
# A shorter side below this leaves VGG's deepest layers (1/8 of it) next to nothing to see.
MIN_SIDE = 16
# At finer scales: the weight that keeps the previous scale's picture, and total variation
# (none at the coarsest scale, where it would flatten the large strokes; at finer ones it stops
# the pixel noise that a few L-BFGS steps at high resolution leave behind).
CARRY_WEIGHT = 0.05
FINE_TV_WEIGHT = 2.0
# The look at the bot's strengths (0, soft, medium, strong), interpolated between them; above
# strong it stays strong's. At the coarsest scale, the content weight (style weight 1) that holds
# the photo's layout, interpolated in log space; at every finer scale, the share of the photo's
# fine detail brought back (docs/engine.md measures both).
LOOK_STRENGTHS = (0.0, 0.4, FULL_STYLE_STRENGTH, 0.95)
LOOK_CONTENT_WEIGHTS = (20.0, 0.95, 0.15, 0.01)
LOOK_DETAIL = (1.0, 1.0, 0.25, 0.0)


@dataclass(frozen=True)
class Look:
    """What a strength means in loss weights: the knobs of the look, one place to read them."""

    content_weight: float  # at the coarsest scale, where the photo's layout is set
    detail: float  # share of the photo's fine detail that each finer scale brings back, 0..1

    @staticmethod
    def of(strength: float) -> Look:
        log_weight = np.interp(strength, LOOK_STRENGTHS, np.log10(LOOK_CONTENT_WEIGHTS))
        return Look(
            10 ** float(log_weight), float(np.interp(strength, LOOK_STRENGTHS, LOOK_DETAIL))
        )


def style_side(settings: Settings, side: int) -> int:
    """The painting's longer side when a scale of `side` px is painted: the brush's multiple of
    it, so that strokes keep their size relative to the picture at every scale (a print's
    painting is enlarged with it: its strokes are the painting's, not smaller ones)."""
    brush = round(settings.style_scale * side)
    return max(MIN_STYLE_SIDE, min(brush, max(side, MAX_STYLE_SIDE)))


@dataclass
class Run:
    """What one stylization did, for the command line and the benchmark."""

    image: Image.Image
    steps: int = 0


def stylize(
    objective: Objective,
    content: Image.Image,
    styles: Styles,
    settings: Settings,
    plan: Plan | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    start: Image.Image | None = None,
    subject: np.ndarray | None = None,
    resume: Image.Image | None = None,
) -> Run:
    """Run `plan` (default: `default_plan`); the image has the content's aspect ratio.

    start: a picture to begin from (the fast network's painting of the photo: a warm start),
    resized to the coarsest scale; None begins from the photo plus seeded noise.
    resume: a finished painting of this photo to continue at the plan's (larger) scales, each
    of them a finer scale: its large structures stay those of that painting.
    subject: where the photo's faces are, 0..1 at the content's size (faces.hold): the finer
    scales hold the photo's own content there, with plan.subject_weight.

    Progress counts pixels processed, so it moves evenly in time although fine scales' steps cost
    more; a scale that stops early jumps to its end. Each scale but the last ends with a preview.
    """
    plan = plan or default_plan(settings, warm=start is not None)
    buckets = backend.COMPILES_PER_SHAPE if plan.buckets is None else plan.buckets
    photos = [resize_longer_side(content, side) for side, _ in plan.scales]
    if min(photos[0].size) < MIN_SIDE:
        width, height = content.size
        raise ImageError(f"photo is too narrow to stylize at this size: {width}x{height} px")
    if settings.style_strength == 0.0:  # no style at all: the photo, as it is
        return _finish(photos[-1], 0, progress)
    if settings.preserve_colors:
        styles = [(match_colors(style, photos[-1]), weight) for style, weight in styles]
    look = Look.of(settings.style_strength)
    tiling = tiling_for(objective.layers.outputs, plan.tile_memory)
    work = [p.size[0] * p.size[1] * n for p, (_, n) in zip(photos, plan.scales, strict=True)]
    done, steps = 0, 0
    # The scale before the one being painted: (its photo, its canvas); none before the coarsest.
    previous: tuple[Image.Image, Canvas] | None = None
    if resume is not None:
        previous = (
            content.resize(resume.size, Image.Resampling.LANCZOS),
            fit(resume.size, buckets),
        )
        x = ops.convert_to_tensor(previous[1].place(to_caffe(resume)))
    for index, (photo, (side, scale_steps)) in enumerate(zip(photos, plan.scales, strict=True)):
        canvas = fit(photo.size, buckets)
        # The whole canvas at once, or window by window where it is too large for that.
        at_scale: Objective | TiledObjective = objective
        if tiling.needed(canvas.shape):
            canvas, at_scale = canvas.rounded(GRID), tiled(objective, tiling)
        # `keep` is what the content loss holds on to: the photo, then each coarser result.
        if previous is None:
            noise = plan.init_noise * settings.style_strength
            x = ops.convert_to_tensor(
                canvas.place(_starting_point(photo, start, settings.seed, noise))
            )
            keep = ops.convert_to_tensor(canvas.place(to_caffe(photo)))
            weights = LossWeights(
                style=1.0, content=look.content_weight, moments=plan.moments_weight
            )
        else:
            detail = _detail(previous[0], photo, canvas, look.detail)
            x = keep = objective.upsample(x, previous[1], canvas, detail)
            held = plan.subject_weight if subject is not None else 0.0
            weights = LossWeights(
                style=1.0,
                content=CARRY_WEIGHT,
                total_variation=FINE_TV_WEIGHT,
                moments=plan.moments_weight,
                subject=held,
            )
        target = at_scale.style_target(styles, style_side(settings, side), buckets)
        contents = at_scale.contents(keep, canvas)
        held_contents, masks = _subject_terms(at_scale, photo, canvas, contents, subject, weights)
        scale = Scale(
            ops.convert_to_tensor(canvas.region()), target, contents, held_contents, masks
        )
        optimiser = LBFGS(history=plan.history)
        step = at_scale.step(optimiser)
        state = optimiser.init(x)
        scale_losses: list[float] = []
        for number in range(1, scale_steps + 1):
            pauses.point()
            if cancel is not None and cancel.is_set():
                raise Cancelled("stylization cancelled")
            loss, x, state = step(x, state, scale, weights)
            scale_losses.append(float(loss))
            steps += 1
            if progress is not None:
                progress((done + work[index] * number / scale_steps) / sum(work), None)
            if _converged(scale_losses, plan):
                break
        done += work[index]
        previous = (photo, canvas)
        if progress is not None and index < len(photos) - 1:
            progress(done / sum(work), _picture(x, canvas))
    image = _picture(x, canvas)
    if settings.preserve_colors:
        image = transfer_luminance(image, photos[-1])
    if resume is not None:  # a print: its detail over the finished painting's large structures
        image = with_large_structures_of(resume, image)
    return _finish(image, steps, progress)


def _subject_terms(
    objective: Objective | TiledObjective,
    photo: Image.Image,
    canvas: Canvas,
    contents: list[Tensor],
    subject: np.ndarray | None,
    weights: LossWeights,
) -> tuple[list[Tensor], list[Tensor]]:
    """The photo's content features and the subject mask at each content layer's size.

    Without a subject (or at weight 0) the term is off: the scale's own contents and a zero
    mask stand in, so the step keeps one compiled signature and costs no extra VGG pass.
    """
    if subject is None or weights.subject == 0.0:
        return contents, [ops.zeros((*c.shape[:3], 1)) for c in contents]
    held = objective.contents(ops.convert_to_tensor(canvas.place(to_caffe(photo))), canvas)
    width, height = photo.size
    masks = []
    for layer, features in zip(objective.layers.content, held, strict=True):
        size = (width // stride(layer), height // stride(layer))
        mask = resize_mask(subject, size)[None, :, :, None]
        masks.append(ops.convert_to_tensor(zero_pad(mask, features.shape)))
    return held, masks


def _starting_point(
    photo: Image.Image, start: Image.Image | None, seed: int, noise: float
) -> np.ndarray:
    """The warm start at the photo's size, or the photo plus `noise` levels of seeded noise.

    The noise gives the style a foothold in flat areas such as a clear sky; the warm start has
    the painting's texture there already.
    """
    if start is not None:
        return to_caffe(start.convert("RGB").resize(photo.size, Image.Resampling.LANCZOS))
    x = to_caffe(photo)
    return x + noise * np.random.default_rng(seed).standard_normal(x.shape, np.float32)


def _detail(
    coarse_photo: Image.Image, photo: Image.Image, canvas: Canvas, share: float
) -> np.ndarray:
    """`share` of the photo's detail that the coarser scale lacked, on the finer scale's canvas.

    That detail is photo - upsampled(coarse photo): edges and textures too small for the coarse
    scale. All of it keeps the photo crisp under the painting's texture (soft); a quarter keeps
    the outlines one recognises and gives the finer scale's strokes an edge to follow (medium);
    none lets the finer scale paint over them freely (strong).
    """
    if share == 0.0:
        return np.zeros((1, *canvas.shape, 3), np.float32)
    lacking = to_caffe(photo) - resize(to_caffe(coarse_photo), photo.size)
    return canvas.place(share * lacking)


def _picture(x: Tensor, canvas: Canvas) -> Image.Image:
    return from_caffe(canvas.crop(ops.convert_to_numpy(x)))


def _finish(image: Image.Image, steps: int, progress: Progress | None) -> Run:
    if progress is not None:
        progress(1.0, image)
    return Run(image, steps)


def _converged(history: list[float], plan: Plan) -> bool:
    if plan.tolerance is None or len(history) <= plan.window:
        return False
    before, now = history[-plan.window - 1], history[-1]
    return before - now < plan.tolerance * abs(before)
