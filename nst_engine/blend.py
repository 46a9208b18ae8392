"""A clip's paintings blended along the motion, so strokes travel with what they are painted on.

The fast network paints each frame on its own: the same wall gets new strokes in every frame, and
even a still clip's compression noise is amplified into flicker. So each output frame is the
previous output, moved by the optical flow onto the new frame, blended with the new painting
(MotionBlend):

    output = keep * warped previous output + (1 - keep) * new painting

A clip is blended so twice (BothWays): from its first frame forward, and from its last frame
backward, and each output is the mean of the two. Where one way paints a pixel anew (the flow
lost it: a moving arm, a background uncovered), the other way mostly carries strokes through, so
the jump is split in two halves at different frames: on the real clips of benchmarks/animation.py
the warping error fell by 27-45 % (docs/engine.md), for the second pass's blending (it reuses
the first pass's flows) and the frames and flows kept until the end (0.5 GB at most: 150
frames of 512x384).

The flow is DIS's, per pixel, smoothed, unless the frame shifts as one (a pan, a tilt:
motion.camera_shift): then the camera's shift, taken where the picture is textured, carries
every pixel. DIS errs by 0.15-0.3 px where the photo is plain (a pan's sky), and the strokes
painted there are not plain: carried by that flow they wandered (the 5-s pan's warping error
under its known motion 5.3x the input's before, 1.4x by the camera's shift; docs/engine.md).

keep is, per pixel:
- at most KEEP where the picture moved, and 0 where the flow cannot be trusted: off the frame,
  or its way back misses by more than ROUND_TRIP px (the forward-backward check: occluded, or
  the flow erred). Each warp resamples the strokes (bicubic) and softens them a little; the
  share (1 - KEEP) of new paint in every frame bounds that, and the drift of the flow's errors.
  In a frame carried by the camera's shift, at most CAMERA_KEEP, all: its motion is sure, and
  the network paints a shifted picture with the same strokes shifted, so new paint there only
  averaged frames' strokes into a blur (the pan's sky lost its hatching);
- up to 1 where the input did not change (its local mean difference from the previous frame
  under UNCHANGED) and the flow, around the pixel or over its region, moved less than
  STILL_FLOW px: those pixels are not resampled at all, and keep their strokes exactly. DIS's
  flow on a still, plain wall is noise (0.3 px on average, over 1 px at 7 % of a webcam
  clip's wall), which would otherwise resample and repaint the wall's strokes, while a region
  that truly moves shows in its input or moves coherently over REGION px;
- less as the input drifts from the input that was painted (the reference, carried along the
  flow like the output): from STILL (0-1, mean over the channels) on, none from CHANGED. A
  change of light, a flow that matched the wrong thing, an uncovered background take the new
  painting;
- 0 for the whole frame at a scene cut: fewer than CUT of the pixels tracked and close to
  their reference.

The thresholds are looser than the ones the warping error is measured with (motion.Tracker's
defaults): each pixel they reject is painted anew, and new paint is the flicker this module is
here to remove.

Which method painted each frame is not this module's business: any painting of it can come
through (the fast network's today; a warm-started quality painting could come later).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from nst_engine import motion

KEEP = 0.9  # the most of the warped previous output a moving pixel keeps
CAMERA_KEEP = 1.0  # the same in a frame carried by the camera's shift: see above
STILL_FLOW = 1.0  # px: an unchanged pixel whose flow is smaller is still and not resampled
UNCHANGED = 0.01  # the input's local mean difference (0-1) from the previous frame below this
REGION = 32.0  # px (a Gaussian's sigma): the region whose mean flow tells noise from motion
FLOW_SMOOTHING = 4.0  # px (a Gaussian's sigma): DIS's flow is made of patches, whose edges
# would otherwise show as blocks where neighbouring patches disagree by a fraction of a pixel
STILL = 0.04  # an input pixel closer than this to its reference keeps all it may
CHANGED = 0.25  # one this far from it takes the new painting only
ROUND_TRIP = 2.0  # px: a flow whose way back misses by more marks the pixel occluded
CUT = 0.3  # fewer pixels than this share tracked and close to their reference: a scene cut


class MotionBlend:
    """Feed it (frame, painting) pairs in order; each call gives that frame's output."""

    def __init__(self) -> None:
        self._tracker = motion.Tracker(motion.BLENDING)
        self._grey: np.ndarray | None = None
        self._frame = np.zeros(0, np.float32)  # the previous input
        self._output = np.zeros(0, np.float32)
        self._reference = np.zeros(0, np.float32)  # per pixel, the input its paint came from
        self.flow_seconds = 0.0
        self.blending_seconds = 0.0
        self.cuts = 0
        self.camera_frames = 0  # frames carried by the camera's shift (motion.camera_shift)
        self.flows: motion.Flows | None = None  # the last frame's (see blend)

    def blend(
        self, frame: np.ndarray, painting: np.ndarray, flows: motion.Flows | None = None
    ) -> np.ndarray:
        """frame and its painting, [H, W, 3] float32 in 0-1, to the output frame. flows: from
        this frame to the previous one and back, where already computed (BothWays's backward
        pass has the forward pass's); else computed, and kept in self.flows."""
        grey = motion.grey(frame)
        previous, self._grey = self._grey, grey
        last, self._frame = self._frame, frame
        self.flows = None
        if previous is None or previous.shape != grey.shape:
            self._output, self._reference = painting, frame
            return painting
        start = time.perf_counter()
        self.flows = flows if flows is not None else self._tracker.flows(grey, previous)
        flow, tracked = self.flows[0], motion.trusted(self.flows, ROUND_TRIP**2, boundaries=False)
        camera = motion.camera_shift(grey, flow, tracked)
        middle = time.perf_counter()
        if camera is None:
            flow = cv2.GaussianBlur(flow, (0, 0), FLOW_SMOOTHING)
        else:
            flow, tracked = camera, motion.inside(motion.positions(camera))
            self.camera_frames += 1
        still = _unchanged(frame, last) & (
            (_length(flow) < STILL_FLOW) | (_length(_regional(flow)) < STILL_FLOW)
        )
        flow[still] = 0.0
        landing = motion.positions(flow)
        output = motion.warp(self._output, landing, cv2.INTER_CUBIC)
        reference = motion.warp(self._reference, landing, cv2.INTER_CUBIC)
        drift = np.abs(frame - reference).mean(axis=2)
        keep = np.clip((CHANGED - drift) / (CHANGED - STILL), 0.0, 1.0)
        most = KEEP if camera is None else CAMERA_KEEP
        keep *= np.where(still, 1.0, most * tracked).astype(np.float32)
        if np.mean(tracked & (drift < STILL)) < CUT:
            keep[:] = 0.0
            self.cuts += 1
        keep = keep[..., None]
        self._output = keep * output + (1.0 - keep) * painting
        self._reference = keep * reference + (1.0 - keep) * frame
        self.flow_seconds += middle - start
        self.blending_seconds += time.perf_counter() - middle
        return self._output


class BothWays:
    """Feed it (frame, painting) pairs in order (blended forward as they come); outputs() then
    blends the clip backward and gives each frame's (input, painting, output), the output the
    mean of both ways. Arrays are [H, W, 3] uint8, as a clip's frames are decoded and encoded.

    The backward pass reuses the forward pass's flows (each step there computed both ways
    between two frames, the pair the backward step needs), kept as float16 (0.001 px at a 2-px
    motion): half the clip's flow time, for 1.5 MB a frame at 512x384."""

    def __init__(self) -> None:
        self.forward = MotionBlend()
        self.backward = MotionBlend()
        self._kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._flows: list[motion.Flows | None] = []  # each frame's to the one before, and back

    def add(self, frame: np.ndarray, painting: np.ndarray) -> None:
        output = self.forward.blend(_floats(frame), _floats(painting))
        self._kept.append((frame, painting, _bytes(output)))
        flows = self.forward.flows
        self._flows.append(None if flows is None else (_halves(flows[0]), _halves(flows[1])))

    def outputs(
        self, blended: Callable[[int], None] | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The backward pass over every frame (blended(n) after its n-th), then the frames."""
        later: motion.Flows | None = None  # the next frame's flows to this one, and back
        for done, index in enumerate(reversed(range(len(self._kept))), start=1):
            frame, painting, forward = self._kept[index]
            flows = None if later is None else (_wholes(later[1]), _wholes(later[0]))
            backward = self.backward.blend(_floats(frame), _floats(painting), flows)
            self._kept[index] = (frame, painting, _bytes((_floats(forward) + backward) / 2))
            later, self._flows[index] = self._flows[index], None
            if blended is not None:
                blended(done)
        kept, self._kept, self._flows = self._kept, [], []
        yield from kept

    @property
    def flow_seconds(self) -> float:
        return self.forward.flow_seconds + self.backward.flow_seconds

    @property
    def blending_seconds(self) -> float:
        return self.forward.blending_seconds + self.backward.blending_seconds


def _bytes(pixels: np.ndarray) -> np.ndarray:
    return np.clip(pixels * 255.0, 0, 255).round().astype(np.uint8)


def _floats(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float32) / 255.0


def _halves(flow: np.ndarray) -> np.ndarray:
    return flow.astype(np.float16)


def _wholes(flow: np.ndarray) -> np.ndarray:
    return flow.astype(np.float32)


def _unchanged(frame: np.ndarray, last: np.ndarray) -> np.ndarray:
    """[H, W] bool: pixels whose neighbourhood (FLOW_SMOOTHING) is as in the last frame."""
    difference = np.abs(frame - last).mean(axis=2)
    unchanged: np.ndarray = cv2.GaussianBlur(difference, (0, 0), FLOW_SMOOTHING) < UNCHANGED
    return unchanged


def _regional(flow: np.ndarray) -> np.ndarray:
    """The flow averaged over REGION px: noise in every direction cancels, motion stays. Blurred
    at an eighth of the size: a kernel of REGION px at full size would cost far more."""
    height, width = flow.shape[:2]
    small = cv2.resize(
        flow, (max(1, width // 8), max(1, height // 8)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), REGION / 8)
    regional: np.ndarray = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    return regional


def _length(flow: np.ndarray) -> np.ndarray:
    length: np.ndarray = np.hypot(flow[..., 0], flow[..., 1])
    return length
