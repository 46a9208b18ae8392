"""/privacy says what is kept and for how long; /forget deletes it all, only after a confirm;
/stats answers admins and, for everyone else, looks exactly like an unknown command."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Conversation, Strength, UserSettings
from tests.botfixtures import StartBot
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import RED, buttons, queued, result, says, text_of, use_fast_quality


async def test_privacy_names_the_retention(start_bot: StartBot, user: FakeUser) -> None:
    async with start_bot(retention_days=3):
        await user.send_message("/privacy")
        await says(user, "privacy", days=3)


async def test_forget_asks_first_then_deletes_everything(
    start_bot: StartBot, user: FakeUser
) -> None:
    async with start_bot() as bot:
        store = bot.services.store
        await use_fast_quality(bot, user)
        await user.send_photo(jpeg(96, 80, RED))
        await says(user, "got_content")
        await user.send_message("/style scream")
        await queued(bot, user)
        await result(user)
        await store.save_settings(user.id, UserSettings(strength=Strength.STRONG))
        await user.send_photo(jpeg(90, 90, RED))
        await says(user, "got_content")

        await user.send_message("/forget")
        confirm = await says(user, "forget_confirm")
        assert buttons(confirm) == ["forget:yes", "forget:no"]
        await user.press("forget:no")
        await user.wait_for("editMessageText", text=text_of("en", "forget_kept"))
        assert (await store.get_settings(user.id)).strength is Strength.STRONG

        await user.send_message("/forget")
        await says(user, "forget_confirm")
        await user.press("forget:yes")
        await user.wait_for("editMessageText", text=text_of("en", "forgotten"))
        assert await store.get_settings(user.id) == UserSettings()
        assert await store.conversation(user.id, user.id) == Conversation()
        assert await store.last_job(user.id) is None


async def test_stats_for_admins_only(
    start_bot: StartBot, make_user: Callable[..., FakeUser]
) -> None:
    admin, other = make_user("Ada"), make_user("Olga", language_code="ru")
    async with start_bot(admin_ids=frozenset({admin.id})) as bot:
        await use_fast_quality(bot, admin)
        await admin.send_photo(jpeg(96, 80, RED))
        await says(admin, "got_content")
        await admin.send_message("/style monet")
        await queued(bot, admin)
        await result(admin)

        await admin.send_message("/stats")
        stats = await admin.wait_for("sendMessage")
        lines = set(stats.params["text"].splitlines())
        assert {"Users: 1", "Jobs: 1", "Queue: 0", "Failures: 0"} <= lines
        assert "Painters online: 1 (0 busy)" in lines  # the one in-process engine, idle
        assert "Average run: – s" not in lines  # the finished job was measured

        await other.send_message("/stats")
        await says(other, "unknown_command", "ru")
