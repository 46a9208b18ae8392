"""The engine's public face: build the network once, then stylize many times."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from nst_engine import backend, canvas, gatys, pauses, plans
from nst_engine import precision as _precision
from nst_engine.errors import EngineError
from nst_engine.faces import FaceDetector, hold
from nst_engine.fast import FastStylizer, cache_dir
from nst_engine.images import ImageSource, load_image, resize_longer_side
from nst_engine.objective import Objective, Styles
from nst_engine.optional import OptionalModel
from nst_engine.settings import Settings
from nst_engine.vgg import load_weights, resolve_weights, vgg19_features, weight_layers


@dataclass(frozen=True)
class Result:
    """A finished stylization and what it cost."""

    image: Image.Image
    seconds: float
    steps: int
    device: str


class Engine:
    """Holds the VGG19 feature extractor; quality runs from several threads take turns (a lock).

    The extractors for the default layers and for prints are built now, so a missing weights
    file is found at start-up rather than on the first user's photo. Gatys' deeper layer set is
    built on first use.
    On a backend that compiles per shape (JAX), `warm_up` compiles the common canvases before
    the first job, and compiled programs are kept in `compilation_cache` for the next process.
    Every model and folder is an argument, else the download cache: the engine reads no
    environment variable for them (bot/config.py and `nst` do).
    """

    def __init__(
        self,
        vgg_weights: str | Path | None = None,
        fast_models_dir: str | Path | None = None,
        precision: _precision.Choice | None = None,
        face_models_dir: str | Path | None = None,
        face_detector: OptionalModel[FaceDetector] | None = None,
        compilation_cache: str | Path | None = None,
        fast_networks: OptionalModel[FastStylizer] | None = None,
    ) -> None:
        """face_models_dir: the folder holding both face detectors (else they are downloaded
        into the cache); face_detector: one already built and shared (the bot's fast service
        hands every engine and person mode the same), instead of one of its own; likewise
        fast_networks, the fast method's, instead of loading fast_models_dir's.
        compilation_cache: where JAX keeps compiled programs; else the download cache's
        `compiled` folder."""
        self.weights_path = resolve_weights(vgg_weights)
        self.compilation_cache = backend.use_compilation_cache(
            Path(compilation_cache or cache_dir() / "compiled").expanduser()
        )
        # Optional models, loaded (downloaded, if need be) on first use, so a quality-only run
        # offline never looks for them. Without Magenta's files there are no previews and no
        # warm start; without the face detector no face is held at the finer scales.
        self.fast_networks = fast_networks or OptionalModel(lambda: FastStylizer(fast_models_dir))
        self.face_detector = face_detector or OptionalModel(lambda: FaceDetector(face_models_dir))
        self.backend = backend.NAME
        self.device = backend.device()
        # Convolutions in bfloat16 where the machine has fast kernels for it, losses in float32
        # (nst_engine/precision.py); `precision` or $NST_PRECISION overrides the choice. A CPU's
        # bfloat16 kernels are oneDNN's, which only the TensorFlow backend uses.
        self.precision = _precision.choose(
            precision or _precision.from_env(),
            gpu=self.device.startswith("GPU"),
            flags=_precision.cpu_flags() if backend.NAME == "tensorflow" else frozenset(),
        )
        self._objectives: dict[str, Objective] = {}
        self._lock = threading.Lock()
        # relu5_1 where the weights hold it (Keras' full ImageNet file), else up to relu4_1.
        deep = "block5_conv1" in weight_layers(self.weights_path)
        self.default_layers = "relu5" if deep else "relu4"
        self._objective("default")
        self._objective(gatys.PRINT_LAYER_SET)

    def load_fast(self) -> str | None:
        """Load the preview models now if not yet tried; None when ready, else why not."""
        return self.fast_networks.error

    def load_faces(self) -> str | None:
        """Load the face detector now if not yet tried; None when ready, else why not."""
        return self.face_detector.error

    @property
    def fast(self) -> FastStylizer | None:
        """The preview models, loaded on first use; None when they are unavailable."""
        return self.fast_networks.get()

    @property
    def fast_error(self) -> str | None:
        """None when previews work, else why not (loads the models on first use)."""
        return self.fast_networks.error

    def _objective(self, layer_set: str) -> Objective:
        if layer_set == "default":
            layer_set = self.default_layers
        if layer_set not in self._objectives:
            layers = gatys.LAYER_SETS[layer_set]
            extractor = vgg19_features(layers.outputs, dtype=self.precision)
            load_weights(extractor, self.weights_path)
            self._objectives[layer_set] = Objective(extractor, layers)
        return self._objectives[layer_set]

    def run(
        self,
        content: ImageSource,
        style: ImageSource | Sequence[ImageSource],
        settings: Settings = Settings(),  # noqa: B008 (frozen, so one shared default is safe)
        progress: gatys.Progress | None = None,
        cancel: threading.Event | None = None,
        plan: plans.Plan | None = None,
        resume: ImageSource | None = None,
        pause: pauses.Hook | None = None,
    ) -> Result:
        """Stylize and report seconds, steps and device; `plan` overrides the schedule.

        style: one painting, or several to mix in the proportions of settings.style_weights.
        resume: a finished painting of this photo (an earlier result, same settings) to continue
        at settings.max_side, a larger side: print size. Only the finer scales run
        (`plans.print_plan`), so its large structures stay those of the painting.
        cancel and pause: at each yield point, between steps and a tiled step's windows
        (pauses.py); pause may block to stand aside, the run's state in memory and this Engine
        free for other runs meanwhile.
        A side above plans.PAINTED_SIDE without `resume` (or `plan`) is painted at
        PAINTED_SIDE first and that painting continued the same way, as a print.
        """
        styles = _style_list(style)
        weights = settings.weights_for(len(styles))
        if settings.method == "fast":
            return self._run_fast(content, styles, settings, progress, cancel)
        if resume is None and plan is None and settings.max_side > plans.PAINTED_SIDE:
            return self._painted_then_printed(content, styles, settings, progress, cancel, pause)
        content_image = load_image(content)
        paintings = [(load_image(s), w) for s, w in zip(styles, weights, strict=True) if w > 0]
        earlier = None if resume is None else load_image(resume)
        if earlier is not None and plan is None:
            plan = plans.print_plan(max(earlier.size), settings.max_side)
        layer_set = settings.layers if earlier is None else gatys.PRINT_LAYER_SET
        with self._lock, pauses.hooked(pauses.standing_aside(self._lock, cancel, pause)):
            began = time.perf_counter()
            run = gatys.stylize(
                self._objective(layer_set),
                content_image,
                paintings,  # weighted Gram targets: several paintings mix
                settings,
                plan=plan,
                progress=progress,
                cancel=cancel,
                start=None if earlier else self._warm_start(content_image, paintings, settings),
                subject=None if earlier else self._subject(content_image, settings, plan),
                resume=earlier,
            )
            return Result(run.image, time.perf_counter() - began, run.steps, self.device)

    def _painted_then_printed(
        self,
        content: ImageSource,
        styles: list[ImageSource],
        settings: Settings,
        progress: gatys.Progress | None,
        cancel: threading.Event | None,
        pause: pauses.Hook | None,
    ) -> Result:
        """settings.max_side as a print of the painting at plans.PAINTED_SIDE: painted whole at
        a large side, the coarsest scale is too small a share of the picture to make the
        painting's large structures (tubingen x starry_night at 2048 px: style_gain at 512 px
        0.44 against 0.88), and every scale costs more (docs/engine.md, Print size)."""
        painted = replace(settings, max_side=plans.PAINTED_SIDE)
        share = _painting_share(painted, settings.max_side)
        run = functools.partial(self.run, content, styles, cancel=cancel, pause=pause)
        painting = run(painted, _part(progress, 0.0, share))
        printed = run(settings, _part(progress, share, 1.0), resume=painting.image)
        seconds, steps = painting.seconds + printed.seconds, painting.steps + printed.steps
        return Result(printed.image, seconds, steps, self.device)

    def warm_up(self, sides: Sequence[int] = (512,)) -> float:
        """Compile what quality jobs of these output sides will run; the seconds it took.

        On JAX: every scale's canvas in each of the five shapes (canvas.py), so that no photo,
        whatever its aspect ratio, waits for a compiler; from the compilation cache after the
        first start. The shapes of one side compile at once, on threads of their own (XLA
        compiles without holding Python's lock), coarser sides first, since a finer side's
        jobs reuse their canvases. On TensorFlow: one tiny run, whose traced steps serve
        any size (backend.compiled).
        """
        began = time.perf_counter()
        sizes = canvas.warm_up_sizes(sides, backend.COMPILES_PER_SHAPE)
        with self._lock:
            for side in sorted({max(size) for size in sizes}):
                batch = [
                    Image.new("RGB", size, (128, 100, 80)) for size in sizes if max(size) == side
                ]
                threads = len(batch) if backend.COMPILES_PER_SHAPE else 1
                with ThreadPoolExecutor(threads, thread_name_prefix="nst-warm-up") as pool:
                    list(pool.map(self._warm_up_run, batch))
        return time.perf_counter() - began

    def _warm_up_run(self, picture: Image.Image) -> None:
        """One step a scale on a blank picture, painted with itself: compiles, paints nothing.
        A side above plans.PAINTED_SIDE as run() paints it: the painting, then its print."""
        side = max(picture.size)
        painted = min(side, plans.PAINTED_SIDE)
        plan = plans.Plan(scales=tuple((s, 1) for s in plans.scale_sides(painted)), tolerance=None)
        settings = Settings(max_side=painted, start="noise")
        styles = [(picture, 1.0)]
        run = gatys.stylize(self._objective("default"), picture, styles, settings, plan)
        if side > painted:
            printing = plans.print_plan(painted, side)
            one_step = tuple((scale, 1) for scale, _ in printing.scales)
            printing = replace(printing, scales=one_step, tolerance=None)
            settings = replace(settings, max_side=side)
            objective = self._objective(gatys.PRINT_LAYER_SET)
            gatys.stylize(objective, picture, styles, settings, printing, resume=run.image)

    def _warm_start(
        self, content: Image.Image, paintings: Styles, settings: Settings
    ) -> Image.Image | None:
        """The fast network's painting of the photo, where settings.start asks for it and the
        fast models are there; at the coarsest scale, where the quality method begins.

        Painted at twice that size and shrunk: the network's strokes have a fixed size in
        pixels, and at 128 px they would be as large as the painting's large structures.
        """
        if settings.start != "preview" or settings.style_strength == 0.0 or self.fast is None:
            return None
        fast_settings = replace(
            settings,
            method="fast",
            max_side=gatys.WARM_START_SIDE,
            style_weights=tuple(weight for _, weight in paintings),
        )
        return self.fast.stylize(content, [p for p, _ in paintings], fast_settings)

    def _subject(
        self, content: Image.Image, settings: Settings, plan: plans.Plan | None
    ) -> np.ndarray | None:
        """Where the photo's faces are (0..1 at the output's size), for the quality method to
        hold; None where there is none (or no detector, or no finer scale to hold them: a
        single scale, or a plan without the term), and then no subject term runs. Found at the
        output's size, not the upload's, which may be a 12-megapixel photo."""
        if settings.max_side <= plans.COARSEST_SIDE or (plan and plan.subject_weight == 0.0):
            return None
        detector = self.face_detector.get()
        if detector is None:
            return None
        photo = resize_longer_side(content, settings.max_side)
        return hold(detector.faces(photo), photo.size)

    def _run_fast(
        self,
        content: ImageSource,
        styles: list[ImageSource],
        settings: Settings,
        progress: gatys.Progress | None,
        cancel: threading.Event | None,
    ) -> Result:
        """A preview; FastStylizer is thread-safe, so it never waits for a quality run's lock."""
        fast = self.fast_stylizer()
        content_image = load_image(content)
        paintings = [load_image(style) for style in styles]
        start = time.perf_counter()
        image = fast.stylize(content_image, paintings, settings, progress, cancel)
        return Result(image, time.perf_counter() - start, 0, "CPU (LiteRT)")

    def fast_stylizer(self) -> FastStylizer:
        """The fast method's networks, for contact sheets and animations; EngineError if absent."""
        fast = self.fast
        if fast is None:
            raise EngineError(f"fast mode is not available: {self.fast_error}")
        return fast

    def stylize(
        self,
        content: ImageSource,
        style: ImageSource | Sequence[ImageSource],
        settings: Settings = Settings(),  # noqa: B008
        progress: gatys.Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> Image.Image:
        """The stylized image, RGB, at the content's aspect ratio with longer side max_side."""
        return self.run(content, style, settings, progress, cancel).image


def _painting_share(painted: Settings, side: int) -> float:
    """The painting's share of the work when it is continued as a print at `side`, for
    progress: each scale's steps weighed by its pixels."""

    def work(plan: plans.Plan) -> int:
        return sum(scale * scale * steps for scale, steps in plan.scales)

    painting = work(plans.default_plan(painted, warm=painted.start == "preview"))
    return painting / (painting + work(plans.print_plan(painted.max_side, side)))


def _part(progress: gatys.Progress | None, start: float, end: float) -> gatys.Progress | None:
    """`progress` for one part of a run that covers start..end of the whole."""
    if progress is None:
        return None
    report = progress

    def part(fraction: float, preview: Image.Image | None) -> None:
        report(start + (end - start) * fraction, preview)

    return part


def _style_list(style: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    """One painting or several as a list (bytes and str are sources, not sequences here)."""
    if isinstance(style, list | tuple):
        if not style:
            raise EngineError("no style image given")
        return list(style)
    return [style]  # type: ignore[list-item]
