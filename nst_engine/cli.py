"""`nst stylize CONTENT STYLE -o OUT`: the engine from a shell, with a progress bar.

Several paintings are mixed with `--style A.jpg --style B.jpg --style-weights 0.7,0.3`; a finished
painting is painted on at print size with `--resume OUT.png --size 2048 -o PRINT.png`, and a
`--size` above 512 without it is painted at 512 px first and then painted on the same way. A clip
(a GIF or a video, told by its bytes as the bot tells them) is painted as the bot paints it, by
the fast method, into an MP4: `nst stylize CLIP.mp4 PAINTING -o OUT.mp4`.

The command is an entry point, so it reads its environment here, at its start, and hands the
engine paths as arguments (the engine reads no variable for its models): the flags' defaults are
the bot's variables of the same meaning, $NST_VGG19_WEIGHTS, $NST_FAST_MODELS_DIR and
$NST_COMPILATION_CACHE. TensorFlow is imported only once the arguments are known to be good, so
`nst --help` is instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from nst_engine.errors import EngineError
from nst_engine.precision import CHOICES
from nst_engine.settings import Settings
from nst_engine.sniff import is_clip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nst", description="Neural style transfer.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("stylize", help="paint a photo or a clip in a painting's style")
    run.add_argument("content", help="the photo, or a clip (GIF, MP4, MOV, WebM...: an MP4 out)")
    run.add_argument("style", nargs="?", help="the painting (or give --style, once or more)")
    run.add_argument(
        "--style",
        dest="styles",
        action="append",
        default=[],
        metavar="PAINTING",
        help="a painting to mix in; repeat for each",
    )
    run.add_argument(
        "--style-weights",
        type=_weights,
        default=None,
        metavar="W1,W2,...",
        help="how much of each painting, in order (normalised; default: equal)",
    )
    run.add_argument("-o", "--output", required=True, help="where to write the result")
    defaults = Settings()
    run.add_argument("--size", type=int, default=defaults.max_side, help="longer side in px")
    run.add_argument(
        "--strength", type=float, default=defaults.style_strength, help="0 photo .. 1 painting"
    )
    run.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")
    run.add_argument(
        "--fast", action="store_true", help="one pass of Magenta's network (a preview, ~1 s)"
    )
    run.add_argument("--steps", type=int, default=None, help="step budget (default: by size)")
    run.add_argument(
        "--style-scale", type=float, default=defaults.style_scale, help="brush size, 0.1-4"
    )
    run.add_argument("--seed", type=int, default=defaults.seed)
    run.add_argument("--layers", choices=["default", "gatys"], default=defaults.layers)
    run.add_argument(
        "--weights",
        default=os.environ.get("NST_VGG19_WEIGHTS") or None,
        help="VGG19 weights file (.h5; default: $NST_VGG19_WEIGHTS, else Keras' download)",
    )
    run.add_argument(
        "--fast-models",
        default=os.environ.get("NST_FAST_MODELS_DIR") or None,
        metavar="DIR",
        help="folder holding Magenta's two networks (default: $NST_FAST_MODELS_DIR, else"
        " downloaded once)",
    )
    run.add_argument(
        "--precision",
        choices=CHOICES,
        default=None,
        help="convolutions' precision (default: $NST_PRECISION, else auto: bfloat16 where fast)",
    )
    run.add_argument(
        "--start",
        choices=["preview", "noise"],
        default=defaults.start,
        help="begin from the fast network's painting (default) or from the photo plus noise",
    )
    run.add_argument(
        "--face-models",
        default=None,
        metavar="DIR",
        help="folder holding MediaPipe's two face detectors (default: downloaded once); the"
        " faces they find are held at the finer scales",
    )
    run.add_argument(
        "--resume",
        default=None,
        metavar="PAINTING",
        help="paint on this finished painting of the photo (same settings) at --size, larger"
        " than it: print size (--size 2048 or 4096), only the finer scales run",
    )
    return parser


def _weights(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None


def paintings(args: argparse.Namespace) -> list[str]:
    """The positional painting, then every --style, in order."""
    return ([args.style] if args.style else []) + args.styles


def settings_from(args: argparse.Namespace) -> Settings:
    count = len(paintings(args))
    if count == 0:
        raise ValueError("give a painting: nst stylize PHOTO PAINTING, or --style PAINTING")
    if args.resume and args.fast:
        raise ValueError("--resume paints on by the quality method: leave out --fast")
    if args.style_weights is not None and len(args.style_weights) != count:
        raise ValueError(f"{len(args.style_weights)} --style-weights for {count} paintings")
    return Settings(
        method="fast" if args.fast else "quality",
        max_side=args.size,
        steps=args.steps,
        style_strength=args.strength,
        preserve_colors=args.preserve_colors,
        style_scale=args.style_scale,
        start=args.start,
        seed=args.seed,
        layers=args.layers,
        style_weights=args.style_weights,
    )


def stylize(args: argparse.Namespace) -> None:
    """Run one stylization with a tqdm bar; the last line gives seconds, steps and device."""
    settings = settings_from(args)
    if is_clip(Path(args.content)):
        stylize_clip(args, dataclasses.replace(settings, method="fast"))
        return
    if settings.method == "fast":
        stylize_fast(args, settings)
        return

    from tqdm import tqdm

    from nst_engine.engine import Engine
    from nst_engine.images import load_image

    resume = load_image(args.resume) if args.resume else None
    if resume is not None and max(resume.size) >= settings.max_side:
        raise EngineError(
            f"--size {settings.max_side} must be larger than the painting's {max(resume.size)} px"
        )
    engine = Engine(
        args.weights,
        args.fast_models,
        precision=args.precision,
        face_models_dir=args.face_models,
        # (JAX) compiled programs kept for the next run, where the bot's workers keep theirs.
        compilation_cache=os.environ.get("NST_COMPILATION_CACHE") or None,
    )
    if args.face_models and (error := engine.load_faces()):  # the run goes on without them
        print(f"nst: no face will be held: {error}", file=sys.stderr)
    with tqdm(total=100, unit="%", bar_format="{l_bar}{bar}| {elapsed}<{remaining}") as bar:

        def progress(fraction: float, preview: Image.Image | None) -> None:
            bar.update(round(100 * fraction) - bar.n)

        result = engine.run(
            args.content, paintings(args), settings, progress=progress, resume=resume
        )
    result.image.save(args.output)
    print(f"{args.output}: {result.seconds:.1f} s, {result.steps} steps, {result.device}")


def stylize_fast(args: argparse.Namespace, settings: Settings) -> None:
    """A preview without the Engine: it needs neither TensorFlow nor the VGG19 weights."""
    from nst_engine.fast import FastStylizer
    from nst_engine.images import load_image

    start = time.perf_counter()
    stylizer = FastStylizer(args.fast_models)
    styles = [load_image(path) for path in paintings(args)]
    image = stylizer.stylize(load_image(args.content), styles, settings)
    image.save(args.output)
    print(f"{args.output}: {time.perf_counter() - start:.1f} s with loading, one pass, LiteRT")


def stylize_clip(args: argparse.Namespace, settings: Settings) -> None:
    """A clip as the bot paints it (nst_engine.animation), a bar counting its frames; the last
    line gives the frames, the seconds and each stage's share of them."""
    from tqdm import tqdm

    from nst_engine import animation
    from nst_engine.fast import FastStylizer

    start = time.perf_counter()
    clip = animation.probe(Path(args.content))
    animation.check_limits(clip)
    stylizer = FastStylizer(args.fast_models)
    total = min(clip.frames, animation.MAX_FRAMES)
    with tqdm(total=total, unit="frame") as bar:

        def progress(fraction: float) -> None:
            bar.update(round(total * fraction) - bar.n)

        stats = animation.stylize_clip(
            stylizer,
            Path(args.content),
            [Path(path) for path in paintings(args)],
            settings,
            Path(args.output),
            progress,
        )
    stages = ", ".join(f"{stage} {stats.seconds[stage]:.1f}" for stage in animation.STAGES)
    print(
        f"{args.output}: {stats.frames} frames {stats.size[0]}x{stats.size[1]} at "
        f"{float(stats.rate):g} fps, {time.perf_counter() - start:.1f} s with loading ({stages})"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings_from(args)
    except ValueError as error:
        parser.error(str(error))
    # Checked now rather than when saving, so a typo does not cost a whole run.
    suffix = Path(args.output).suffix.lower()
    if is_clip(Path(args.content)):
        if args.resume:
            parser.error("a clip is painted by the fast method: leave out --resume")
        if suffix != ".mp4":
            parser.error(f"a clip is painted into an MP4: {args.output!r} should end in .mp4")
    elif suffix not in Image.registered_extensions():
        parser.error(f"cannot tell an image format from {args.output!r}: use .png or .jpg")
    try:
        stylize(args)
    except EngineError as error:
        print(f"nst: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
