"""What each kind of job took at each side, learned as jobs finish: what waits are promised from.

One row per kind ("standard", "print", ...) and side (its output's longer side), a moving average
of the jobs' working time (paused time left out), so it follows the machine as its load changes
and survives both restarts and the retention's purge of job rows.
"""

from __future__ import annotations

from bot.jobs.store.database import Database

# Each finished job moves the average this share of the way to its own time: about the last
# half-dozen jobs count, so a change of machine or load shows within a few jobs.
LEARNING_RATE = 0.3


class RunTimes(Database):
    """Learned run times, by kind and side."""

    async def learn_run_time(self, kind: str, side: int, seconds: float) -> None:
        """A job of this kind and side worked `seconds`; the first one is taken as it is."""
        await self._write(
            """
            INSERT INTO run_times (kind, side, seconds, runs, updated_at)
            VALUES (:kind, :side, :seconds, 1, :now)
            ON CONFLICT (kind, side) DO UPDATE SET
                seconds = seconds + :rate * (excluded.seconds - seconds),
                runs = runs + 1,
                updated_at = excluded.updated_at
            """,
            {
                "kind": kind,
                "side": side,
                "seconds": seconds,
                "now": self._clock(),
                "rate": LEARNING_RATE,
            },
        )

    async def run_times(self) -> dict[tuple[str, int], float]:
        """What a job of each kind and side takes, as learned (none before one has finished)."""
        rows = await self._all("SELECT kind, side, seconds FROM run_times")
        return {(row["kind"], row["side"]): float(row["seconds"]) for row in rows}
