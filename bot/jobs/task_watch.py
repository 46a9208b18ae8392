"""What the bot knows about one remote task's worker (RemoteRunner, remote.py), and when to send
the task again: a lease seen and then gone, or inputs Redis lost, at once; a task nobody took,
after a lease, then twice as long each time."""

from __future__ import annotations

import math

from bot.jobs.channel import TaskKeys


class TaskWatch:
    """What the bot knows about one task's worker, and when to send the task again."""

    def __init__(self, job_id: int, keys: TaskKeys, lease_s: float) -> None:
        self.job_id = job_id
        self.keys = keys
        self.lease_s = lease_s
        self.has_result = False
        self.ever_leased = False
        self.alive = False
        self.cancel_sent_at: float | None = None
        self.next_probe = -math.inf
        self._resend_at = math.inf
        self._backoff = lease_s

    def sent(self, now: float) -> None:
        """Nobody took it yet: look again after lease_s, then twice as long each time."""
        self.alive = False
        self._resend_at = now + self._backoff
        self._backoff *= 2

    def leased(self, now: float) -> None:
        self.ever_leased = self.alive = True
        self._backoff = self.lease_s
        self._resend_at = math.inf

    def lease_lapsed(self, inputs_kept: bool) -> None:
        """A lease seen before is gone (its worker vanished), or the task's inputs are (Redis
        lost its data): either way nobody will run it, so it goes out again at once."""
        if self.alive or not inputs_kept:
            self.alive = False
            self._resend_at = -math.inf

    def due(self, now: float) -> bool:
        return now >= self._resend_at
