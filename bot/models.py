"""Plain values shared by handlers, store and dispatcher: what a user chose and what a job is.

No Telegram and no TensorFlow here, so every layer can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Quality(StrEnum):
    FAST = "fast"  # the feed-forward preview only
    STANDARD = "standard"
    HIGH = "high"


class Strength(StrEnum):
    SOFT = "soft"
    MEDIUM = "medium"
    STRONG = "strong"


class Brush(StrEnum):
    """Brush size: how large the painting's strokes come out (the engine's style_scale)."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class PersonMode(StrEnum):
    """Which part of a photo is painted: all of it, or only the background or only the person
    (the other part kept as in the photo; nst_engine.segmentation finds the person)."""

    OFF = "off"  # the whole picture painted
    BACKGROUND = "background"  # the background painted, the person kept
    PERSON = "person"  # the person painted, the background kept


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Lane(StrEnum):
    """Which line a job waits in, each with its own slots: a print takes minutes and stands aside
    whenever a regular job runs, so regular jobs never wait behind one (docs/jobs.md, Lanes)."""

    REGULAR = "regular"  # paintings, previews, clips
    PRINT = "print"


class Delivery(StrEnum):
    """Where a job's result is on its way to the user; recovery after a crash reads it."""

    NONE = "none"  # no result yet
    READY = "ready"  # the result is on disk and has not been sent
    SENDING = "sending"  # sending began: after a crash nobody knows whether it arrived
    SENT = "sent"  # sent (or given up on because the chat is gone); the file is deleted


# What the user is told to expect when neither run times learned here nor the engines' measured
# pace can say (2-core CPU figures from benchmarks/engine.py; docs/engine.md has the
# measurements). Sizes are in Config.
QUALITY_EXPECTED_S = {Quality.FAST: 2, Quality.STANDARD: 60, Quality.HIGH: 150}
# A print's first guess, for its first side; a larger side takes as much longer as it has more
# pixels. Measured: a 2048 px print from a 512 px painting, 150-190 s on a 2-core CPU without
# bfloat16 kernels (docs/engine.md#print-size).
PRINT_BASE_SIDE = 2048
PRINT_EXPECTED_S = 180
# A print's time limit in NST_JOB_TIMEOUTs at PRINT_BASE_SIDE (more pixels, as much longer):
# NST_JOB_TIMEOUT is sized for a 512 px picture, which a 2048 px print takes about three times as
# long; four leaves a busy machine room.
PRINT_TIME_LIMIT = 4
STRENGTH_VALUE = {Strength.SOFT: 0.4, Strength.MEDIUM: 0.7, Strength.STRONG: 0.95}
BRUSH_SCALE = {Brush.SMALL: 0.5, Brush.MEDIUM: 1.0, Brush.LARGE: 2.0}


def brush_extra_s(quality: Quality, brush: Brush, expected_s: float) -> float:
    """Seconds a brush adds to a job that takes expected_s at the medium brush.

    The fast method paints a small brush on a photo 1/scale times larger (4x the pixels for the
    small brush); the quality method only computes the painting's features at another size,
    one VGG pass per scale against dozens of steps (an estimate, docs/bot.md), so it shows none.
    """
    scale = BRUSH_SCALE[brush]
    if quality is not Quality.FAST or scale >= 1.0:
        return 0.0
    return expected_s * (1 / scale**2 - 1)


def first_guess_s(quality: Quality, print_side: int | None = None) -> float:
    """What a job is expected to take when neither the store (run times learned here) nor the
    engines (their pace, measured at start) can say: remote workers not heard from yet."""
    if print_side is not None:
        return PRINT_EXPECTED_S * (print_side / PRINT_BASE_SIDE) ** 2
    return float(QUALITY_EXPECTED_S[quality])


@dataclass(frozen=True)
class UserSettings:
    """A user's choices in /settings; stored as JSON, so every field needs a default."""

    quality: Quality = Quality.STANDARD
    strength: Strength = Strength.MEDIUM
    preserve_colors: bool = False
    preview: bool = True
    language: str | None = None  # None: follow the user's Telegram language
    brush: Brush = Brush.MEDIUM
    seed: int = 0  # only a job's: [Variation] re-runs with a new one; /settings never sets it
    person: PersonMode = PersonMode.OFF  # photos only: animations are painted whole


@dataclass(frozen=True)
class FileRef:
    """A Telegram file: file_id downloads it, file_unique_id recognises it, size may refuse it."""

    file_id: str
    file_unique_id: str
    file_size: int | None = None


@dataclass(frozen=True)
class Mix:
    """A second painting blended into a job's first; share is the first painting's part."""

    style: FileRef | None = None
    preset_id: str | None = None
    share: float = 0.5

    def __post_init__(self) -> None:
        if (self.style is None) == (self.preset_id is None):
            raise ValueError("a mix needs exactly one of a style photo or a preset")
        if not 0.0 < self.share < 1.0:
            raise ValueError(f"a mix's share must be between 0 and 1, not {self.share}")


MIX_SHARES = (0.3, 0.5, 0.7)  # the re-run buttons under a mixed result


@dataclass(frozen=True)
class PrintSize:
    """A finished painting painted on at a print size ([🖨 Print size]): the result as Telegram
    keeps what the bot sent (the PNG file, or the photo where no file was sent) and the longer
    side asked for, in pixels."""

    side: int
    result: FileRef


class Waiting(StrEnum):
    """What waits for a person's next picture (or preset) in a chat: the conversation's state."""

    NOTHING = "nothing"  # the next picture is a photo to paint
    PHOTO = "photo"  # a photo waits for its painting: a picture or a preset
    PRESET = "preset"  # a chosen preset waits for the photo to paint
    MIX = "mix"  # a result waits for a second painting to blend in
    CLIP = "clip"  # a clip waits for its painting: a picture or a preset


# Which field of a Conversation holds what waits, in each state.
_WAITING_FIELD = {
    Waiting.PHOTO: "content",
    Waiting.CLIP: "content",
    Waiting.PRESET: "preset_id",
    Waiting.MIX: "mix_base",
}


@dataclass(frozen=True)
class Conversation:
    """Where a person's conversation in a chat stands: what waits, and since when. One record
    in the store, so a restart forgets nothing; the job that takes what waited clears it."""

    waiting: Waiting = Waiting.NOTHING
    content: FileRef | None = None  # PHOTO: the photo; CLIP: the clip
    preset_id: str | None = None  # PRESET
    mix_base: int | None = None  # MIX: the job whose result gets the second painting
    set_at: float = 0.0  # when it was set (the store's clock); purged after the retention

    def __post_init__(self) -> None:
        given = {n for n in ("content", "preset_id", "mix_base") if getattr(self, n) is not None}
        wanted = {_WAITING_FIELD[self.waiting]} if self.waiting in _WAITING_FIELD else set()
        if given != wanted:
            raise ValueError(f"a conversation waiting for {self.waiting} holds {given or 'none'}")


@dataclass(frozen=True)
class RequestExtras:
    """What a request adds to a plain painting of a photo (the glossary's "extras"); each field's
    default is the plain painting. A job row keeps them in its settings JSON, written and read
    only by bot/jobs/store/rows.py."""

    mix: Mix | None = None
    animation: bool = False  # content is a GIF or video: painted frame by frame, sent as MP4
    reply_to: int | None = None  # a group: the message its status and result reply to
    full_size: bool = True  # also send the full-resolution PNG file (in a group: if asked)
    print_size: PrintSize | None = None  # a print: the result painted on larger, sent as a file


@dataclass(frozen=True)
class JobRequest:
    """Everything needed to run a job again later: the photos by reference, never the bytes."""

    user_id: int
    chat_id: int
    content: FileRef
    style: FileRef | None
    preset_id: str | None
    settings: UserSettings
    language: str = "en"
    extras: RequestExtras = RequestExtras()

    def __post_init__(self) -> None:
        if (self.style is None) == (self.preset_id is None):
            raise ValueError("a job needs exactly one of a style photo or a preset")

    @property
    def kind(self) -> str:
        """The metrics' label for the job: "print", or its quality."""
        return "print" if self.extras.print_size is not None else str(self.settings.quality)

    @property
    def lane(self) -> Lane:
        return Lane.PRINT if self.extras.print_size is not None else Lane.REGULAR

    def time_limit_s(self, job_timeout_s: float) -> float:
        """NST_JOB_TIMEOUT; a print gets PRINT_TIME_LIMIT times it at PRINT_BASE_SIDE, and as
        much longer as it has more pixels (4096 px: 16 times)."""
        print_size = self.extras.print_size
        if print_size is None:
            return job_timeout_s
        pixels = (print_size.side / PRINT_BASE_SIDE) ** 2
        return job_timeout_s * PRINT_TIME_LIMIT * max(1.0, pixels)

    @property
    def in_group(self) -> bool:
        """Asked in a group chat (Telegram gives a private chat its person's id)."""
        return self.chat_id != self.user_id


@dataclass(frozen=True)
class Job:
    """A stored job row."""

    id: int
    request: JobRequest
    status: JobStatus
    attempts: int = 0
    progress: float = 0.0
    status_message_id: int | None = None
    error: str | None = None
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    result_path: str | None = None
    delivery: Delivery = Delivery.NONE
    # The result as Telegram keeps it once sent (the PNG file, else the photo): what a print of
    # it downloads, since the file on disk is deleted once sent.
    sent_result: FileRef | None = None

    @property
    def run_s(self) -> float:
        """Seconds from its (last) start to its end; 0 while it has not ended."""
        if self.started_at is None or self.finished_at is None:
            return 0.0
        return self.finished_at - self.started_at
