"""The blending along the motion (nst_engine.blend) on a made-up clip with made-up paintings: a
bright textured square moving by a known number of pixels over a dark textured background, each
frame "painted" with new, unrelated strokes, so whatever the output carries over can only have
come through the blend."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from nst_engine.blend import KEEP, BothWays, MotionBlend

HEIGHT, WIDTH = 128, 192
SIDE = 64  # the square
LEFT, TOP = 48, 32  # where it starts
DX, DY = 3, 2  # how far it moves in one frame, px


def texture(
    rng: np.random.Generator, height: int, width: int, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Smooth random RGB, low..high: detail DIS can track, and that resamples without aliasing."""
    noise = cv2.GaussianBlur(rng.uniform(0, 1, (height, width, 3)).astype(np.float32), (0, 0), 2)
    span = noise.max() - noise.min()
    return (low + (high - low) * (noise - noise.min()) / span).astype(np.float32)


def frame(background: np.ndarray, square: np.ndarray, left: int, top: int) -> np.ndarray:
    pixels = background.copy()
    pixels[top : top + SIDE, left : left + SIDE] = square
    return pixels


def test_the_strokes_move_with_the_square_and_the_uncovered_strip_is_painted_anew() -> None:
    rng = np.random.default_rng(0)
    background = texture(rng, HEIGHT, WIDTH, high=0.3)
    square = texture(rng, SIDE, SIDE, low=0.6)
    paintings = [texture(rng, HEIGHT, WIDTH) for _ in range(2)]
    blend = MotionBlend()
    first = blend.blend(frame(background, square, LEFT, TOP), paintings[0])
    second = blend.blend(frame(background, square, LEFT + DX, TOP + DY), paintings[1])
    assert first is paintings[0]  # nothing before it to carry over
    assert blend.camera_frames == 0  # the square moves on its own: no camera shift

    # The square's inside, 8 px from its edges (the flow is smoothed over a few pixels there).
    rows, columns = slice(TOP + 8, TOP + SIDE - 8), slice(LEFT + 8, LEFT + SIDE - 8)
    moved = (slice(rows.start + DY, rows.stop + DY), slice(columns.start + DX, columns.stop + DX))
    carried = KEEP * first[rows, columns] + (1 - KEEP) * paintings[1][moved]
    in_place = KEEP * first[moved] + (1 - KEEP) * paintings[1][moved]
    assert np.abs(second[moved] - carried).mean() < 0.01
    assert np.abs(second[moved] - in_place).mean() > 0.05  # a test that could tell them apart

    # What the square covered and no longer does: the background, seen anew.
    uncovered = (slice(TOP + DY, TOP + SIDE), slice(LEFT, LEFT + DX))
    assert np.array_equal(second[uncovered], paintings[1][uncovered])


def test_still_pixels_keep_their_strokes_and_a_scene_cut_takes_the_new_painting() -> None:
    rng = np.random.default_rng(1)
    still = texture(rng, HEIGHT, WIDTH)
    paintings = [texture(rng, HEIGHT, WIDTH) for _ in range(3)]
    blend = MotionBlend()
    blend.blend(still, paintings[0])
    assert np.array_equal(blend.blend(still, paintings[1]), paintings[0])
    assert blend.cuts == 0
    other = texture(rng, HEIGHT, WIDTH)  # another place altogether
    assert np.array_equal(blend.blend(other, paintings[2]), paintings[2])
    assert blend.cuts == 1


def test_a_pan_carries_the_strokes_of_its_plain_sky_by_the_cameras_shift() -> None:
    """A window panning right by 2 px a frame over a picture whose top third is plain (a sky):
    DIS cannot tell how the plain sky moved, the camera's shift, taken where the picture is
    textured, can, and the sky's strokes travel with it exactly, all of them kept (the new
    painting's strokes would be the same strokes shifted)."""
    rng = np.random.default_rng(4)
    picture = texture(rng, HEIGHT, WIDTH + 8, low=0.2, high=0.9)
    picture[: HEIGHT // 3] = 0.5
    frames = [picture[:, 0:WIDTH], picture[:, 2 : WIDTH + 2]]
    paintings = [texture(rng, HEIGHT, WIDTH) for _ in range(2)]
    blend = MotionBlend()
    first = blend.blend(frames[0], paintings[0])
    second = blend.blend(frames[1], paintings[1])
    assert blend.camera_frames == 1

    sky = (slice(4, HEIGHT // 3 - 4), slice(4, WIDTH - 8))
    shifted = (sky[0], slice(sky[1].start + 2, sky[1].stop + 2))
    assert np.abs(second[sky] - first[shifted]).mean() < 0.002


def test_a_zoom_is_no_cameras_shift() -> None:
    """The network paints a grown picture with strokes of the same size: a zoom's strokes are
    carried by the flow, pixel by pixel, not as one shift."""
    rng = np.random.default_rng(5)
    picture = texture(rng, HEIGHT, WIDTH, low=0.2, high=0.9)
    grown = cv2.resize(picture, None, fx=1.03, fy=1.03, interpolation=cv2.INTER_CUBIC)
    top, left = (grown.shape[0] - HEIGHT) // 2, (grown.shape[1] - WIDTH) // 2
    blend = MotionBlend()
    blend.blend(picture, texture(rng, HEIGHT, WIDTH))
    blend.blend(grown[top : top + HEIGHT, left : left + WIDTH], texture(rng, HEIGHT, WIDTH))
    assert blend.camera_frames == 0


def test_a_still_wall_keeps_its_exact_strokes_through_the_flows_noise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a webcam's plain wall DIS's flow is noise: patches of a pixel or more in every
    direction. The wall's input does not change, so its strokes must not move or be repainted
    at all, while the square beside it, moving by (DX, DY), still carries its strokes along."""
    rng = np.random.default_rng(2)
    wall = texture(rng, HEIGHT, WIDTH, high=0.3)
    square = texture(rng, SIDE, SIDE, low=0.6)
    paintings = [texture(rng, HEIGHT, WIDTH) for _ in range(3)]
    blend = MotionBlend()

    def noisy_flows(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The true motion, with DIS-like noise: 16-px patches off by up to 2 px; the flow
        back its opposite."""
        patches = rng.uniform(-2, 2, (HEIGHT // 16, WIDTH // 16, 2)).astype(np.float32)
        flow = np.repeat(np.repeat(patches, 16, axis=0), 16, axis=1)
        flow[moved] = (-DX, -DY)
        return flow, -flow

    monkeypatch.setattr(blend._tracker, "flows", noisy_flows)
    outputs = []
    for index, painting in enumerate(paintings):
        left, top = LEFT + index * DX, TOP + index * DY
        moved = (slice(top, top + SIDE), slice(left, left + SIDE))
        outputs.append(blend.blend(frame(wall, square, left, top), painting))

    far = (slice(None), slice(LEFT + SIDE + 3 * DX + 16, None))  # right of the square's way
    assert np.array_equal(outputs[1][far], paintings[0][far])
    assert np.array_equal(outputs[2][far], paintings[0][far])
    inside = (
        slice(TOP + 2 * DY + 8, TOP + 2 * DY + SIDE - 8),
        slice(LEFT + 2 * DX + 8, LEFT + 2 * DX + SIDE - 8),
    )
    assert np.abs(outputs[2][inside] - paintings[2][inside]).mean() > 0.05  # not repainted


def test_both_ways_the_strokes_still_move_with_the_square_and_flicker_less() -> None:
    """Six frames of the square moving by (DX, DY), each painted with unrelated strokes. Along
    the motion, the mean of the forward and backward blends changes less from frame to frame than
    the forward blend alone (two-thirds of its mean squared change here: each way's new paint is
    another frame's), and far less than in place (the strokes travel)."""
    rng = np.random.default_rng(3)
    background = texture(rng, HEIGHT, WIDTH, high=0.3)
    square = texture(rng, SIDE, SIDE, low=0.6)
    frames = [frame(background, square, LEFT + i * DX, TOP + i * DY) for i in range(6)]
    paintings = [texture(rng, HEIGHT, WIDTH) for _ in frames]
    forward, both = MotionBlend(), BothWays()
    one_way = [forward.blend(f, p) for f, p in zip(frames, paintings, strict=True)]
    for f, p in zip(frames, paintings, strict=True):
        both.add(as_bytes(f), as_bytes(p))
    blended: list[int] = []
    outputs = list(both.outputs(blended.append))
    assert blended == [1, 2, 3, 4, 5, 6] and len(outputs) == 6
    assert all(np.array_equal(out[0], as_bytes(f)) for out, f in zip(outputs, frames, strict=True))
    two_ways = [output.astype(np.float32) / 255 for _, _, output in outputs]

    def inside(index: int) -> tuple[slice, slice]:
        """The square's inside in frame `index`, 8 px from its edges."""
        top, left = TOP + index * DY + 8, LEFT + index * DX + 8
        return slice(top, top + SIDE - 16), slice(left, left + SIDE - 16)

    def change(outputs: list[np.ndarray], moving: bool) -> float:
        """Mean squared change from each frame to the next inside the square, along its motion
        or in place."""
        return float(
            np.mean(
                [
                    np.square(
                        outputs[i + 1][inside(i + 1 if moving else i)] - outputs[i][inside(i)]
                    )
                    for i in range(len(outputs) - 1)
                ]
            )
        )

    assert change(two_ways, moving=True) < 0.8 * change(one_way, moving=True)
    assert change(two_ways, moving=True) < 0.2 * change(two_ways, moving=False)


def test_the_backward_pass_reuses_the_forward_flows_and_blends_as_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The backward pass computes no flow (the forward pass computed each pair both ways), and
    its outputs are those of a backward blend computing its own, within a level of 255 but at a
    few pixels (under 0.1 %: the flows are kept as float16, and a pixel on the edge of the
    round-trip check may fall on its other side)."""
    rng = np.random.default_rng(6)
    background = texture(rng, HEIGHT, WIDTH, high=0.3)
    square = texture(rng, SIDE, SIDE, low=0.6)
    frames = [as_bytes(frame(background, square, LEFT + i * DX, TOP + i * DY)) for i in range(5)]
    paintings = [as_bytes(texture(rng, HEIGHT, WIDTH)) for _ in frames]
    both = BothWays()
    for f, p in zip(frames, paintings, strict=True):
        both.add(f, p)
    forward = [output for _, _, output in both._kept]

    def no_flows(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise AssertionError("the backward pass computed a flow")

    monkeypatch.setattr(both.backward._tracker, "flows", no_flows)
    outputs = [output for _, _, output in both.outputs()]

    def floats(pixels: np.ndarray) -> np.ndarray:
        return pixels.astype(np.float32) / 255

    on_its_own = MotionBlend()
    for index in reversed(range(len(frames))):
        backward = on_its_own.blend(floats(frames[index]), floats(paintings[index]))
        expected = as_bytes((floats(forward[index]) + backward) / 2)
        assert np.mean(np.abs(outputs[index].astype(int) - expected) > 1) < 0.001


def as_bytes(pixels: np.ndarray) -> np.ndarray:
    """0-1 floats as a clip's uint8 frame."""
    return np.round(pixels * 255.0).astype(np.uint8)
