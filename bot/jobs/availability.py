"""Whether anyone can paint now, and what changes with it: claims, queued messages, the log.

Engines in this process always can. Remote workers can while one has sent its heartbeat within a
lease (Capacity.online). With none, the dispatcher claims nothing: jobs wait in the store instead
of being claimed and timed out one by one, and their status messages say the painter is offline
and the picture will be painted when it is back (a job whose worker vanished comes back to the
queue the same way: EngineOffline). When a worker returns, the messages say each job's place
again and only then is the dispatcher woken, so no refresh can overwrite a started job's message;
the queue then drains in order.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.jobs.crew import Crew
from bot.jobs.joblog import log
from bot.jobs.status import StatusBoard

CHECK_EVERY_S = 1.0
# Telegram may be slow: a refresh of the queued messages stops after this (the next change
# refreshes them again), so claims never wait long for it.
REFRESH_LIMIT_S = 10.0


class EngineWatch:
    """Reads the runner's capacity every CHECK_EVERY_S and acts when engines come or go."""

    def __init__(self, crew: Crew, board: StatusBoard) -> None:
        self._crew = crew
        self._board = board
        self._said_online = True  # what the log and the queued messages said last

    async def watch(self) -> None:
        """Until the dispatcher stops; at once for engines in this process, which never leave."""
        while not self._crew.stopped.is_set():
            try:
                if not await self.check():
                    return
            except Exception:
                log.exception("checking for engines failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._crew.stopped.wait(), CHECK_EVERY_S)

    async def check(self) -> bool:
        """Look once (the dispatcher does before its first claim); whether engines are remote."""
        capacity = await self._crew.runner.capacity()
        online = capacity.online
        if online != self._said_online:
            self._said_online = online
            if online:
                log.info(
                    "an engine is online again (%d engines): the queue drains", capacity.engines
                )
            else:
                self._crew.engines_online = False  # first, so nothing more is claimed
                log.warning("no engine online: jobs wait in the queue until one is back")
            await self._refresh()
        if online and not self._crew.engines_online:
            self._crew.engines_online = True
            self._crew.wake()
        return capacity.remote

    async def _refresh(self) -> None:
        try:
            async with asyncio.timeout(REFRESH_LIMIT_S):
                for job in await self._crew.store.queued_jobs():
                    await self._board.show_queued(job)
        except TimeoutError:
            log.warning("queued jobs' messages not all updated within %.0f s", REFRESH_LIMIT_S)
