"""Lanes, turns and the waits promised, through the dispatcher with a scripted runner (the pixels
faked, the store and the fake Bot API real): a print never holds a regular job's place, stands
aside and says so, each person's first job comes before anyone's second, and the waits come from
the engines' measured pace, then from what jobs took here."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from bot.jobs.running import Running, StopReason
from bot.jobs.status import duration_text
from bot.jobs.store import QueueFull
from bot.models import FileRef, Job, JobRequest, JobStatus, PrintSize, RequestExtras, UserSettings
from bot.texts import t
from tests.fakebot import jpeg
from tests.scripted import FakeRunner, Script, World

# What the fake runner's measured pace says: a 512 px picture (Config's standard side), and a
# print at 2048 px.
PACED = {512: 100.0, 2048: 600.0}


def print_of(world: World, user_id: int, side: int = 2048, **changes: Any) -> JobRequest:
    """A print request: the painting to paint on is a file the fake server holds."""
    painting = world.telegram.store_photo(jpeg(64, 48, (90, 90, 200)))[-1]
    result = FileRef(painting["file_id"], painting["file_unique_id"], painting["file_size"])
    return world.request(
        user_id, extras=RequestExtras(print_size=PrintSize(side, result)), **changes
    )


def queued_text(position: int, wait_s: float) -> str:
    return t("en", "job_queued", position=position, wait=duration_text("en", wait_s))


async def status_text(world: World, job: Job) -> str:
    """The job's status message as it was sent: its place and the wait it promised."""
    queued = await world.telegram.wait_for(
        "sendMessage", chat=job.request.chat_id, text=lambda s: s.startswith("🕐")
    )
    return str(queued.params["text"])


async def test_a_painting_runs_while_a_print_holds_the_print_lane(make_world) -> None:
    printing, painting = asyncio.Event(), asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=printing), 2: Script(gate=painting)})
    async with make_world(runner, concurrent_jobs=1, concurrent_prints=1) as world:
        await world.dispatcher.submit(print_of(world, 1))
        await runner.started_event(1).wait()
        await world.dispatcher.submit(world.request(2))
        await runner.started_event(2).wait()  # the print still runs, in its own lane
        assert runner.active == 2
        painting.set()
        await world.telegram.wait_for("sendDocument", chat=2)
        assert (await world.job_of(1)).status is JobStatus.RUNNING
        printing.set()
        await world.telegram.wait_for("sendDocument", chat=1)
        assert runner.started == [1, 2]


async def test_each_persons_first_job_comes_before_anyones_second(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=gate)})
    async with make_world(runner) as world:
        first = await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
        second = await world.dispatcher.submit(world.request(1))
        await world.dispatcher.submit(world.request(2))  # later, but Boris's first
        views = {v.job.id: v.position for v in await world.dispatcher.status(1)}
        assert views == {first.id: 0, second.id: 2}
        assert [v.position for v in await world.dispatcher.status(2)] == [1]
        gate.set()
        await world.telegram.wait_for("sendDocument", chat=1, nth=2)
        assert runner.started == [1, 2, 1]


async def test_a_print_standing_aside_says_so_and_its_pause_is_not_learned_as_work(
    make_world,
) -> None:
    aside = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(aside=aside)})
    async with make_world(runner) as world:
        submitted = time.monotonic()
        job = await world.dispatcher.submit(print_of(world, 1))
        paused = t("en", "job_print_paused", percent=50, bar="▰" * 5 + "▱" * 5)
        await world.telegram.wait_for("editMessageText", chat=1, text=paused)
        seen_paused = time.monotonic()
        [view] = await world.dispatcher.status(1)
        assert view.paused and view.describe("en") == paused
        aside.set()
        stood_aside = time.monotonic() - seen_paused
        await world.telegram.wait_for("editMessageText", chat=1, text=lambda s: "Done" in s)
        took = time.monotonic() - submitted
        done = await world.job_of(1)
        learned = (await world.store.run_times())[("print", 2048)]
        assert 0 < learned <= took - stood_aside
        assert job.id == done.id


async def test_waits_come_from_the_engines_pace_until_jobs_have_run_here(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=gate)}, paced_s=PACED)
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
        second = await world.dispatcher.submit(world.request(2))
        third = await world.dispatcher.submit(world.request(3))
        # The running job's 100 s, the second's, then its own: each the pace's 512 px.
        assert await status_text(world, second) == queued_text(1, 200)
        assert await status_text(world, third) == queued_text(2, 300)
        # A print waits for the regular work first: 300 s, then its own 600 s.
        printing = await world.dispatcher.submit(print_of(world, 4))
        assert await status_text(world, printing) == queued_text(1, 900)
        gate.set()
        for user in (1, 2, 3):
            await world.telegram.wait_for("sendDocument", chat=user)
        learned = (await world.store.run_times())[("standard", 512)]
        assert learned < 100  # what the scripted runs took, not the pace
        later = await world.dispatcher.submit(world.request(6))
        assert await status_text(world, later) == queued_text(1, learned)


async def test_a_full_queue_says_when_its_jobs_will_have_run(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=gate)}, paced_s=PACED)
    async with make_world(runner, queue_limit=2) as world:
        await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
        for user in (2, 3):
            await world.dispatcher.submit(world.request(user))
        with pytest.raises(QueueFull) as full:
            await world.dispatcher.submit(world.request(4))
        assert (full.value.queue_length, full.value.wait_s) == (2, 300)
        gate.set()


async def test_a_print_standing_aside_has_its_time_limit_moved_on() -> None:
    """The pause is no work: the limit counts only the time the print could paint."""
    request = JobRequest(1, 1, FileRef("c", "uc"), None, "starry", UserSettings())
    stopped = asyncio.Event()

    class Watched(Running):
        def stop(self, reason: StopReason) -> None:
            super().stop(reason)
            stopped.set()

    running = Watched(Job(1, request, JobStatus.RUNNING))
    running.paused(True)
    running.limit_time(0.05)
    first = running.time_limit
    looked = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, looked.set)  # after the limit's first look
    await looked.wait()
    assert running.time_limit is not first and not stopped.is_set()  # moved on, not stopped
    running.paused(False)
    await asyncio.wait_for(stopped.wait(), 30)
    assert running.reason is StopReason.TIMEOUT
