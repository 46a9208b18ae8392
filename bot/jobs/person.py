"""Person mode on the job side: the composite that keeps the person (or the background) of the
photo after the engine has painted, through the process's one selfie segmenter (loaded when a
runner starts and shared with the engines, whose quality method holds a person's face with it).

The one place for it: the in-process runner and the remote worker both paint photos through
InProcessRunner.stylize, which calls PersonKeeper.apply, so a job is composited the same way
wherever it runs. Animations are painted whole (person mode is for photos): a clip's frames
would each need a mask, and the flicker damping in nst_engine.animation blends painted frames
over time, so a kept person would smear into the painted background as it moves.

Nothing here imports telegram, and nothing here may stop a job: without the model (not
downloaded, a wrong file) person mode is unavailable (`error` says why) and a job that asks for
it is painted whole.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from bot.models import PersonMode
from nst_engine.images import load_image

if TYPE_CHECKING:
    from nst_engine.engine import OptionalModel
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


class PersonKeeper:
    """The composite after a job, through the segmenter the runner shares with its engines."""

    def __init__(self, segmenter: OptionalModel[PersonSegmenter]) -> None:
        """segmenter: the process's one segmenter; the engines' subject term uses it too."""
        self._segmenter = segmenter
        self.error: str | None = "the segmenter has not been loaded"

    def load(self) -> None:
        """Load the model once (blocking: call it on an engine thread at start-up)."""
        self.error = self._segmenter.error
        if self.error is not None:  # a missing, wrong or unreadable model: no person mode
            log.warning("person mode unavailable: %s", self.error)

    def apply(self, content: Path, painted: Image.Image, mode: PersonMode) -> Image.Image:
        """The painting with the person (or the background) of the photo at content kept.

        The mask is computed on the photo scaled to the painting's size: the model squashes it
        to 256 px anyway, and a mask at a 12-megapixel photo's size would only be scaled down.
        """
        if mode is PersonMode.OFF:
            return painted
        segmenter = self._segmenter.get()
        if segmenter is None:
            log.warning("person mode asked for but unavailable; painted whole: %s", self.error)
            return painted
        from nst_engine.segmentation import composite

        photo = load_image(content).resize(painted.size, Image.Resampling.LANCZOS)
        mask = segmenter.mask(photo)
        return composite(photo, painted, mask, PAINTED[mode], kept_styling=KEPT_STYLING)
