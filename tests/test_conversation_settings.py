"""/settings: the menu marks current choices, a tap saves and redraws it, choices survive a
restart and reach the jobs, and the language switch changes every text and the command menu."""

from __future__ import annotations

from bot.models import Quality, Strength, UserSettings
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.test_conversation import BLUE, RED, queued, says, with_button


def marked(call_params: dict[str, object]) -> set[str]:
    """The callback data of buttons marked ✓ as current."""
    markup = call_params["reply_markup"]
    assert isinstance(markup, dict)
    return {
        b["callback_data"]
        for row in markup["inline_keyboard"]
        for b in row
        if b["text"].startswith("✓")
    }


async def test_a_setting_is_saved_and_survives_a_restart(
    telegram: FakeTelegram, start_bot: StartBot, user: FakeUser
) -> None:
    async with start_bot() as bot:
        await user.send_message("/settings")
        menu = await user.wait_for("sendMessage", reply_markup=with_button("set:"))
        person = {"set:person:off"} if bot.services.dispatcher.person_available() else set()
        assert marked(menu.params) == {
            "set:quality:standard",
            "set:strength:medium",
            "set:brush:medium",
            "set:lang:en",
            *person,
        }
        await user.press("set:strength:strong")
        saved = await user.wait_for("answerCallbackQuery")
        assert saved.params["text"] == t("en", "settings_saved")
        edited = await user.wait_for("editMessageText")
        assert edited.params["message_id"] == menu.result["message_id"]
        assert "set:strength:strong" in marked(edited.params)
        assert (await bot.services.store.get_settings(user.id)).strength is Strength.STRONG

    async with start_bot():
        await user.send_message("/settings")
        menu = await user.wait_for("sendMessage", reply_markup=with_button("set:"))
        assert "set:strength:strong" in marked(menu.params)
        assert t("en", "strength_strong") in menu.params["text"]


async def test_choices_reach_the_next_job(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_message("/settings")
    await user.wait_for("sendMessage", reply_markup=with_button("set:"))
    for choice in ("set:quality:high", "set:colors:on", "set:preview:off", "set:strength:soft"):
        await user.press(choice)
        await user.wait_for("editMessageText")
    await user.send_photo(jpeg(96, 80, RED))
    await user.send_photo(jpeg(96, 80, BLUE))
    job = await queued(bot_app, user)
    assert job.request.settings == UserSettings(
        quality=Quality.HIGH, strength=Strength.SOFT, preserve_colors=True, preview=False
    )


async def test_pressing_the_current_choice_changes_nothing(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/settings")
    await user.wait_for("sendMessage", reply_markup=with_button("set:"))
    await user.press("set:strength:medium")
    await user.wait_for("answerCallbackQuery")
    await user.send_message("/help")  # a marker: everything before it has been handled
    await says(user, "help")
    assert not [c for c in user.telegram.calls if c.method == "editMessageText"]


async def test_switching_to_russian_redraws_and_speaks_russian(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/settings")
    await user.wait_for("sendMessage", reply_markup=with_button("set:"))
    await user.press("set:lang:ru")
    saved = await user.wait_for("answerCallbackQuery")
    assert saved.params["text"] == t("ru", "settings_saved")
    edited = await user.wait_for("editMessageText")
    assert edited.params["text"].startswith("⚙️ Ваши настройки")
    assert "set:lang:ru" in marked(edited.params)
    menu = await user.wait_for("setMyCommands", scope={"chat_id": user.id, "type": "chat"})
    assert menu.params["commands"][0]["description"] == t("ru", "cmd_start")

    await user.send_message("/start")
    await says(user, "start", "ru")
    await user.send_message("/settings")
    await user.wait_for("sendMessage", reply_markup=with_button("set:"))
    await user.press("set:lang:en")
    await user.wait_for("editMessageText", text=lambda text: text.startswith("⚙️ Your settings"))
