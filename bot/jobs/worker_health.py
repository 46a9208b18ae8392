"""`nst-worker health`: Docker's health check, from the file a worker touches after each
heartbeat Redis took (so it fails while Redis is away, though the worker itself waits)."""

from __future__ import annotations

import sys
import time

from bot.config import WorkerConfig

EXIT_UNHEALTHY = 1


def check_health(config: WorkerConfig) -> int:
    """Healthy while the worker keeps beating (it beats only while Redis answers)."""
    try:
        age = time.time() - config.heartbeat_path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {config.heartbeat_path}", file=sys.stderr)
        return EXIT_UNHEALTHY
    if age > 3 * config.beat_s + 5:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return EXIT_UNHEALTHY
    return 0
