"""Prometheus metrics: the names in one place, and plain functions the rest of the bot calls.

Served on NST_METRICS_PORT (off by default) by prometheus-client's own HTTP server thread. Every
label value comes from a small fixed set (outcomes, qualities, refusal reasons, Bot API method
names), never a user id or a file name, so the number of series stays bounded. Calling these
functions without a server running is harmless: the values simply are not scraped.
"""

from __future__ import annotations

import re
import sys
import time
from importlib import metadata
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, Info, start_http_server
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

# Seconds: a preview takes one or two, a CPU run about a minute, a 4096 px print on a CPU a
# quarter of an hour, a long queue many minutes.
WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
RUN_BUCKETS = (1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600)
PREVIEW_BUCKETS = (0.25, 0.5, 1, 2, 3, 5, 10, 20, 30)
_METHOD = re.compile(r"[A-Za-z]{1,40}")

JOBS_QUEUED = Counter("nst_jobs_queued_total", "Jobs accepted into the queue", ["quality"])
JOBS_FINISHED = Counter(
    "nst_jobs_finished_total",
    "Jobs that ended: done, failed, timeout or cancelled",
    ["outcome", "quality"],
)
QUEUE_LENGTH = Gauge("nst_queue_length", "Jobs waiting to run")
JOBS_RUNNING = Gauge("nst_jobs_running", "Jobs running now")
JOB_WAIT = Histogram(
    "nst_job_wait_seconds", "From queued to started", ["quality"], buckets=WAIT_BUCKETS
)
JOB_RUN = Histogram(
    "nst_job_run_seconds", "From started to done (done jobs)", ["quality"], buckets=RUN_BUCKETS
)
PREVIEW = Histogram(
    "nst_preview_seconds", "From a preview's start to its photo sent", buckets=PREVIEW_BUCKETS
)
TELEGRAM_ERRORS = Counter(
    "nst_telegram_errors_total",
    "Bot API requests that failed, by method and kind (flood = 429, network, 4xx, 5xx)",
    ["method", "kind"],
)
REFUSED = Counter(
    "nst_downloads_refused_total", "Files people sent that the bot refused, by reason", ["reason"]
)
# When the job waiting longest was queued (None: none waits); the gauge reads its age on scrape.
_oldest_queued_at: float | None = None
OLDEST_WAIT = Gauge(
    "nst_oldest_job_wait_seconds", "How long the job waiting longest has waited (0: none waits)"
)
OLDEST_WAIT.set_function(
    lambda: 0.0 if _oldest_queued_at is None else time.time() - _oldest_queued_at
)
ENGINES = Gauge(
    "nst_engines_online", "Engines ready to run jobs: in the bot's process, or on nst-workers"
)
BUILD = Info("nst_build", "The bot's version")


def serve(port: int) -> Any:
    """Start the /metrics endpoint on all interfaces; returns the server (call shutdown())."""
    try:
        version = metadata.version("nst-telegram-bot")
    except metadata.PackageNotFoundError:
        version = "unknown"
    BUILD.info({"version": version, "python": sys.version.split()[0]})
    server, _thread = start_http_server(port)
    return server


def job_queued(quality: str) -> None:
    JOBS_QUEUED.labels(quality).inc()


def job_started(quality: str, waited_s: float) -> None:
    JOB_WAIT.labels(quality).observe(waited_s)


def job_finished(outcome: str, quality: str, run_s: float | None = None) -> None:
    """outcome: done, failed, timeout or cancelled; run_s only for done jobs."""
    JOBS_FINISHED.labels(outcome, quality).inc()
    if run_s is not None:
        JOB_RUN.labels(quality).observe(run_s)


def queue(queued: int, running: int, oldest_queued_at: float | None) -> None:
    global _oldest_queued_at
    QUEUE_LENGTH.set(queued)
    JOBS_RUNNING.set(running)
    _oldest_queued_at = oldest_queued_at


def preview_sent(seconds: float) -> None:
    PREVIEW.observe(seconds)


def download_refused(reason: str) -> None:
    REFUSED.labels(reason).inc()


def engines_online(count: int) -> None:
    ENGINES.set(count)


def _method(url: str) -> str:
    """The Bot API method a request URL calls; "download" for files (their paths are not labels)."""
    if "/file/bot" in url:
        return "download"
    name = url.rsplit("/", 1)[-1]
    return name if _METHOD.fullmatch(name) else "other"


class CountingRequest(HTTPXRequest):
    """python-telegram-bot's HTTP client, counting failed Bot API requests by method and kind.

    Every request passes here, retries included, so each 429 Telegram answers is counted once.
    """

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(url, *args, **kwargs)
        except (NetworkError, TimedOut):
            TELEGRAM_ERRORS.labels(_method(url), "network").inc()
            raise
        if code >= 400:
            kind = "flood" if code == 429 else f"{code // 100}xx"
            TELEGRAM_ERRORS.labels(_method(url), kind).inc()
        return code, payload
