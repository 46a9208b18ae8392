"""Whole flows through our real bot, the real engine (tiny sizes) and the fake Bot API.

A user sends a photo, then a painting; the worker owns what follows: one status message edited
in place, the preview, the result as a photo and a PNG file, and the limits on the way in.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from typing import Any

from PIL import Image

from bot.models import Delivery, JobStatus, Quality, UserSettings
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg
from tests.holds import JobHold
from tests.test_conversation import waiting_photo
from tests.test_startup import wait_until

RED, BLUE = (200, 40, 40), (30, 60, 200)


async def paint(user: FakeUser, shade: int = 0) -> None:
    """The plain flow: a photo (the content), then a painting (its style)."""
    await user.send_photo(jpeg(96, 72, (shade % 256, 120, 40)))
    await user.send_photo(jpeg(80, 80, BLUE))


async def use_settings(bot: RunningBot, user: FakeUser, **changes: Any) -> None:
    store = bot.services.store
    await store.save_settings(user.id, replace(await store.get_settings(user.id), **changes))


def results(telegram: FakeTelegram, chat: int) -> list[Call]:
    """Result files sent to a chat (previews are photos only, so files count results)."""
    return [
        c
        for c in telegram.calls
        if c.method == "sendDocument" and c.ok and c.params.get("chat_id") == chat
    ]


def job_dirs(bot: RunningBot) -> list[str]:
    folder = bot.config.data_dir / "jobs"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_photo_then_painting_brings_a_preview_then_one_result(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await paint(user)

    status = await user.wait_for("sendMessage", text=lambda s: s.startswith("🕐"))
    assert status.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith(
        "cancel:"
    )
    preview = await user.wait_for("sendPhoto", caption=t("en", "job_preview_caption"))
    result = await user.wait_for("sendPhoto", nth=2, within=60)
    document = await user.wait_for("sendDocument", within=60)
    done = await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)

    message_id = status.result["message_id"]
    assert done.params["message_id"] == message_id
    edits = [c for c in telegram.calls if c.method == "editMessageText"]
    assert {c.params["message_id"] for c in edits} == {message_id}  # one message, edited
    assert preview.index < result.index
    assert result.params["caption"].startswith("🖼 " + t("en", "job_your_painting"))
    assert "rerun:" in str(result.params["reply_markup"])
    png = document.upload("document")
    assert png.filename and png.filename.endswith(".png")
    with Image.open(io.BytesIO(png.data)) as image:
        assert image.format == "PNG" and max(image.size) == bot_app.config.standard_side
    assert len(results(telegram, user.id)) == 1

    job = await bot_app.services.store.last_job(user.id)
    assert job and job.status is JobStatus.DONE and job.delivery is Delivery.SENT
    assert job_dirs(bot_app) == []  # inputs, preview and result deleted once delivered


async def test_a_request_beyond_a_persons_jobs_at_once_is_refused_and_said_so(
    start_bot: StartBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    download = telegram.hold("download")  # keeps the first job busy while we ask again
    async with start_bot(jobs_per_person=1) as bot:
        await paint(user)
        await user.wait_for("sendMessage", text=lambda s: s.startswith("🕐"))
        await paint(user, shade=90)
        await user.wait_for("sendMessage", text=t("en", "busy", limit=1))
        download.release()

        await user.wait_for("sendDocument", within=60)
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)
        assert len(results(telegram, user.id)) == 1
        # The refused photo stays pending, so only the painting needs sending again.
        assert await waiting_photo(bot, user) is not None


async def test_cancel_a_queued_and_a_running_job(
    bot_app: RunningBot, make_user, telegram: FakeTelegram, job_hold: JobHold
) -> None:
    alice, bob = make_user("Alice"), make_user("Bob")
    job_hold.close()
    await paint(alice)
    await alice.wait_for("sendPhoto", caption=t("en", "job_preview_caption"))
    await job_hold.until_held()  # Alice's painting runs, and stays running
    await paint(bob)
    await bob.wait_for("sendMessage", text=lambda s: s.startswith("🕐 In the queue: number 1"))

    await bob.press("Cancel")
    await bob.wait_for("editMessageText", text=t("en", "job_cancelled"))
    await alice.send_message("/cancel")
    await alice.wait_for("editMessageText", text=t("en", "job_cancelled"), within=30)

    store = bot_app.services.store
    for person in (alice, bob):
        job = await store.last_job(person.id)
        assert job and job.status is JobStatus.CANCELLED
        assert results(telegram, person.id) == []
    assert job_dirs(bot_app) == []
    crew = bot_app.services.dispatcher._crew
    await wait_until(lambda: crew.running == {}, 60, "both jobs let go")  # just after the edit


async def test_daily_quota(start_bot: StartBot, user: FakeUser, telegram: FakeTelegram) -> None:
    async with start_bot(daily_limit=1):
        await paint(user)
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)
        await paint(user, shade=90)
        await user.wait_for("sendMessage", text=t("en", "quota", limit=1))
    assert len(results(telegram, user.id)) == 1


async def test_queue_cap_turns_new_requests_away_with_a_wait(
    start_bot: StartBot, make_user, telegram: FakeTelegram
) -> None:
    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    async with start_bot(queue_limit=1):
        download = telegram.hold("download")  # Alice's job holds the only runner
        await paint(alice)
        await alice.wait_for("editMessageText", text=t("en", "job_starting"))
        await paint(bob)
        await bob.wait_for("sendMessage", text=lambda s: s.startswith("🕐"))
        await paint(carol)
        await carol.wait_for("sendMessage", text=t("en", "queue_full", queue=1, minutes=1))
        download.release()
        for person in (alice, bob):
            await person.wait_for("sendDocument", within=60)
    assert results(telegram, carol.id) == []


async def test_flood_control_on_the_result_is_survived(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await use_settings(bot_app, user, preview=False)
    telegram.fail("sendPhoto", status=429, retry_after=1)
    await paint(user)
    await user.wait_for("sendDocument", within=60)
    await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)
    photos = [c for c in telegram.calls if c.method == "sendPhoto"]
    assert [c.status for c in photos] == [429, 200]
    assert photos[1].received_at - photos[0].answered_at >= 1  # retry_after was honoured
    assert len(results(telegram, user.id)) == 1


async def test_twenty_users_at_once_each_get_one_result_in_arrival_order(
    bot_app: RunningBot, make_user, telegram: FakeTelegram
) -> None:
    assert bot_app.services.dispatcher.preview_available(), "the fast model keeps this test quick"
    people = [make_user(f"User {n}") for n in range(20)]
    for person in people:
        await bot_app.services.store.save_settings(
            person.id, UserSettings(quality=Quality.FAST, preview=False)
        )
    await asyncio.gather(*(paint(person, shade=n * 10) for n, person in enumerate(people)))
    for person in people:  # "Done" comes once the result is out and its folder deleted
        await person.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=120)

    for person in people:
        assert len(results(telegram, person.id)) == 1
    store = bot_app.services.store
    jobs = [job for person in people if (job := await store.last_job(person.id))]
    arrival = [job.request.user_id for job in sorted(jobs, key=lambda job: job.id)]
    delivered = [c.params["chat_id"] for c in telegram.calls if c.method == "sendDocument"]
    assert delivered == arrival  # nobody waited behind someone who came later
    assert job_dirs(bot_app) == []
