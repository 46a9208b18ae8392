"""Yield points (nst_engine/pauses.py): a run stands aside at them, between steps and between a
tiled step's windows, with its Engine free for another run meanwhile; it goes on where it stood,
and a cancel stops it there, within a window rather than a step."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import Engine, Settings, plans
from nst_engine.engine import Result
from nst_engine.errors import Cancelled
from nst_engine.images import load_image, resize_longer_side

# A print from 96 to 192 px in windows small enough that each step has a dozen of them.
PLAN = dataclasses.replace(plans.print_plan(96, 192), tile_memory=2e7)
PRINT = Settings(max_side=192)


@pytest.fixture(scope="module")
def photo(content_photo: Path) -> Image.Image:
    return resize_longer_side(load_image(content_photo), 192)


@pytest.fixture(scope="module")
def painting(style_painting: Path) -> Image.Image:
    return resize_longer_side(load_image(style_painting), 192)


@pytest.fixture(scope="module")
def painted(engine: Engine, photo: Image.Image, painting: Image.Image) -> Image.Image:
    return engine.run(photo, painting, Settings(max_side=96, steps=20)).image


def test_a_print_stands_aside_between_windows_and_another_run_takes_the_engine(
    engine: Engine, photo: Image.Image, painting: Image.Image, painted: Image.Image
) -> None:
    reports: list[float] = []
    points: list[int] = []  # at each yield point, how many steps had been reported
    other: list[Result] = []

    def stand_aside() -> None:
        points.append(len(reports))
        if len(points) == 2:  # inside the first step, between two of its windows
            small = Settings(max_side=64, steps=2)
            thread = threading.Thread(
                target=lambda: other.append(engine.run(photo, painting, small))
            )
            thread.start()
            thread.join(timeout=300)

    paused = engine.run(
        photo,
        painting,
        PRINT,
        lambda fraction, _: reports.append(fraction),
        resume=painted,
        plan=PLAN,
        pause=stand_aside,
    )
    assert other and max(other[0].image.size) == 64  # it ran while the print stood aside
    assert points.count(0) >= 2  # the first step's windows: yield points before it ended
    assert len(points) > 2 * paused.steps  # every step, and between its windows

    # What it stood aside for changed nothing: the print is the one painted straight through.
    straight = engine.run(photo, painting, PRINT, resume=painted, plan=PLAN)
    difference = np.abs(np.asarray(paused.image, float) - np.asarray(straight.image, float))
    assert difference.mean() < 0.5


def test_a_cancel_stops_a_print_at_its_next_window(
    engine: Engine, photo: Image.Image, painting: Image.Image, painted: Image.Image
) -> None:
    cancel = threading.Event()
    reports: list[float] = []
    points = 0

    def stand_aside() -> None:
        nonlocal points
        points += 1
        if points == 2:  # inside the first step
            cancel.set()

    with pytest.raises(Cancelled):
        engine.run(
            photo,
            painting,
            PRINT,
            lambda fraction, _: reports.append(fraction),
            cancel,
            resume=painted,
            plan=PLAN,
            pause=stand_aside,
        )
    assert reports == [] and points == 2  # stopped before its first step was done
