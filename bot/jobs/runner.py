"""The runner seam: what the job side asks of whatever makes a job's pixels (JobRunner), what it
hears back (Capacity, progress, the errors), and nothing of how.

The dispatcher knows only JobRunner, so the engines can run in this process (in_process.py's
InProcessRunner) or on nst-worker machines (remote.py's RemoteRunner) without the dispatcher or
the handlers knowing which. Both get the process's fast service (fast_service.py), where
contact sheets and clips are made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.models import Job, PersonMode
from nst_engine.errors import Cancelled
from nst_engine.settings import Settings

Progress = Callable[[float], None]
# paused(True) when a print stands aside for regular work, paused(False) when it goes on.
Paused = Callable[[bool], None]


class RunnerUnavailable(Exception):
    """The runner cannot start (its queue cannot be reached); the message is one line."""


class NotStarted(Cancelled):
    """Stopped before any engine took the job: no worker was free (or online) in time."""


class EngineOffline(NotStarted):
    """Nobody took the job and no remote worker has been online for a lease: it goes back to
    the queue and waits there until one is (Capacity.online)."""


@dataclass(frozen=True)
class Capacity:
    """What /status and /stats show about the machinery: engines online and how many are busy."""

    engines: int  # in this process, or the nst-workers' engines online
    busy: int
    remote: bool = False  # the engines are remote workers, which come and go
    # Whether a job can be painted now: remote workers count as gone only once none has sent its
    # heartbeat for a lease, so a Redis restart that drops the heartbeats for a beat is no outage.
    online: bool = True


class JobRunner(Protocol):
    """Runs stylizations; one implementation per backend (in-process threads, remote workers)."""

    async def start(self) -> None:
        """Get ready to run (load models, connect); called once before the first run."""

    async def stop(self) -> None:
        """Release everything; runs in flight have been cancelled and awaited by then."""

    @property
    def fast_error(self) -> str | None:
        """None when previews (the fast method where jobs are painted: here, or the workers)
        are available, else why they are not."""

    @property
    def sheet_error(self) -> str | None:
        """None when contact sheets and clips can be made, else why not: they are made by this
        process's fast service in both modes, so its own models count."""

    @property
    def person_error(self) -> str | None:
        """None when person mode (segmenter, face detector) is available, else why it is not."""

    async def sees_no_face(self, content: Path) -> bool:
        """True when a face detector found no face in the photo: person mode has no one to
        keep. False when it found one or none could look (the engine then looks itself)."""

    async def run(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
        person: PersonMode = PersonMode.OFF,
        resume: Path | None = None,
        paused: Paused | None = None,
    ) -> None:
        """Write the stylized image to output as PNG: content in the style of the paintings,
        mixed by settings.style_weights when there are several; with person mode, only the
        background (or the person) painted and the rest kept as in the photo.

        resume: a print: that finished painting painted on at settings.max_side, written to
        output as the print file (bot/jobs/prints.py) instead. A print stands aside while
        regular work runs where it is painted, and says so through `paused`.

        progress(fraction) and paused(bool) are called on the event loop's thread. Setting
        cancel makes the run raise nst_engine.Cancelled within one optimisation step (a print:
        one window; NotStarted if nothing had started it); a bad input raises ImageError.
        """

    def estimate_s(self, settings: Settings, painted_side: int | None = None) -> float | None:
        """Seconds a run of `settings` takes (painted_side: a print from a painting of that
        side) by the engines' pace measured at their start; None when unknown."""

    async def forget(self, job_id: int) -> None:
        """The job ended or went back to the queue: drop whatever is kept for it."""

    async def capacity(self) -> Capacity:
        """Engines online now and how many of them are running a job."""

    async def animate(
        self,
        job: Job,
        content: Path,
        style: Sequence[Path],
        settings: Settings,
        output: Path,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        """Write the clip at content painted frame by frame by the fast method as a silent MP4.

        Progress and cancel as in run; ImageError for a file that is not a video or is over
        nst_engine.animation's limits; EngineError if the fast method is unavailable.
        """

    async def contact_sheet(
        self,
        content: Path,
        styles: Sequence[tuple[str, Path]],
        settings: Settings,
        output: Path,
    ) -> None:
        """Write a JPEG grid of content painted by the fast method in each (title, painting).

        Never waits behind the quality jobs; EngineError if the fast method is unavailable.
        """
