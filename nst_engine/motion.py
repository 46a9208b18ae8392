"""Where each pixel of a frame went in the next: optical flow, its occlusion check, warping.

OpenCV's DIS flow (Kroeger et al. 2016), the fastest dense flow it has, on grey frames, for the
blending; for measuring, Farneback's (2003) too: slower, but on a still, plain wall it finds 0.01
px where DIS MEDIUM finds 0.37 px of noise, and on the benchmark's pan and zoom its error against
the known motion is lower (0.09 and 0.08 px against 0.10 and 0.11 on textured pixels). Lai et al.
measured with FlowNet2; both are stand-ins. The closest one OpenCV has is TV-L1 (Zach et al. 2007;
TVL1): over all the benchmark's pan, plain sky included, 0.05 px off its known motion (DIS MEDIUM
0.14, Farneback 0.46), and 0.01 px on a still wall; 30 times slower than DIS MEDIUM, and only in
the opencv-contrib build, which the product does not need (docs/engine.md). Whether a pixel's flow
can be trusted is decided as Ruder et al. (2016) and Lai et al. (2018) do: the flow back from where
it landed must bring it home (forward-backward check), and it must not lie on a motion boundary.
That check makes the warping error, the figure by which Lai et al. compare video methods, which
benchmarks/animation.py prints; the blending (blend.py) uses a looser one. Where a whole frame
shifts as one, the camera's shift taken from the flow (camera_shift) is surer than the flow.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

# DIS's presets: FAST for the blending (each frame), MEDIUM for measuring (finer, slower).
BLENDING = cv2.DISOPTICAL_FLOW_PRESET_FAST
MEASURING = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM
FARNEBACK = -1  # not a DIS preset: Farneback's flow, for measuring
TVL1 = -2  # nor this: TV-L1's, for measuring, with opencv-contrib-python-headless only

# The camera's shift (camera_shift): the flow's median at the textured pixels of a grid.
SAMPLING = 8  # px between the grid's pixels
TEXTURED = 32.0  # the grey's gradient (Sobel, 0-255 levels) from which a pixel's flow is trusted
APART = 1.0  # px: a textured pixel whose flow misses the shift by more moves otherwise
APART_SHARE = 0.01  # more of them than this share: the frame does not shift as one
FEWEST = 64  # textured grid pixels, fewer than which tell nothing

Landing = tuple[np.ndarray, np.ndarray]  # x and y, each [H, W] float32: see positions
Flows = tuple[np.ndarray, np.ndarray]  # a flow [H, W, 2] from one frame to another, and back


def grey(pixels: np.ndarray) -> np.ndarray:
    """An [H, W, 3] RGB frame in 0-1 as the uint8 grey image DIS reads."""
    rgb = np.clip(pixels * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


class Tracker:
    """Flow from one frame to another, with the pixels whose flow can be trusted."""

    def __init__(self, preset: int = BLENDING) -> None:
        """preset: one of DIS's, FARNEBACK or TVL1."""
        self._flow: cv2.DenseOpticalFlow | None = None  # Farneback's is a function
        if preset == TVL1:
            self._flow = _tv_l1()
        elif preset != FARNEBACK:
            dis = cv2.DISOpticalFlow.create(preset)
            # FAST stops at a quarter of the size, where its flow falls 0.2-0.3 px short of a
            # 3-px move; from half the size it is within 0.02 px, for 1.5x the time (MEDIUM's
            # already is).
            dis.setFinestScale(1)
            self._flow = dis

    def track(
        self, source: np.ndarray, target: np.ndarray, slack: float = 0.5, boundaries: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """For grey frames source and target: the flow [H, W, 2] (x, y) such that source's pixel
        p shows what target shows at p + flow[p], and the mask [H, W] of pixels tracked (see
        trusted)."""
        flows = self.flows(source, target)
        return flows[0], trusted(flows, slack, boundaries)

    def flows(self, source: np.ndarray, target: np.ndarray) -> Flows:
        """The flow from source to target and the flow back."""
        return self._flow_between(source, target), self._flow_between(target, source)

    def _flow_between(self, source: np.ndarray, target: np.ndarray) -> np.ndarray:
        # The array only fills the stubs' third argument: no initial flow.
        start = np.zeros((*source.shape, 2), np.float32)
        if self._flow is not None:
            flow: np.ndarray = self._flow.calc(source, target, start)
            return flow
        # Five levels of halving (motion up to ~30 px), 15-px windows, five iterations, a
        # polynomial over 7 px (sigma 1.5): OpenCV's documented settings for larger motion.
        return cv2.calcOpticalFlowFarneback(source, target, start, 0.5, 5, 15, 5, 7, 1.5, 0)


def _tv_l1() -> cv2.DenseOpticalFlow:
    """OpenCV's TV-L1 flow, at its own defaults (5 scales, 5 warps)."""
    optflow = getattr(cv2, "optflow", None)  # in opencv-contrib only
    if optflow is None:
        raise RuntimeError(
            "TV-L1 needs opencv-contrib-python-headless in place of opencv-python-headless"
        )
    flow: cv2.DenseOpticalFlow = optflow.DualTVL1OpticalFlow_create()
    return flow


def camera_shift(grey: np.ndarray, flow: np.ndarray, tracked: np.ndarray) -> np.ndarray | None:
    """The flow of a frame that shifts as one (a pan, a tilt): the camera's shift, the median of
    `flow` where the grey frame it was tracked from is textured and the flow tracked, as a flow
    field [H, W, 2]. None when a textured part moves otherwise (someone walking, a zoom's
    edges: more than APART_SHARE of those pixels off the shift by over APART px), or when too
    little is textured to tell.

    Why: DIS errs by 0.15-0.3 px on average on a pan's plain sky (where the photo shows no
    detail to match), and painted strokes are detailed there: carried by that flow they wander.
    The median of the sure pixels holds to 0.01-0.03 px everywhere. Only a shift: the network
    paints a shifted picture with the same strokes shifted (it is convolutional), but a grown
    or turned one with strokes of the same size and slant, so a zoom's strokes carried exactly
    would pile up as radial streaks.
    """
    height, width = grey.shape
    ys, xs = np.mgrid[SAMPLING // 2 : height : SAMPLING, SAMPLING // 2 : width : SAMPLING]
    gradient_x = cv2.Sobel(grey, cv2.CV_32F, 1, 0)[ys, xs]
    gradient_y = cv2.Sobel(grey, cv2.CV_32F, 0, 1)[ys, xs]
    chosen = tracked[ys, xs] & (gradient_x**2 + gradient_y**2 > TEXTURED**2)
    if chosen.sum() < FEWEST:
        return None
    sure = flow[ys[chosen], xs[chosen]]
    shift = np.median(sure, axis=0)
    if np.mean(np.hypot(*(sure - shift).T) > APART) > APART_SHARE:
        return None
    return np.broadcast_to(shift.astype(np.float32), flow.shape).copy()


def trusted(flows: Flows, slack: float = 0.5, boundaries: bool = True) -> np.ndarray:
    """The mask [H, W] of the pixels whose flow (the first of flows, the second its way back)
    can be trusted: landing inside the target, consistent both ways, and (with boundaries) off
    motion boundaries. Else occluded, or the flow erred.

    Consistent: Ruder et al.'s test, the round trip's error within `slack` px^2 plus 1 % of the
    motion's. Their 0.5 (the default) is for measuring; DIS's own noise on a still webcam clip
    already breaks it in places, which the blending allows for.
    """
    forward, backward = flows
    landing = positions(forward)
    back = warp(backward, landing)
    round_trip = _squared(forward + back)
    tracked: np.ndarray = round_trip <= 0.01 * (_squared(forward) + _squared(back)) + slack
    tracked &= inside(landing)
    if boundaries:
        du_dx, du_dy = _gradient(forward[..., 0])
        dv_dx, dv_dy = _gradient(forward[..., 1])
        motion = du_dx**2 + du_dy**2 + dv_dx**2 + dv_dy**2
        tracked &= motion <= 0.01 * _squared(forward) + 0.002
    return tracked


def positions(flow: np.ndarray) -> Landing:
    """Where each pixel lands: x and y, each [H, W] float32, as cv2.remap reads them."""
    height, width = flow.shape[:2]
    x, y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return x + flow[..., 0], y + flow[..., 1]


def inside(landing: Landing) -> np.ndarray:
    """[H, W] bool: the pixels that land inside the frame."""
    x, y = landing
    height, width = x.shape
    within: np.ndarray = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    return within


def warp(image: np.ndarray, landing: Landing, interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """image sampled at `landing` (bilinear unless told; the border repeated): another frame's
    content moved onto the frame that `landing` was tracked from."""
    x, y = landing
    warped: np.ndarray = cv2.remap(image, x, y, interpolation, borderMode=cv2.BORDER_REPLICATE)
    return warped


def warping_error(
    frames: Iterable[tuple[np.ndarray, tuple[np.ndarray, ...]]],
    preset: int = MEASURING,
    known: np.ndarray | None = None,
) -> list[float]:
    """Lai et al.'s warping error of each of several videos, flow taken from the input frames.

    frames: (input frame, (the videos' frames ...)) in order, [H, W, 3] in 0-1. For each pair of
    consecutive frames t, t+1: the flow from input t to t+1, each video's frame t+1 warped back
    onto t, and the mean squared difference (over the RGB channels too) over the tracked pixels;
    then the mean over t. The input itself, passed as one of the videos, gives the floor that
    the flow's own errors allow. preset: the measuring flow, a DIS preset or FARNEBACK; or,
    for a clip made to move so, the known flow from every frame to the next (`known`, [H, W, 2]),
    every pixel tracked that lands inside.
    """
    tracker = Tracker(preset)
    totals: list[float] = []
    pairs = 0
    previous: tuple[np.ndarray, tuple[np.ndarray, ...]] | None = None
    for frame, videos in frames:
        now = grey(frame)
        if previous is not None:
            before, earlier = previous
            if known is None:
                flow, tracked = tracker.track(before, now)
            else:
                flow, tracked = known, inside(positions(known))
            landing = positions(flow)
            count = max(1, int(tracked.sum()))
            errors = [
                float(((then - warp(later, landing))[tracked] ** 2).sum() / (3 * count))
                for then, later in zip(earlier, videos, strict=True)
            ]
            totals = [a + b for a, b in zip(totals, errors, strict=True)] if totals else errors
            pairs += 1
        previous = (now, videos)
    return [total / max(1, pairs) for total in totals]


def _squared(flow: np.ndarray) -> np.ndarray:
    squared: np.ndarray = flow[..., 0] ** 2 + flow[..., 1] ** 2
    return squared


def _gradient(channel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences along x and y (0 at the last column and row)."""
    dx = np.zeros_like(channel)
    dy = np.zeros_like(channel)
    dx[:, :-1] = channel[:, 1:] - channel[:, :-1]
    dy[:-1] = channel[1:] - channel[:-1]
    return dx, dy
