"""The dispatcher's scheduling and outcomes, with a scripted runner in place of the engine
(tests/scripted.py): real SQLite, the fake Bot API; only the pixels are faked."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from telegram import Bot

from bot.jobs.execution import MAX_ATTEMPTS
from bot.jobs.messenger import EDIT_INTERVAL_S, TELEGRAM_DOWNLOAD_LIMIT, Messenger
from bot.jobs.store import ActiveJobExists, Store
from bot.models import Delivery, JobStatus, Lane
from bot.texts import t
from tests.fakebot import FakeTelegram
from tests.scripted import FakeRunner, Script, make_request


async def test_jobs_start_in_arrival_order_one_at_a_time(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=gate)})
    async with make_world(runner) as world:
        for user in range(1, 7):
            await world.dispatcher.submit(world.request(user))
        await runner.started_event(1).wait()
        positions = [(await world.dispatcher.status(u))[0].position for u in range(2, 7)]
        assert positions == [1, 2, 3, 4, 5]
        gate.set()
        for user in range(1, 7):
            await world.telegram.wait_for("sendDocument", chat=user)
        assert runner.started == [1, 2, 3, 4, 5, 6]
        assert runner.most_active == 1


async def test_concurrent_jobs_setting_bounds_concurrency(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={user: Script(gate=gate) for user in range(1, 5)})
    async with make_world(runner, concurrent_jobs=2) as world:
        for user in range(1, 5):
            await world.dispatcher.submit(world.request(user))
        await runner.started_event(2).wait()
        assert runner.active == 2 and runner.started == [1, 2]
        gate.set()
        for user in range(1, 5):
            await world.telegram.wait_for("sendDocument", chat=user)
        assert runner.most_active == 2


async def test_a_job_runs_delivers_once_and_leaves_no_files(make_world) -> None:
    async with make_world() as world:
        job = await world.dispatcher.submit(world.request(1, style=None, preset_id="starry_night"))
        queued = await world.telegram.wait_for("sendMessage", chat=1)
        assert queued.params["text"].startswith("🕐 In the queue: number 1")
        assert queued.result["message_id"] == job.status_message_id

        photo = await world.telegram.wait_for("sendPhoto", chat=1)
        await world.telegram.wait_for("sendDocument", chat=1)
        await world.telegram.wait_for("editMessageText", chat=1, text=lambda s: "Done" in s)
        done = await world.job_of(1)

        assert photo.params["caption"].startswith("🖼 Preset starry_night\nStandard · Medium")
        assert "rerun:" in str(photo.params["reply_markup"])
        assert done.delivery is Delivery.SENT and done.result_path is None and done.attempts == 1
        assert not world.job_dir(done).exists()
        assert world.runner.forgotten == [job.id]  # the runner dropped what it kept for it
        content = world.telegram.file_bytes(job.request.content.file_id)
        assert world.runner.inputs[1][0] == content
        calls = [c.method for c in world.telegram.calls if c.params.get("chat_id") == 1]
        assert calls.count("sendPhoto") == 1 and calls.count("sendDocument") == 1


async def test_a_request_beyond_a_persons_jobs_at_once_is_refused(make_world) -> None:
    gate = asyncio.Event()
    async with make_world(FakeRunner(scripts={1: Script(gate=gate)})) as world:
        assert world.config.jobs_per_person == 3
        first = await world.dispatcher.submit(world.request(1))
        for _ in range(2):
            await world.dispatcher.submit(world.request(1))
        with pytest.raises(ActiveJobExists) as refused:
            await world.dispatcher.submit(world.request(1))
        assert refused.value.job.id == first.id
        gate.set()


async def test_cancel_a_queued_job(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(gate=gate)})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        waiting = await world.dispatcher.submit(world.request(2))
        await runner.started_event(1).wait()

        assert await world.dispatcher.cancel(2)
        cancelled = await world.telegram.wait_for(
            "editMessageText", chat=2, message_id=waiting.status_message_id
        )
        assert cancelled.params["text"] == t("en", "job_cancelled")
        assert "reply_markup" not in cancelled.params
        gate.set()
        await world.telegram.wait_for("sendDocument", chat=1)
        assert runner.started == [1]
        assert (await world.job_of(2)).status is JobStatus.CANCELLED
        assert await world.dispatcher.cancel(2) == []


async def test_cancel_a_running_job_stops_it_and_deletes_its_files(make_world) -> None:
    runner = FakeRunner(scripts={1: Script(outcome="block")})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
        job = await world.job_of(1)
        assert world.job_dir(job).exists()
        [view] = await world.dispatcher.status(1)
        assert view.position == 0 and view.progress == 0.5

        assert await world.dispatcher.cancel(1)
        await world.telegram.wait_for("editMessageText", chat=1, text=t("en", "job_cancelled"))
        assert (await world.job_of(1)).status is JobStatus.CANCELLED
        assert await world.dispatcher.status(1) == []
    assert not world.job_dir(job).exists()


async def test_a_job_over_its_time_limit_is_stopped(make_world) -> None:
    runner = FakeRunner(scripts={1: Script(outcome="block")})
    async with make_world(runner, job_timeout_s=1) as world:
        await world.dispatcher.submit(world.request(1))
        await world.telegram.wait_for("editMessageText", chat=1, text=t("en", "job_failed_timeout"))
        job = await world.job_of(1)
        assert job.error == "timed out"
    assert not world.job_dir(job).exists()


async def test_an_unreadable_image_fails_at_once_without_retries(make_world) -> None:
    runner = FakeRunner(scripts={1: Script(outcome="bad_image")})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        await world.telegram.wait_for("editMessageText", chat=1, text=t("en", "job_failed_image"))
        job = await world.job_of(1)
        assert job.attempts == 1 and runner.started == [1]
    assert not world.job_dir(job).exists()


async def test_an_unexpected_error_is_retried_then_reported(make_world) -> None:
    runner = FakeRunner(scripts={1: Script(outcome="error")})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        failed_text = t("en", "job_failed", attempts=MAX_ATTEMPTS)
        await world.telegram.wait_for("editMessageText", chat=1, text=failed_text)
        job = await world.job_of(1)
        assert job.status is JobStatus.FAILED and job.attempts == MAX_ATTEMPTS
        assert runner.started == [1] * MAX_ATTEMPTS


async def test_a_file_over_the_download_limit_is_refused_without_downloading(make_world) -> None:
    async with make_world() as world:
        request = world.request(1)
        too_big = replace(request.content, file_size=TELEGRAM_DOWNLOAD_LIMIT + 1)
        await world.dispatcher.submit(replace(request, content=too_big))
        await world.telegram.wait_for("editMessageText", chat=1, text=t("en", "job_failed_too_big"))
        assert not [c for c in world.telegram.calls if c.method == "getFile"]


async def test_forgetting_a_user_stops_their_running_job(make_world) -> None:
    gate = asyncio.Event()
    runner = FakeRunner(scripts={1: Script(outcome="block", gate=gate)})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
        job = await world.job_of(1)
        await world.store.forget_user(1)
        gate.set()  # the runner reports progress next; the dispatcher sees the row is gone
        async with asyncio.timeout(10):
            await runner.finished_event(1).wait()
    assert not world.job_dir(job).exists()
    assert not [c for c in world.telegram.calls if c.method in ("sendPhoto", "sendDocument")]


async def test_stopping_requeues_the_running_job_without_using_an_attempt(make_world) -> None:
    runner = FakeRunner(scripts={1: Script(outcome="block")})
    async with make_world(runner) as world:
        await world.dispatcher.submit(world.request(1))
        await runner.started_event(1).wait()
    await world.telegram.wait_for("editMessageText", chat=1, text=t("en", "job_paused"))
    store = await Store.open(world.config.database_path)
    job = await store.last_job(1)
    await store.close()
    assert job and job.status is JobStatus.QUEUED and job.attempts == 0

    async with make_world() as world:  # the restart: same data folder
        await world.telegram.wait_for("editMessageText", chat=1, text=lambda s: "Done" in s)
        assert (await world.job_of(1)).attempts == 1


async def test_restart_delivers_a_ready_result_once_and_never_resends_an_uncertain_one(
    make_world, telegram: FakeTelegram, tmp_path: Path
) -> None:
    # What a process killed just after two jobs finished leaves behind: one result not yet sent,
    # one whose sending had begun.
    data = tmp_path / "data"
    store = await Store.open(data / "bot.sqlite3")
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        for user_id in (1, 2):
            telegram.user(user_id=user_id)
            request = make_request(telegram, user_id)
            job = await store.create_job(request, queue_limit=9, daily_limit=0, jobs_per_person=1)
            message = await bot.send_message(user_id, "🎨 Painting… 99%")
            await store.mark_announced(job.id, message.message_id)
            assert await store.claim_next(Lane.REGULAR)
            result = data / "jobs" / str(job.id) / "result.png"
            result.parent.mkdir(parents=True)
            Image.new("RGB", (64, 48), "blue").save(result)
            await store.finish(job.id, JobStatus.DONE, result_path=result)
    assert await store.begin_delivery(2)
    await store.close()
    mark = telegram.mark()

    async with make_world() as world:
        await telegram.wait_for("editMessageText", chat=1, after=mark, text=lambda s: "Done" in s)
        await telegram.wait_for(
            "editMessageText", chat=2, after=mark, text=t("en", "job_delivery_unsure")
        )
        assert (await world.job_of(1)).delivery is Delivery.SENT and (
            await world.job_of(2)
        ).delivery is Delivery.SENT
    sent = [c for c in telegram.calls[mark:] if c.method in ("sendPhoto", "sendDocument")]
    assert [c.params["chat_id"] for c in sent] == [1, 1]
    assert not (data / "jobs").exists() or not any((data / "jobs").iterdir())


async def test_flood_control_on_the_result_is_waited_out(make_world) -> None:
    async with make_world() as world:
        world.telegram.fail("sendPhoto", status=429, retry_after=1, times=2)
        await world.dispatcher.submit(world.request(1))
        await world.telegram.wait_for("sendDocument", chat=1)
        photos = [c for c in world.telegram.calls if c.method == "sendPhoto"]
        assert [c.ok for c in photos] == [False, False, True]


async def test_a_status_already_shown_is_not_edited_again_after_a_restart(
    make_world, telegram: FakeTelegram
) -> None:
    telegram.fail("sendPhoto", status=502, times=None)  # the result cannot go out, twice
    async with make_world() as world:
        await world.dispatcher.submit(world.request(1))
        await telegram.wait_for("editMessageText", chat=1, text=t("en", "job_delivery_retry"))
    mark = telegram.mark()
    async with make_world():  # the restart tries the delivery again, which fails again
        await telegram.wait_for("sendPhoto", chat=1, after=mark, ok=False)
    # Stopping waited for the delivery to end: it did not re-send the text already shown.
    assert [c.describe() for c in telegram.calls[mark:] if c.method == "editMessageText"] == []


async def test_progress_edits_are_throttled_per_chat(
    telegram: FakeTelegram,
) -> None:
    now = [100.0]
    user = telegram.user(user_id=5)
    async with Bot(telegram.token, base_url=telegram.base_url) as bot:
        messenger = Messenger(bot, clock=lambda: now[0])
        message_id = await messenger.send_status(user.id, "queued", None)
        assert message_id is not None

        async def edit(text: str, progress: bool = True) -> bool:
            return await messenger.edit_status(user.id, message_id, text, progress=progress)

        assert await edit("10%")
        assert not await edit("20%")  # too soon
        now[0] += EDIT_INTERVAL_S
        assert await edit("30%")
        assert await edit("done", progress=False)  # an outcome is never held back
    edits = [c.params["text"] for c in telegram.calls if c.method == "editMessageText"]
    assert edits == ["10%", "30%", "done"]
