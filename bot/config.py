"""The bot's configuration, read once from the environment: one documented home per setting."""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from nst_engine import precision
from nst_engine.precision import Choice

HEARTBEAT_S = 30  # how often the running bot proves it is alive (see `nst-bot health`)
PRINT_SIDES = (2048, 4096)  # [🖨 Print size]'s choices by default
MAX_PRINT_SIDE = 4096  # the engine's largest side

TOKEN_MISSING = (
    "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather, "
    "then run TELEGRAM_BOT_TOKEN=<token> make run"
)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line an operator can act on."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").replace(" ", "")
    try:
        return frozenset(int(part) for part in raw.split(",") if part)
    except ValueError:
        raise ConfigError(
            f"{name} must be comma-separated Telegram user ids, not {raw!r}"
        ) from None


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def redis_url(env: Mapping[str, str]) -> str | None:
    """NST_REDIS_URL, checked for a scheme Redis clients understand; None when it is not set.

    It may carry a user and password (redis://user:password@host:6379/0, or ?password= for
    unix://) and ask for TLS (rediss://, with redis-py's ssl_* query options).
    """
    raw = env.get("NST_REDIS_URL", "").strip()
    if raw and not raw.startswith(REDIS_SCHEMES):
        raise ConfigError(
            f"NST_REDIS_URL must start with {', '.join(REDIS_SCHEMES)}, like redis://redis:6379/0"
        )
    parts = urlsplit(raw)
    if parts.fragment or "@" in parts.path + parts.query:  # a password's "#", "/" or "?" raw
        raise ConfigError(
            "NST_REDIS_URL: percent-encode the password's special characters"
            " (# as %23, / as %2F, ? as %3F, @ as %40)"
        )
    return raw or None


_QUERY_PASSWORD = re.compile(r"(^|&)password=([^&]*)")


def redis_secrets(url: str | None) -> list[str]:
    """The password in a Redis URL, as written and percent-decoded: what no log line may show."""
    if not url:
        return []
    parts = urlsplit(url)
    written = [parts.password or "", *(m.group(2) for m in _QUERY_PASSWORD.finditer(parts.query))]
    return [secret for raw in written if raw for secret in {raw, unquote(raw)}]


def safe_url(url: str) -> str:
    """A Redis URL as logs and messages show it: its password replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        credentials, _, host = netloc.rpartition("@")
        netloc = f"{credentials.split(':', 1)[0]}:***@{host}"
    query = _QUERY_PASSWORD.sub(r"\1password=***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _precision(env: Mapping[str, str]) -> Choice:
    try:
        return precision.from_env(env)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _webhook_url(env: Mapping[str, str]) -> str | None:
    raw = env.get("NST_WEBHOOK_URL", "").strip()
    if raw and not raw.startswith(("https://", "http://")):
        raise ConfigError(f"NST_WEBHOOK_URL must be the bot's public https:// URL, not {raw!r}")
    return raw or None


def _secret(env: Mapping[str, str]) -> str | None:
    """Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and - in a webhook's secret token."""
    raw = env.get("NST_WEBHOOK_SECRET", "").strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
        raise ConfigError("NST_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ and -, at most 256")
    return raw or None


def _concurrent_jobs(env: Mapping[str, str], default: int) -> int:
    """NST_CONCURRENT_JOBS, or its old name NST_WORKERS (see deprecated_settings)."""
    name = "NST_CONCURRENT_JOBS" if env.get("NST_CONCURRENT_JOBS", "").strip() else "NST_WORKERS"
    return _int(env, name, default, minimum=1)


# Settings renamed: the old name still works, and the bot says once at start what to use instead.
RENAMED = {"NST_WORKERS": "NST_CONCURRENT_JOBS"}


def deprecated_settings(env: Mapping[str, str] = os.environ) -> list[str]:
    """One line per old setting name the environment still uses, for the log at start."""
    return [
        f"{old} is deprecated: set {new} instead (same meaning)"
        for old, new in RENAMED.items()
        if env.get(old, "").strip()
    ]


@dataclass(frozen=True)
class EngineOptions:
    """How a process builds its engines: the bot's in-process runner, or an nst-worker's.

    The models' paths reach the engine as arguments; None: downloaded once into its cache.
    """

    precision: Choice = "auto"  # the convolutions; auto: bfloat16 where it is fast
    compilation_cache: Path | None = None  # JAX's compiled programs; None: the engine's default
    warm_sides: tuple[int, ...] = (512, 768)  # output sides compiled for before the first job
    # What the engine's pace is measured on at start (nst_engine/pace.py): the fast method's
    # side and the print sides, besides the warm sides' scales.
    fast_side: int = 1024
    print_sides: tuple[int, ...] = PRINT_SIDES
    face_models_dir: Path | None = None  # the two face detectors; None: downloaded once
    vgg_weights: Path | None = None  # VGG19's weights (.h5); None: Keras' ImageNet download
    fast_models_dir: Path | None = None  # Magenta's two networks (previews, warm start)
    segmentation_model: Path | None = None  # the selfie segmenter (person mode)


@dataclass(frozen=True)
class Config:
    """Every environment variable the bot reads, with its default (README lists the same)."""

    token: str
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    data_dir: Path = Path("data")
    presets_dir: Path | None = None
    concurrent_jobs: int = 1  # in this process: one engine each; remote: jobs in flight
    concurrent_prints: int = 1  # prints at once, in a lane of their own (docs/jobs.md, Lanes)
    jobs_per_person: int = 3  # a person's queued and running jobs at once
    daily_limit: int = 20
    queue_limit: int = 50
    job_timeout_s: int = 600
    retention_days: int = 7
    fast_side: int = 1024
    standard_side: int = 512
    high_side: int = 768
    quality_steps: int | None = None  # None: the engine's own budget for each size
    print_sides: tuple[int, ...] = PRINT_SIDES  # [🖨 Print size]'s choices; empty: no button
    precision: Choice = "auto"  # the engine's convolutions; auto: bfloat16 where it is fast
    compilation_cache: Path | None = None  # JAX's compiled programs; None: data_dir/compiled
    face_models_dir: Path | None = None  # MediaPipe's two face detectors; None: downloaded
    vgg_weights: Path | None = None  # VGG19's weights (.h5); None: Keras' ImageNet download
    fast_models_dir: Path | None = None  # Magenta's two networks; None: downloaded
    segmentation_model: Path | None = None  # MediaPipe's selfie segmenter; None: downloaded
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    redis_url: str | None = None  # set: jobs go to nst-worker processes through this Redis
    lease_s: int = 30  # a remote worker silent this long is taken for gone
    log_format: str = "text"
    webhook_url: str | None = None  # set: webhook mode instead of long polling
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8080
    webhook_secret: str | None = None  # None: generated and kept in the data folder
    metrics_port: int | None = None  # None: no Prometheus endpoint
    test_hold: Path | None = None  # tests only: where they hold jobs (bot/jobs/hold.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, *, need_token: bool = True) -> Config:
        """need_token=False serves commands that never talk to Telegram (presets fetch, health)."""
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if need_token and not token:
            raise ConfigError(TOKEN_MISSING)
        presets = env.get("NST_PRESETS_DIR", "").strip()
        standard_side = _int(env, "NST_STANDARD_SIDE", cls.standard_side, minimum=64)
        high_side = _int(env, "NST_HIGH_SIDE", cls.high_side, minimum=64)
        return cls(
            token=token,
            base_url=env.get("TELEGRAM_BASE_URL", "").strip() or cls.base_url,
            base_file_url=env.get("TELEGRAM_BASE_FILE_URL", "").strip() or cls.base_file_url,
            data_dir=Path(env.get("NST_DATA_DIR", "").strip() or cls.data_dir),
            presets_dir=Path(presets) if presets else None,
            concurrent_jobs=_concurrent_jobs(env, cls.concurrent_jobs),
            concurrent_prints=_int(env, "NST_CONCURRENT_PRINTS", cls.concurrent_prints, minimum=1),
            jobs_per_person=_int(env, "NST_JOBS_PER_PERSON", cls.jobs_per_person, minimum=1),
            daily_limit=_int(env, "NST_DAILY_LIMIT", cls.daily_limit),
            queue_limit=_int(env, "NST_QUEUE_LIMIT", cls.queue_limit, minimum=1),
            job_timeout_s=_int(env, "NST_JOB_TIMEOUT", cls.job_timeout_s, minimum=10),
            retention_days=_int(env, "NST_RETENTION_DAYS", cls.retention_days, minimum=1),
            fast_side=_int(env, "NST_FAST_SIDE", cls.fast_side, minimum=64),
            standard_side=standard_side,
            high_side=high_side,
            quality_steps=_int(env, "NST_QUALITY_STEPS", 0) or None,
            print_sides=_print_sides(env, max(standard_side, high_side)),
            precision=_precision(env),
            compilation_cache=_path(env, "NST_COMPILATION_CACHE"),
            face_models_dir=_path(env, "NST_FACE_MODELS_DIR"),
            vgg_weights=_path(env, "NST_VGG19_WEIGHTS"),
            fast_models_dir=_path(env, "NST_FAST_MODELS_DIR"),
            segmentation_model=_path(env, "NST_SEGMENTATION_MODEL"),
            admin_ids=_ids(env, "NST_ADMIN_IDS"),
            log_level=env.get("LOG_LEVEL", "").strip().upper() or cls.log_level,
            redis_url=redis_url(env),
            lease_s=_int(env, "NST_LEASE_S", cls.lease_s, minimum=1),
            log_format=_choice(env, "LOG_FORMAT", ("text", "json")),
            webhook_url=_webhook_url(env),
            webhook_listen=env.get("NST_WEBHOOK_LISTEN", "").strip() or cls.webhook_listen,
            webhook_port=_int(env, "NST_WEBHOOK_PORT", cls.webhook_port, minimum=1),
            webhook_secret=_secret(env),
            metrics_port=_int(env, "NST_METRICS_PORT", 0) or None,
            test_hold=_path(env, "NST_TEST_HOLD"),
        )

    @property
    def database_path(self) -> Path:
        return self.data_dir / "bot.sqlite3"

    @property
    def engine_options(self) -> EngineOptions:
        """The in-process engines': JAX's compiled programs kept in the data folder."""
        cache = self.compilation_cache or self.data_dir / "compiled"
        return EngineOptions(
            precision=self.precision,
            compilation_cache=cache,
            warm_sides=(self.standard_side, self.high_side),
            fast_side=self.fast_side,
            print_sides=self.print_sides,
            face_models_dir=self.face_models_dir,
            vgg_weights=self.vgg_weights,
            fast_models_dir=self.fast_models_dir,
            segmentation_model=self.segmentation_model,
        )

    @property
    def webhook_secret_path(self) -> Path:
        """Where the generated webhook secret is kept, so a restart reuses it."""
        return self.data_dir / "webhook-secret"

    @property
    def heartbeat_path(self) -> Path:
        """Touched every HEARTBEAT_S by the running bot; `nst-bot health` reads its age."""
        return self.data_dir / "heartbeat"


@dataclass(frozen=True)
class WorkerConfig:
    """The nst-worker's environment (README, "Running on several machines")."""

    redis_url: str
    name: str
    concurrency: int = 1
    lease_s: int = 30
    engine: EngineOptions = EngineOptions()
    heartbeat_path: Path = Path(tempfile.gettempdir()) / "nst-worker-heartbeat"
    log_level: str = "INFO"
    test_hold: Path | None = None  # tests only: where they hold jobs (bot/jobs/hold.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> WorkerConfig:
        url = redis_url(env)
        if url is None:
            raise ConfigError("NST_REDIS_URL is not set: point it at the bot's Redis")
        heartbeat = env.get("NST_WORKER_HEARTBEAT", "").strip()
        return cls(
            redis_url=url,
            name=env.get("NST_WORKER_NAME", "").strip() or f"{socket.gethostname()}-{os.getpid()}",
            concurrency=_int(env, "NST_WORKER_CONCURRENCY", cls.concurrency, minimum=1),
            lease_s=_int(env, "NST_LEASE_S", cls.lease_s, minimum=1),
            engine=_worker_engine(env),
            heartbeat_path=Path(heartbeat) if heartbeat else cls.heartbeat_path,
            log_level=env.get("LOG_LEVEL", "").strip().upper() or cls.log_level,
            test_hold=_path(env, "NST_TEST_HOLD"),
        )

    @property
    def beat_s(self) -> float:
        """Heartbeats and lease renewals come three times per lease."""
        return self.lease_s / 3


def _worker_engine(env: Mapping[str, str]) -> EngineOptions:
    """A worker compiles for the sides the bot asks for and measures its pace on them: set
    NST_STANDARD_SIDE, NST_HIGH_SIDE, NST_FAST_SIDE and NST_PRINT_SIDES as the bot's (the
    defaults match); the compilation cache is $NST_COMPILATION_CACHE, else the engine's
    default; the models are where the bot's variables of the same names say, else downloaded."""
    sides = (
        _int(env, "NST_STANDARD_SIDE", Config.standard_side, minimum=64),
        _int(env, "NST_HIGH_SIDE", Config.high_side, minimum=64),
    )
    return EngineOptions(
        precision=_precision(env),
        compilation_cache=_path(env, "NST_COMPILATION_CACHE"),
        warm_sides=sides,
        fast_side=_int(env, "NST_FAST_SIDE", Config.fast_side, minimum=64),
        print_sides=_print_sides(env, max(sides)),
        face_models_dir=_path(env, "NST_FACE_MODELS_DIR"),
        vgg_weights=_path(env, "NST_VGG19_WEIGHTS"),
        fast_models_dir=_path(env, "NST_FAST_MODELS_DIR"),
        segmentation_model=_path(env, "NST_SEGMENTATION_MODEL"),
    )


def _print_sides(env: Mapping[str, str], painted: int) -> tuple[int, ...]:
    """NST_PRINT_SIDES: the sides [🖨 Print size] offers, each larger than any painting (the
    larger of NST_STANDARD_SIDE and NST_HIGH_SIDE); unset: 2048 and 4096; empty: no button."""
    raw = env.get("NST_PRINT_SIDES")
    if raw is None:
        return PRINT_SIDES
    try:
        sides = sorted({int(part) for part in raw.replace(" ", "").split(",") if part})
    except ValueError:
        raise ConfigError(
            f"NST_PRINT_SIDES must be comma-separated sides in px like 2048,4096, not {raw!r}"
        ) from None
    if sides and not painted < sides[0] <= sides[-1] <= MAX_PRINT_SIDE:
        raise ConfigError(
            f"NST_PRINT_SIDES must lie above the paintings' {painted} px (NST_STANDARD_SIDE,"
            f" NST_HIGH_SIDE) and at most {MAX_PRINT_SIDE}, not {raw!r}"
        )
    return tuple(sides)


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "").strip()
    return Path(raw).expanduser() if raw else None
