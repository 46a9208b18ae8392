"""[🖨 Print size] through the fake Bot API and our real bot: a finished quality picture painted
on at a print size (tiny here: from 64 px to 128 or 256 px) and sent as a file a print shop takes,
a job like any other (the daily limit, [Cancel]); in a group, for the asker only. A print after a
crash is in test_crash_recovery.py, one on a remote worker in test_remote.py."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageCms

from bot.jobs.engines import measured_pace
from bot.jobs.status import duration_text
from bot.models import (
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    PrintSize,
    Quality,
    RequestExtras,
    UserSettings,
)
from bot.texts import t
from nst_engine.engine import Engine
from nst_engine.settings import Settings
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg
from tests.fakebot.server import JSON
from tests.holds import JobHold
from tests.test_conversation import BLUE, RED, buttons, result, text_of, with_button
from tests.test_groups import new_group, replies_to
from tests.test_jobs_flow import job_dirs

QUALITY = UserSettings(quality=Quality.STANDARD, preview=False)


def is_print(caption: object) -> bool:
    return str(caption).startswith("🖨")


async def done(user: FakeUser, within: float = 60) -> Call:
    """The job's status message says it is done."""
    return await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=within)


async def painted(bot: RunningBot, user: FakeUser) -> tuple[Job, Call]:
    """A quality picture, delivered: its job and its result photo."""
    await bot.services.store.save_settings(user.id, QUALITY)
    await user.send_photo(jpeg(96, 72, RED))
    await user.send_photo(jpeg(80, 80, BLUE))
    picture = await result(user)
    await done(user)
    job = await bot.services.store.last_job(user.id)
    assert job is not None
    return job, picture


async def order_print(user: FakeUser, job: Job, side: int, message: JSON | None = None) -> Call:
    """[🖨 Print size] under the job's result (on message), then the side: the print is queued.
    The offer of sizes."""
    await user.press(f"print:{job.id}", message=message)
    offer = await user.wait_for("sendMessage", text=text_of("en", "print_offer"))
    await user.press(f"print:{job.id}:{side}", message=offer.result)
    return offer


def print_file(call: Call) -> Image.Image:
    return Image.open(io.BytesIO(call.upload("document").data))


async def test_print_size_sends_the_painting_at_that_side_as_a_file_to_print(
    start_bot: StartBot, user: FakeUser, telegram: FakeTelegram, engine: Engine
) -> None:
    async with start_bot(print_sides=(128,), daily_limit=2) as bot:
        job, picture = await painted(bot, user)
        assert buttons(picture)[-1] == f"print:{job.id}"
        png = next(c for c in telegram.calls if c.method == "sendDocument" and c.ok)
        assert job.sent_result is not None  # the PNG file as Telegram keeps it
        assert job.sent_result.file_id == png.result["document"]["file_id"]

        offer = await order_print(user, job, 128)
        # No print has run here yet: the wait is what the engine's pace, measured as the bot
        # started, says a print from its 64 px painting takes.
        paced = measured_pace(engine, bot.config.engine_options).expected_s(
            Settings(max_side=128), 64
        )
        assert paced is not None
        wait = t("en", "print_size_button", side=128, cm=1, wait=duration_text("en", paced))
        assert offer.params["reply_markup"]["inline_keyboard"] == [
            [{"text": wait, "callback_data": f"print:{job.id}:128"}]
        ]
        await user.wait_for("sendMessage", reply_markup=with_button("cancel:"))  # its status
        sent = await user.wait_for("sendDocument", caption=is_print, within=60)
        await done(user)

        printed = await bot.services.store.last_job(user.id)
        assert printed is not None and printed.status is JobStatus.DONE
        assert printed.request.extras.print_size == PrintSize(128, job.sent_result)
        assert (printed.request.content, printed.request.style) == (
            job.request.content,
            job.request.style,
        )
        assert sent.params["caption"] == t(
            "en",
            "job_print_caption",
            style=t("en", "job_your_painting"),
            side=128,
            width=1,
            height=1,
            dpi=300,
        )
        assert sent.upload("document").filename == f"painting-{printed.id}-128px.jpg"
        with print_file(sent) as image:
            assert (image.format, image.size) == ("JPEG", (128, 96))
            assert tuple(round(d) for d in image.info["dpi"]) == (300, 300)
            profile = ImageCms.ImageCmsProfile(io.BytesIO(image.info["icc_profile"]))
            assert "sRGB" in ImageCms.getProfileDescription(profile)
        assert not [c for c in telegram.calls[offer.index :] if c.method == "sendPhoto"]
        assert job_dirs(bot) == []

        # A print is a job: with two a day, a second print is refused.
        await user.press(f"print:{job.id}:128", message=offer.result)
        await user.wait_for("sendMessage", text=text_of("en", "quota", limit=2))


async def test_cancel_stops_a_print_mid_run_and_sends_nothing(
    start_bot: StartBot, user: FakeUser, telegram: FakeTelegram, job_hold: JobHold
) -> None:
    async with start_bot(print_sides=(128,)) as bot:
        job, _ = await painted(bot, user)
        job_hold.close()
        await order_print(user, job, 128)
        await user.wait_for("sendMessage", reply_markup=with_button("cancel:"))
        printing = await bot.services.store.last_job(user.id)
        assert printing is not None and printing.request.extras.print_size is not None
        await job_hold.until_held()  # the print has made its first step, and waits
        await user.wait_for("editMessageText", text=lambda s: "▰" in s or "▱" in s, within=60)
        await user.press(f"cancel:{printing.id}")
        await user.wait_for("editMessageText", text=text_of("en", "job_cancelled"), within=30)
        stopped = await bot.services.store.get_job(printing.id)
        assert stopped is not None and stopped.status is JobStatus.CANCELLED
        assert not [c for c in telegram.calls if is_print(c.params.get("caption"))]
        assert job_dirs(bot) == []


async def test_a_painting_goes_ahead_of_a_print_which_stands_aside(
    start_bot: StartBot,
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    job_hold: JobHold,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One engine, one regular slot: Boris's painting is not queued behind Anna's print, which
    stands aside while it runs (its message saying so is test_lanes.py's: a pause shorter than
    the edit interval is not shown)."""
    caplog.set_level("INFO", logger="bot.jobs")
    anna, boris = make_user("Anna"), make_user("Boris")
    async with start_bot(print_sides=(128,)) as bot:
        job, _ = await painted(bot, anna)
        await bot.services.store.save_settings(boris.id, QUALITY)
        job_hold.close()
        await order_print(anna, job, 128)
        await job_hold.until_held()  # the print has made its first step; its engine is free
        await boris.send_photo(jpeg(96, 72, RED))
        await boris.send_photo(jpeg(80, 80, BLUE))
        await job_hold.until_held(2)  # the painting runs beside it, on the one engine
        job_hold.open()
        await done(boris)
        await anna.wait_for("sendDocument", caption=is_print, within=60)
        await done(anna)
        printed = await bot.services.store.last_job(anna.id)
        learned = (await bot.services.store.run_times())[("print", 128)]
    assert len([c for c in telegram.calls if is_print(c.params.get("caption"))]) == 1
    # Let go, it stood aside while the painting was under way (or within a second after): that
    # time is not what a print is learned to take.
    assert printed is not None and f"job {printed.id} stood aside" in caplog.text
    assert learned < printed.run_s


async def test_in_a_group_print_size_is_the_askers_and_paints_on_the_photo_sent(
    start_bot: StartBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, bob = make_user("Alice"), make_user("Bob")
    async with start_bot(print_sides=(128,)) as bot:
        await bot.services.store.save_settings(alice.id, QUALITY)
        chat = await new_group(telegram, alice, bob)
        asker, other = alice.in_group(chat), bob.in_group(chat)
        photo = await other.send_photo(jpeg(96, 80, RED))
        await asker.send_message("/paint", reply_to=photo)
        picture = await asker.wait_for("sendPhoto", reply_markup=with_button("print:"), within=60)
        await done(asker)
        job = await bot.services.store.last_job(alice.id)
        # No PNG file in a group unless asked: the photo as Telegram keeps it is the painting.
        assert job is not None and job.sent_result is not None
        assert job.sent_result.file_id == picture.result["photo"][-1]["file_id"]

        await other.press(f"print:{job.id}", message=picture.result)
        answer = await other.wait_for("answerCallbackQuery")
        assert answer.params["text"] == t("en", "not_yours") and answer.params["show_alert"]

        offer = await order_print(asker, job, 128, message=picture.result)
        assert replies_to(offer, picture.result)
        sent = await asker.wait_for("sendDocument", caption=is_print, within=60)
        assert replies_to(sent, offer.result)
        with print_file(sent) as image:
            assert max(image.size) == 128
        assert await bot.services.store.last_job(bob.id) is None


def test_a_print_may_run_four_job_timeouts_at_2048_px_and_longer_with_more_pixels() -> None:
    photo = FileRef("photo", "p")

    def request(print_size: PrintSize | None) -> JobRequest:
        return JobRequest(
            1, 1, photo, None, "starry_night", QUALITY, extras=RequestExtras(print_size=print_size)
        )

    assert request(None).time_limit_s(600) == 600
    assert request(PrintSize(2048, photo)).time_limit_s(600) == 2400
    assert request(PrintSize(4096, photo)).time_limit_s(600) == 9600
