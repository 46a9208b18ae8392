"""The face detectors (the copies in mediapipe's wheel) on the labelled photos in tests/data
(docs/segmentation.md lists them with their sources and licences), the hold they give the
quality method, and what a photo without a face costs it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst_engine import Settings, plans
from nst_engine.engine import Engine
from nst_engine.errors import WeightsError
from nst_engine.faces import (
    FULL,
    MIN_HELD_FACE,
    SHORT,
    SHORT_RANGE,
    Face,
    FaceDetector,
    anchors,
    hold,
)
from nst_engine.images import load_image, resize_longer_side
from nst_engine.objective import Objective

DATA = Path(__file__).parent / "data"
# The people photos and how many faces each shows that the detectors must find (at least).
PEOPLE = {
    "portrait": 1,  # a close portrait
    "group": 3,  # Apollo 11's crew
    "profile": 1,  # a woman seen three-quarters from the side
    "small_faces": 1,  # footballers on a pitch: one face turned to the camera, 5 % of the side
    "beard_glasses": 1,  # a bearded man in sunglasses
    "children": 5,  # a classroom of children
}
# None found on these. The statue is the Great Sphinx: its weathered face is not found.
NO_PEOPLE = ("cat", "dog", "cow", "statue", "building", "landscape")


@pytest.fixture(scope="module")
def detector(face_models: Path) -> FaceDetector:
    return FaceDetector(face_models)


def photo(name: str) -> Image.Image:
    return load_image(DATA / f"{name}.jpg")


def test_the_photos_are_small_enough_to_commit() -> None:
    for path in DATA.glob("*.jpg"):
        assert path.stat().st_size <= 100_000, path
    assert {p.stem for p in DATA.glob("*.jpg")} == {*PEOPLE, *NO_PEOPLE}


def test_the_anchors_are_as_many_as_each_model_scores(detector: FaceDetector) -> None:
    for net in (SHORT, FULL):
        outputs = detector._interpreters[net].get_output_details()
        assert {int(d["shape"][1]) for d in outputs} == {len(anchors(net.grids))}
    assert anchors(SHORT.grids)[0].tolist() == [1 / 32, 1 / 32]  # a 16x16 grid's first cell


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_faces_are_found_on_every_people_photo(detector: FaceDetector, name: str) -> None:
    image = photo(name)
    found = detector.faces(image)
    assert len(found) >= PEOPLE[name]
    for face in found:
        left, top, right, bottom = face.box
        assert -0.05 * image.width < left < right < 1.05 * image.width
        assert -0.05 * image.height < top < bottom < 1.05 * image.height
        (right_eye_x, _), (left_eye_x, _) = face.keypoints[:2]
        assert left < right_eye_x < right and left < left_eye_x < right


@pytest.mark.parametrize("name", NO_PEOPLE)
def test_no_face_is_found_without_people(detector: FaceDetector, name: str) -> None:
    for side in (256, 512):
        assert detector.faces(resize_longer_side(photo(name), side)) == []


def test_a_face_that_fills_the_frame_is_found_by_the_close_range_model(
    detector: FaceDetector,
) -> None:
    """Cropped to the face, the portrait is a close face: the full range model alone misses it,
    the short range model finds it and the full range one confirms it zoomed out."""
    portrait = photo("portrait")
    (face,) = detector.faces(portrait)
    left, top, right, bottom = face.box
    middle_x, middle_y, half = (left + right) / 2, (top + bottom) / 2, 0.45 * face.size
    close = portrait.crop((middle_x - half, middle_y - half, middle_x + half, middle_y + half))
    assert detector._detect(FULL, close) == []
    (found,) = detector.faces(close)
    assert found.size > 0.8 * close.width


def test_every_face_of_a_group_is_held_and_its_hold_is_the_faces_size(
    detector: FaceDetector,
) -> None:
    """Each held region is about its face box (the face and a little around it), and its soft
    edge is the same share of the face, for the group's small faces and the portrait's large
    one alike."""
    for name in ("group", "portrait"):
        image = photo(name)
        found = detector.faces(image)
        mask = hold(found, image.size)
        assert mask is not None
        for face in found:
            left, top, right, bottom = (round(v) for v in face.box)
            reach = round(face.size / 2)
            around = mask[
                max(0, top - reach) : bottom + reach, max(0, left - reach) : right + reach
            ]
            assert 0.9 < around.sum() / ((right - left) * (bottom - top)) < 1.6, name
            row = mask[(top + bottom) // 2, max(0, left - reach) : right + reach]
            assert row.max() == 1.0
            edge = ((row > 0.05) & (row < 0.95)).sum() / 2 / face.size
            assert 0.1 < edge < 0.25, (name, edge)


def test_the_hold_covers_the_face_not_the_clothes(detector: FaceDetector) -> None:
    for name in ("portrait", "beard_glasses"):
        image = photo(name)
        (face,) = detector.faces(image)
        mask = hold([face], image.size)
        assert mask is not None
        left, top, _, bottom = face.box
        chest = round(bottom + 0.6 * (bottom - top))  # below the chin: collar, jacket
        assert chest < image.height
        assert mask[chest:].max() == 0.0, name
        assert mask[:, : max(0, round(left - 0.4 * face.size))].max() == 0.0  # hair, backdrop


def test_tiny_faces_are_not_held() -> None:
    def face(side: float) -> Face:
        return Face((100, 100, 100 + side, 100 + side), ((110, 110), (120, 110)) * 3, 0.9)

    size = (1000, 800)
    assert hold([face(0.9 * MIN_HELD_FACE * 1000)], size) is None
    mask = hold([face(0.9 * MIN_HELD_FACE * 1000), face(200)], size)
    assert mask is not None and mask[200, 200] == 1.0


def test_a_missing_or_wrong_model_is_a_weights_error_naming_it(
    face_models: Path, tmp_path: Path
) -> None:
    with pytest.raises(WeightsError, match=SHORT_RANGE.name):
        FaceDetector(tmp_path)
    for model in (SHORT_RANGE, FULL.model):
        (tmp_path / model.name).write_bytes((face_models / model.name).read_bytes())
    (tmp_path / SHORT_RANGE.name).write_bytes(b"not a model")
    with pytest.raises(WeightsError, match="wrong sha256"):
        FaceDetector(tmp_path)


def count_contents(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every VGG pass that takes a content target (the scales' and the subject's)."""
    calls: list[int] = []
    original = Objective.contents

    def counted(self: Objective, *args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Objective, "contents", counted)
    return calls


def test_a_photo_without_a_face_costs_no_subject_pass(
    engine: Engine, face_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 160 px (scales of 128 and 160 px) the cat's painting takes one content pass a scale
    and is the painting without the subject term; the group's takes one more at 160 px."""
    assert engine.load_faces() is None
    painting = load_image(DATA / "landscape.jpg")
    settings = Settings(max_side=160, steps=6)
    calls = count_contents(monkeypatch)
    cat = engine.run(photo("cat"), painting, settings).image
    assert len(calls) == 2
    off = dataclasses.replace(plans.default_plan(settings, warm=True), subject_weight=0.0)
    same = engine.run(photo("cat"), painting, settings, plan=off).image
    assert np.array_equal(np.asarray(cat), np.asarray(same))
    calls.clear()
    engine.run(photo("group"), painting, settings)
    assert len(calls) == 3
