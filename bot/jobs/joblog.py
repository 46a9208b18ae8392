"""What operators see of jobs: one logger for the whole job side, one line and the metrics at
each job's end.

The logger is named "bot.jobs" (it was "bot.worker" before the dispatcher had a name of its own);
docs/operations.md shows its lines.
"""

from __future__ import annotations

import logging
import time

from bot import metrics
from bot.models import Job

log = logging.getLogger("bot.jobs")


def ended(job: Job, outcome: str, run_s: float | None = None, why: str = "") -> None:
    """A job's end: one log line and the metrics.

    outcome: done (run_s given), failed, timeout or cancelled.
    """
    metrics.job_finished(outcome, job.request.kind, run_s)
    if run_s is None:
        run_s = time.time() - job.started_at if job.started_at else 0.0
    log.info("job %s %s after %.1f s%s", job.id, outcome, run_s, f" ({why})" if why else "")
