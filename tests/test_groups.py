"""Group chats through the fake Bot API and the real bot: the introduction on being added, /paint
as a reply to someone's photo (one result, threaded under the request, on the requester's quota),
the hint for a /paint that replies to nothing, buttons that answer only the requester, /paint
off|on for admins, and nothing kept or logged of ordinary group messages."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import pytest

from bot.models import Conversation, JobStatus
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg
from tests.test_conversation import RED, buttons, text_of, use_fast_quality, with_button


def replies_to(call: Call, message: dict) -> bool:
    return call.params.get("reply_parameters", {}).get("message_id") == message["message_id"]


def group_calls(telegram: FakeTelegram, chat: int, after: int = 0) -> list[Call]:
    return [c for c in telegram.calls[after:] if c.params.get("chat_id") == chat]


async def new_group(telegram: FakeTelegram, *members: FakeUser, bot_sees_all: bool = False) -> int:
    """A group of these people (the first one its admin, who adds the bot), once the bot has
    introduced itself there."""
    chat = await telegram.add_group(
        "Friends", list(members), admins=members[:1], bot_sees_all=bot_sees_all
    )
    await telegram.wait_for("sendMessage", chat=chat)
    return chat


async def answered_in_private(person: FakeUser) -> None:
    """A command in the person's private chat, answered: the bot has handled everything the
    person sent before it (one person's updates are handled in order)."""
    await person.send_message("/help")
    await person.wait_for("sendMessage", text=text_of("en", "help"))


async def test_added_to_a_group_the_bot_introduces_itself_in_one_message(
    bot_app: RunningBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, bob = make_user("Alice"), make_user("Boris", language_code="ru")
    chat = await telegram.add_group("Friends", [alice, bob], admins=(alice,))
    intro = await telegram.wait_for("sendMessage", chat=chat)
    starry = bot_app.services.presets.title("starry_night", "en")
    assert intro.params["text"] == t("en", "group_intro", default=starry)  # who added it: Alice
    assert "/paint" in intro.params["text"]
    await answered_in_private(alice)
    assert [c.method for c in group_calls(telegram, chat) if c.method.startswith("send")] == [
        "sendMessage"
    ]
    menus = telegram.scoped_commands
    assert [c["command"] for c in menus["all_group_chats", ""]] == ["paint", "help"]


async def test_a_reply_with_paint_paints_that_photo_for_whoever_asked(
    start_bot: StartBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, bob = make_user("Alice"), make_user("Bob")
    async with start_bot(daily_limit=1) as bot:
        await use_fast_quality(bot, bob)
        chat = await new_group(telegram, alice, bob)
        in_group, asker = alice.in_group(chat), bob.in_group(chat)
        photo = await in_group.send_photo(jpeg(96, 80, RED))
        command = await asker.send_message("/paint starry night", reply_to=photo)

        status = await asker.wait_for("sendMessage", reply_markup=with_button("cancel:"))
        assert replies_to(status, command)
        picture = await asker.wait_for("sendPhoto", reply_markup=with_button("rerun:"), within=60)
        assert replies_to(picture, command)
        await asker.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
        job = await bot.services.store.last_job(bob.id)
        assert job is not None and job.status is JobStatus.DONE
        assert (job.request.chat_id, job.request.preset_id) == (chat, "starry_night")
        assert job.request.content.file_unique_id == photo["photo"][-1]["file_unique_id"]
        assert await bot.services.store.last_job(alice.id) is None
        # One result: no preview before it, no PNG file after it, and no follow-up buttons
        # that would wait for a picture the bot cannot see.
        sent = [c.method for c in group_calls(telegram, chat, status.index)]
        assert sent.count("sendPhoto") == 1 and "sendDocument" not in sent
        assert f"rerun:{job.id}:stronger" in buttons(picture)
        assert not {f"rerun:{job.id}:style", f"rerun:{job.id}:mix"} & set(buttons(picture))

        # The quota is the asker's: Bob's second request is refused, Alice's is not.
        again = await asker.send_message("/paint udnie", reply_to=photo)
        refused = await asker.wait_for("sendMessage", text=text_of("en", "quota", limit=1))
        assert replies_to(refused, again)
        await in_group.send_message("/paint udnie png", reply_to=photo)
        await in_group.wait_for("sendMessage", reply_markup=with_button("cancel:"))
        await in_group.wait_for("sendDocument", within=60)  # she asked for the file


async def test_paint_that_replies_to_no_picture_gets_one_hint(
    bot_app: RunningBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice = make_user("Alice")
    chat = await new_group(telegram, alice)
    in_group = alice.in_group(chat)
    command = await in_group.send_message("/paint@test_bot starry night")
    hint = await in_group.wait_for("sendMessage", text=text_of("en", "paint_hint"))
    assert replies_to(hint, command)
    words = await in_group.send_message("nice one")  # not for the bot: it never sees it
    await in_group.send_message("/paint", reply_to=words)
    await in_group.wait_for("sendMessage", text=text_of("en", "paint_hint"))
    await answered_in_private(alice)
    hints = [c for c in group_calls(telegram, chat, hint.index) if c.method == "sendMessage"]
    assert len(hints) == 2 and await bot_app.services.store.last_job(alice.id) is None


async def test_the_buttons_under_a_result_answer_only_who_asked(
    bot_app: RunningBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, bob = make_user("Alice"), make_user("Bob")
    await use_fast_quality(bot_app, alice)
    chat = await new_group(telegram, alice, bob)
    asker, other = alice.in_group(chat), bob.in_group(chat)
    photo = await other.send_photo(jpeg(96, 80, RED))
    await asker.send_message("/paint", reply_to=photo)  # the default painting
    picture = await asker.wait_for("sendPhoto", reply_markup=with_button("rerun:"), within=60)
    job = await bot_app.services.store.last_job(alice.id)
    assert job is not None and job.request.preset_id == "starry_night"
    await asker.wait_for("editMessageText", text=lambda text: text.startswith("✅"))

    await other.press(f"rerun:{job.id}:stronger", message=picture.result)
    answer = await other.wait_for("answerCallbackQuery")
    assert answer.params["text"] == t("en", "not_yours") and answer.params["show_alert"]
    assert await bot_app.services.store.last_job(bob.id) is None

    await asker.press(f"rerun:{job.id}:stronger", message=picture.result)
    again = await asker.wait_for("sendPhoto", reply_markup=with_button("rerun:"), within=60)
    assert replies_to(again, picture.result)  # threaded under the result it re-runs
    stronger = await bot_app.services.store.last_job(alice.id)
    assert stronger is not None and stronger.id != job.id


async def test_paint_off_by_an_admin_silences_the_bot_in_that_group(
    bot_app: RunningBot, telegram: FakeTelegram, make_user: Callable[..., FakeUser]
) -> None:
    alice, bob = make_user("Alice"), make_user("Bob")
    chat = await new_group(telegram, alice, bob)  # Alice is its admin
    admin, member = alice.in_group(chat), bob.in_group(chat)
    await member.send_message("/paint off")
    await member.wait_for("sendMessage", text=text_of("en", "paint_admins_only"))
    await admin.send_message("/paint off")
    await admin.wait_for("sendMessage", text=text_of("en", "paint_off"))

    mark = telegram.mark()
    photo = await admin.send_photo(jpeg(96, 80, RED))
    await member.send_message("/paint starry night", reply_to=photo)
    await member.send_message("/paint")
    await member.send_message("/help")
    await answered_in_private(bob)
    assert group_calls(telegram, chat, mark) == []
    assert await bot_app.services.store.last_job(bob.id) is None

    await admin.send_message("/paint on")
    await admin.wait_for("sendMessage", text=text_of("en", "paint_on"))
    await member.send_message("/paint starry night", reply_to=photo)
    await member.wait_for("sendMessage", reply_markup=with_button("cancel:"))


async def test_nothing_of_ordinary_group_messages_is_kept_or_logged(
    bot_app: RunningBot,
    telegram: FakeTelegram,
    make_user: Callable[..., FakeUser],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even where the bot is an admin and so gets every message of the group."""
    caplog.set_level(logging.DEBUG, logger="bot")
    alice = make_user("Alice")
    chat = await new_group(telegram, alice, bot_sees_all=True)
    in_group = alice.in_group(chat)
    mark = telegram.mark()
    await in_group.send_photo(jpeg(96, 80, RED), caption="starry night")
    await in_group.send_message("secret plans for Saturday")
    await answered_in_private(alice)

    assert group_calls(telegram, chat, mark) == []
    assert await bot_app.services.store.conversation(alice.id, chat) == Conversation()
    with sqlite3.connect(bot_app.config.database_path) as db:
        assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM conversations").fetchone() == (0,)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert str(chat) not in logged and "Saturday" not in logged
