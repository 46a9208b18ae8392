"""Brush size and variations: in /settings and as re-run buttons, through the real stack, in both
languages; a re-run keeps everything else and survives a restart."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Brush, Quality, Strength, UserSettings
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import BLUE, RED, queued, result, use_fast_quality, with_button


async def two_photos(user: FakeUser) -> None:
    await user.send_photo(jpeg(96, 80, RED))
    await user.send_photo(jpeg(96, 80, BLUE))


async def test_brush_and_variation_reruns_change_only_that(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await use_fast_quality(bot_app, user)
    await two_photos(user)
    first = await queued(bot_app, user)
    picture = await result(user)
    assert with_button(f"rerun:{first.id}:variation")(picture.params["reply_markup"])

    await user.press(f"rerun:{first.id}:bigger")
    bigger = await queued(bot_app, user)
    assert bigger.request.settings == UserSettings(quality=Quality.FAST, brush=Brush.LARGE)
    await result(user)
    await user.press(f"rerun:{bigger.id}:bigger")
    alert = await user.wait_for("answerCallbackQuery", show_alert=True)
    assert alert.params["text"] == t("en", "already_bigger")

    await user.press(f"rerun:{bigger.id}:variation")
    variation = await queued(bot_app, user)
    settings = variation.request.settings
    assert settings.seed != 0 and settings.brush is Brush.LARGE
    assert variation.request.content == first.request.content
    assert variation.request.style == first.request.style
    await result(user)
    # /settings was not changed by any of this.
    assert await bot_app.services.store.get_settings(user.id) == UserSettings(quality=Quality.FAST)


async def test_brush_in_settings_in_russian_reaches_the_job_and_a_rerun_after_restart(
    start_bot: StartBot, make_user: Callable[..., FakeUser]
) -> None:
    boris = make_user("Boris", language_code="ru")
    async with start_bot() as bot:
        await bot.services.store.save_settings(boris.id, UserSettings(quality=Quality.FAST))
        await boris.send_message("/settings")
        menu = await boris.wait_for("sendMessage", reply_markup=with_button("set:brush:"))
        assert t("ru", "brush_medium") in menu.params["text"]
        await boris.press("set:brush:small")
        edited = await boris.wait_for("editMessageText")
        assert t("ru", "brush_small") in edited.params["text"]
        await two_photos(boris)
        job = await queued(bot, boris)
        assert job.request.settings.brush is Brush.SMALL
        await result(boris)

    async with start_bot() as bot:  # a restart: the re-run still knows the job's settings
        await boris.press(f"rerun:{job.id}:smaller")
        alert = await boris.wait_for("answerCallbackQuery", show_alert=True)
        assert alert.params["text"] == t("ru", "already_smaller")
        await boris.press(f"rerun:{job.id}:stronger")
        stronger = await queued(bot, boris)
        assert stronger.request.settings.brush is Brush.SMALL
        assert stronger.request.settings.strength is Strength.STRONG
        await result(boris)
