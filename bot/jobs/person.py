"""Person mode on the job side: the composite that keeps the person (or the background) of the
photo after the engine has painted, through the selfie segmenter, and only where the process's
one face detector (shared with the engines, whose quality method holds the faces it finds)
finds a face: the segmenter alone takes a cat for a person.

The one place for it: the in-process runner and the remote worker both paint photos through
InProcessRunner.stylize, which calls PersonKeeper.apply, so a job is composited the same way
wherever it runs. Animations are painted whole (person mode is for photos): a clip's frames
would each need a mask, and the flicker damping in nst_engine.animation blends painted frames
over time, so a kept person would smear into the painted background as it moves.

Nothing here imports telegram, and nothing here may stop a job: without either model (not
downloaded, a wrong file) person mode is unavailable (`error` says why) and a job that asks for
it is painted whole.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from bot.models import PersonMode
from nst_engine.images import load_image, resize_longer_side
from nst_engine.optional import OptionalModel

if TYPE_CHECKING:
    from nst_engine.faces import FaceDetector
    from nst_engine.segmentation import Mode, PersonSegmenter

log = logging.getLogger(__name__)

# How much of the painting the kept part gets: none, so "keep me" keeps the face as photographed
# (nst_engine.segmentation.LIGHT_STYLING would blend a quarter in; the mask's soft edge is
# enough to keep the person from looking cut out).
KEPT_STYLING = 0.0
# The engine's name for the part that is painted.
PAINTED: dict[PersonMode, Mode] = {
    PersonMode.BACKGROUND: "background",
    PersonMode.PERSON: "person",
}
# A larger photo is looked for faces at this side: the detector sees it at 192 px anyway.
FACE_SEARCH_SIDE = 512


class PersonKeeper:
    """The composite after a job, through the segmenter and the face detector that the fast
    service shares with the engines."""

    def __init__(self, faces: OptionalModel[FaceDetector], segmenter: Path | None) -> None:
        """faces: the process's one face detector, which the engines' subject term uses too;
        segmenter: its model file (else the download cache's), this class's alone."""
        from nst_engine.segmentation import PersonSegmenter

        self._segmenter: OptionalModel[PersonSegmenter] = OptionalModel(
            lambda: PersonSegmenter(segmenter)
        )
        self._faces = faces
        self.error: str | None = "the segmenter has not been loaded"

    def load(self) -> None:
        """Load both models once (blocking: call it on an engine thread at start-up)."""
        self.error = self._segmenter.error or self._faces.error
        if self.error is not None:  # a missing, wrong or unreadable model: no person mode
            log.warning("person mode unavailable: %s", self.error)

    def sees_no_face(self, photo: Image.Image) -> bool:
        """True when the face detector is there and finds no face in the photo."""
        detector = self._faces.get()
        return detector is not None and has_no_face(detector, photo)

    def apply(self, content: Path, painted: Image.Image, mode: PersonMode) -> Image.Image:
        """The painting with the person (or the background) of the photo at content kept; the
        painting as it is when the photo has no face.

        The mask is computed on the photo scaled to the painting's size: the model squashes it
        to 256 px anyway, and a mask at a 12-megapixel photo's size would only be scaled down.
        """
        if mode is PersonMode.OFF:
            return painted
        segmenter = self._segmenter.get()
        if segmenter is None or self._faces.get() is None:
            log.warning("person mode asked for but unavailable; painted whole: %s", self.error)
            return painted
        from nst_engine.segmentation import composite

        photo = load_image(content)
        if self.sees_no_face(photo):
            return painted
        photo = photo.resize(painted.size, Image.Resampling.LANCZOS)
        mask = segmenter.mask(photo)
        return composite(photo, painted, mask, PAINTED[mode], kept_styling=KEPT_STYLING)


def has_no_face(detector: FaceDetector, photo: Image.Image) -> bool:
    """Whether `detector` finds no face in `photo` (a large one looked at FACE_SEARCH_SIDE)."""
    if max(photo.size) > FACE_SEARCH_SIDE:
        photo = resize_longer_side(photo, FACE_SEARCH_SIDE)
    return not detector.faces(photo)
