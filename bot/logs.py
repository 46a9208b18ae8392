"""The bot's log: plain lines (or JSON) on stderr, and never the token, whatever writes to it.

Redaction is done on the finished text of every record (its message, exception text and stack
trace), so a token inside an exception's message or a logged URL is blanked wherever it comes
from. Exceptions nobody caught would bypass logging and print the token: the excepthooks route
them through the same formatter. Users' images are never logged (nothing logs their bytes).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from types import TracebackType

REDACTED = "<token>"
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats with `inner`, then blanks every secret out of the whole text."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = [secret for secret in secrets if secret]

    def add_secret(self, secret: str) -> None:
        """One more value to blank out (the webhook secret, once it is known)."""
        self._secrets.append(secret)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self._inner.format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def log_formatter(token: str, style: str = "text") -> RedactingFormatter:
    """The formatter of the bot's log: style "text" (a line per record) or "json"."""
    inner = JsonFormatter() if style == "json" else logging.Formatter(LINE_FORMAT)
    return RedactingFormatter(inner, [token])


def configure_logging(token: str, level: str = "INFO", style: str = "text") -> RedactingFormatter:
    """Install the redacting handler and hooks; call before anything can log or raise.

    style: "text" (a line per record) or "json" (an object per line).
    """
    formatter = log_formatter(token, style)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.captureWarnings(True)  # warnings go through the same redaction
    quiet_noisy_loggers()
    _install_excepthooks()
    return formatter


def quiet_noisy_loggers() -> None:
    """Libraries whose INFO lines are noise or risk: an idle bot writes nothing at INFO."""
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The job queue says "Running job ..." at INFO for every heartbeat: noise, twice a minute.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # TensorFlow's Python side; its C++ side is quietened by nst_engine (TF_CPP_MIN_LOG_LEVEL).
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.WARNING)


def _install_excepthooks() -> None:
    """Uncaught exceptions (main thread and others) are logged, redacted, instead of printed."""
    log = logging.getLogger("bot")

    def uncaught(
        kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        log.critical("uncaught exception", exc_info=(kind, error, trace))

    def uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            uncaught(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread
