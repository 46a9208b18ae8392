"""A job as the person handles it: [Cancel] and /cancel, /status, the re-run buttons under a
result, and the friendly refusals (a job already running, the daily limit, a full queue).

A job is held in its download step by the fake server, which keeps its getFile unanswered until
the test lets it go, so it is still running when the test presses a button; nothing here sleeps.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.models import JobStatus, Strength
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.test_conversation import (
    BLUE,
    GREEN,
    RED,
    buttons,
    queued,
    result,
    same_file,
    says,
    text_of,
    use_fast_quality,
    waiting_photo,
    with_button,
)


async def two_photos(user: FakeUser) -> None:
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "got_content")
    await user.send_photo(jpeg(96, 80, BLUE))


async def test_cancel_button_stops_a_running_job(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await use_fast_quality(bot_app, user)
    download = telegram.hold("getFile")
    await two_photos(user)
    job = await queued(bot_app, user)
    await download.reached()  # the job runs: it is downloading the photo
    await user.press(f"cancel:{job.id}")
    answer = await user.wait_for("answerCallbackQuery")
    assert answer.params["text"] == t("en", "cancel_done")
    download.release()
    await user.wait_for("editMessageText", text=text_of("en", "job_cancelled"), within=30)
    stopped = await bot_app.services.store.get_job(job.id)
    assert stopped is not None and stopped.status is JobStatus.CANCELLED


async def test_cancel_command_stops_the_job_and_forgets_photos(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    download = telegram.hold("getFile")
    await two_photos(user)
    await queued(bot_app, user)
    await download.reached()
    await user.send_photo(jpeg(96, 80, GREEN))  # the next photo waits while the job runs
    await says(user, "got_content")
    await user.send_message("/cancel")
    await says(user, "cancelled_job")
    assert await waiting_photo(bot_app, user) is None
    download.release()
    # A running job stops at its next step; the worker then says so in its status message.
    await user.wait_for("editMessageText", text=text_of("en", "job_cancelled"), within=30)
    assert await bot_app.services.store.active_jobs(user.id) == []


async def test_cancel_with_only_a_waiting_photo_or_nothing(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/cancel")
    await says(user, "nothing_to_cancel")
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "got_content")
    await user.send_message("/cancel")
    await says(user, "cancelled_pending")
    assert await waiting_photo(bot_app, user) is None
    await user.send_message("/style scream")  # a chosen preset is forgotten too
    await user.wait_for("sendMessage")
    await user.send_message("/cancel")
    await says(user, "cancelled_pending")
    await user.send_message("/status")
    await says(user, "status_idle")


async def test_someone_elses_cancel_button_does_nothing(
    bot_app: RunningBot,
    user: FakeUser,
    make_user: Callable[..., FakeUser],
    telegram: FakeTelegram,
) -> None:
    telegram.hold("getFile")
    await two_photos(user)
    job = await queued(bot_app, user)
    mallory = make_user("Mallory")
    status = next(m for m in user.chat if f"cancel:{job.id}" in str(m.get("reply_markup")))
    mallory.since = telegram.mark()
    await telegram.add_callback_query(mallory.id, status, f"cancel:{job.id}")
    answer = await telegram.wait_for("answerCallbackQuery", after=mallory.since)
    assert answer.params["text"] == t("en", "not_yours") and answer.params["show_alert"]
    still = await bot_app.services.store.get_job(job.id)
    assert still is not None and still.status in (JobStatus.QUEUED, JobStatus.RUNNING)


async def test_status_shows_the_job_and_the_waiting_photo(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await user.send_message("/status")
    await says(user, "status_idle")
    await user.send_photo(jpeg(96, 80, GREEN))
    await says(user, "got_content")
    await user.send_message("/status")
    waiting = await says(user, "status_photo")
    assert buttons(waiting) == ["menu:presets", "menu:try"]
    await user.send_message("/cancel")
    await says(user, "cancelled_pending")

    telegram.hold("getFile")
    await two_photos(user)
    await queued(bot_app, user)
    await user.send_photo(jpeg(96, 80, GREEN))
    await says(user, "got_content")
    await user.send_message("/status")
    status = await user.wait_for("sendMessage")
    job_line, pending_line = status.params["text"].split("\n\n")
    [view] = await bot_app.services.dispatcher.status(user.id)
    assert job_line.splitlines()[0] == view.describe("en").splitlines()[0]
    assert pending_line == t("en", "status_photo")


async def test_result_buttons_rerun_without_sending_photos_again(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await use_fast_quality(bot_app, user)
    await two_photos(user)
    first = await queued(bot_app, user)
    await result(user)

    await user.press(f"rerun:{first.id}:stronger")
    stronger = await queued(bot_app, user)
    assert stronger.id != first.id
    assert stronger.request.content == first.request.content
    assert stronger.request.style == first.request.style
    assert stronger.request.settings.strength is Strength.STRONG
    await result(user)

    await user.press(f"rerun:{stronger.id}:stronger")
    alert = await user.wait_for("answerCallbackQuery")
    assert alert.params == {
        "callback_query_id": alert.params["callback_query_id"],
        "text": t("en", "already_stronger"),
        "show_alert": True,
    }

    await user.press(f"rerun:{stronger.id}:colors")
    colors = await queued(bot_app, user)
    assert colors.request.settings.preserve_colors is True
    assert colors.request.settings.strength is Strength.STRONG
    await result(user)
    # /settings was not changed by any of this.
    assert (await bot_app.services.store.get_settings(user.id)).strength is Strength.MEDIUM


async def test_another_style_keeps_the_photo_and_asks_for_a_painting(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await use_fast_quality(bot_app, user)
    await two_photos(user)
    first = await queued(bot_app, user)
    await result(user)
    await user.press(f"rerun:{first.id}:softer")
    softer = await queued(bot_app, user)
    assert softer.request.settings.strength is Strength.SOFT
    await result(user)

    await user.press(f"rerun:{softer.id}:style")
    asked = await says(user, "send_new_style")
    assert buttons(asked) == ["menu:presets", "menu:try"]
    assert await waiting_photo(bot_app, user) == first.request.content
    style = await user.send_photo(jpeg(96, 80, GREEN))
    again = await queued(bot_app, user)
    assert again.request.content == first.request.content
    assert same_file(again.request.style, style)


async def test_rerun_of_a_forgotten_job_asks_for_the_photos(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await use_fast_quality(bot_app, user)
    await two_photos(user)
    job = await queued(bot_app, user)
    picture = await result(user)
    await bot_app.services.store.forget_user(user.id)
    await user.press(f"rerun:{job.id}:stronger", message=picture.result)
    await says(user, "rerun_gone")


async def test_a_job_beyond_a_persons_jobs_at_once_is_refused_kindly(
    start_bot: StartBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    telegram.hold("getFile")
    async with start_bot(jobs_per_person=1) as bot:
        await two_photos(user)
        await queued(bot, user)
        waiting = await user.send_photo(jpeg(96, 80, GREEN))
        await says(user, "got_content")
        await user.send_photo(jpeg(90, 90, RED))
        await says(user, "busy", limit=1)
        assert same_file(await waiting_photo(bot, user), waiting)


async def test_daily_limit(start_bot: StartBot, user: FakeUser) -> None:
    async with start_bot(daily_limit=1) as bot:
        await use_fast_quality(bot, user)
        await two_photos(user)
        await queued(bot, user)
        await result(user)
        await two_photos(user)
        await says(user, "quota", limit=1)


async def test_full_queue(
    start_bot: StartBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, boris, clara = make_user("Alice"), make_user("Boris"), make_user("Clara")
    async with start_bot(queue_limit=1) as bot:
        telegram.hold("getFile")
        await two_photos(alice)
        await queued(bot, alice)  # running, held in its download
        await two_photos(boris)
        await queued(bot, boris)  # the one queued place
        await two_photos(clara)
        await clara.wait_for("sendMessage", text=lambda text: "(queue: 1," in text)
        assert await bot.services.store.last_job(clara.id) is None


async def test_status_message_has_a_cancel_button(bot_app: RunningBot, user: FakeUser) -> None:
    await two_photos(user)
    status = await user.wait_for("sendMessage", reply_markup=with_button("cancel:"))
    job = await bot_app.services.store.last_job(user.id)
    assert job is not None and buttons(status) == [f"cancel:{job.id}"]
