"""The conversation end to end: our real bot (handlers, store, dispatcher, engine) against the fake
Bot API, driven as a person would, in both languages.

This file holds /start, /help, the command menu and the ways to send a photo and a painting; the
other test_conversation_*.py files cover presets, settings, jobs and bad input, using the helpers
here. Jobs that must finish run at the fast quality on tiny sizes, so each takes a moment.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from PIL import Image

from bot.models import FileRef, Job, Quality, UserSettings, Waiting
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg

RED, BLUE, GREEN = (200, 40, 40), (40, 40, 200), (40, 200, 40)
# The re-run buttons under a result, in order.
CHANGES = ("stronger", "softer", "bigger", "smaller", "colors", "variation", "style", "mix")
# With the segmenter (tests/conftest.py), the two person modes a whole-picture result did not use.
PERSON_CHANGES = ("keepme", "keepbg")


def buttons(call: Call) -> list[str]:
    """The callback data of every inline button a call sent."""
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def with_button(prefix: str) -> Callable[[Any], bool]:
    """A wait_for matcher for reply_markup: some button's data starts with prefix."""

    def matches(markup: Any) -> bool:
        rows = (markup or {}).get("inline_keyboard", [])
        return any(str(b.get("callback_data", "")).startswith(prefix) for row in rows for b in row)

    return matches


def text_of(language: str, key: str, **values: object) -> Callable[[Any], bool]:
    """A wait_for matcher for the catalog text key, exactly as the user would read it."""
    expected = t(language, key, **values)
    return lambda text: text == expected


async def says(user: FakeUser, key: str, language: str = "en", **values: object) -> Call:
    """The bot's sendMessage with that catalog text, after the user's last action."""
    return await user.wait_for("sendMessage", text=text_of(language, key, **values))


async def waiting_photo(bot: RunningBot, user: FakeUser) -> FileRef | None:
    """The photo waiting for its painting in the user's private chat, if one is."""
    now = await bot.services.store.conversation(user.id, user.id)
    return now.content if now.waiting is Waiting.PHOTO else None


async def queued(bot: RunningBot, user: FakeUser) -> Job:
    """Wait for the job's status message (it has [Cancel]) and return the job from the store."""
    await user.wait_for("sendMessage", reply_markup=with_button("cancel:"))
    job = await bot.services.store.last_job(user.id)
    assert job is not None
    return job


async def result(user: FakeUser, within: float = 60) -> Call:
    """The finished picture: a photo carrying the re-run buttons."""
    return await user.wait_for("sendPhoto", reply_markup=with_button("rerun:"), within=within)


async def use_fast_quality(bot: RunningBot, user: FakeUser) -> None:
    await bot.services.store.save_settings(user.id, UserSettings(quality=Quality.FAST))


def photo_ref(message: dict[str, Any]) -> str:
    """The file_unique_id of a sent photo's full size, which a job refers to."""
    return str(message["photo"][-1]["file_unique_id"])


def same_file(ref: FileRef | None, message: dict[str, Any]) -> bool:
    return ref is not None and ref.file_unique_id == photo_ref(message)


def calls_since(user: FakeUser) -> list[Call]:
    """The bot's calls in this user's chat since their last action."""
    return [c for c in user.telegram.calls[user.since :] if c.params.get("chat_id") == user.id]


def png(width: int, height: int, color: tuple[int, int, int] = BLUE, **options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG", **options)
    return out.getvalue()


# --- /start, /help, the command menu ---------------------------------------------------------


async def test_start_explains_and_offers_presets_settings_help(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/start")
    start = await says(user, "start")
    assert buttons(start) == ["menu:presets", "menu:settings", "menu:help"]
    assert len(start.params["text"].splitlines()) == 2

    await user.press("menu:help")
    await user.wait_for("answerCallbackQuery")
    await says(user, "help")
    await user.press("menu:settings", message=start.result)
    settings = await user.wait_for("sendMessage", reply_markup=with_button("set:quality:"))
    assert "✓ Standard" in str(settings.params["reply_markup"])
    await user.press("menu:presets", message=start.result)
    await user.wait_for("sendPhoto", reply_markup=with_button("preset:"))


async def test_help_lists_every_command(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_message("/help")
    text = (await says(user, "help")).params["text"]
    for command in ("/presets", "/style", "/settings", "/status", "/cancel", "/privacy", "/forget"):
        assert command in text
    assert "/stats" not in text


async def test_command_menu_in_both_languages_with_stats_for_admins_only(
    telegram: FakeTelegram, start_bot: StartBot, make_user: Callable[..., FakeUser]
) -> None:
    admin = make_user("Ada")
    async with start_bot(admin_ids=frozenset({admin.id})):
        await telegram.wait_for_poll()
    menus = {
        (str(c.params.get("scope")), c.params.get("language_code")): [
            command["command"] for command in c.params["commands"]
        ]
        for c in telegram.calls
        if c.method == "setMyCommands" and c.ok
    }
    everyone = menus[("None", None)]
    assert everyone[:2] == ["start", "presets"] and "stats" not in everyone
    assert menus[("None", "ru")] == everyone
    admin_scope = str({"chat_id": admin.id, "type": "chat"})
    assert menus[(admin_scope, None)] == [*everyone, "stats"]
    assert menus[(admin_scope, "ru")] == [*everyone, "stats"]
    russian = next(c for c in telegram.calls if c.params.get("language_code") == "ru")
    assert russian.params["commands"][0]["description"] == t("ru", "cmd_start")


async def test_russian_speaker_is_answered_in_russian(
    bot_app: RunningBot, make_user: Callable[..., FakeUser]
) -> None:
    boris = make_user("Boris", language_code="ru-RU")
    await boris.send_message("/start")
    start = await says(boris, "start", "ru")
    assert "Картины" in str(start.params["reply_markup"])
    await boris.send_photo(jpeg(80, 80, RED))
    await says(boris, "got_content", "ru")


# --- A photo, then a painting -----------------------------------------------------------------


async def test_photo_then_painting_makes_a_picture(bot_app: RunningBot, user: FakeUser) -> None:
    await use_fast_quality(bot_app, user)
    content = await user.send_photo(jpeg(96, 80, RED))
    got = await says(user, "got_content")
    assert buttons(got) == ["menu:presets", "menu:try"]
    assert same_file(await waiting_photo(bot_app, user), content)

    style = await user.send_photo(jpeg(96, 80, BLUE))
    job = await queued(bot_app, user)
    assert same_file(job.request.content, content)
    assert same_file(job.request.style, style)
    assert job.request.preset_id is None
    assert job.request.settings.quality is Quality.FAST
    assert await waiting_photo(bot_app, user) is None

    picture = await result(user)
    person = PERSON_CHANGES if bot_app.services.dispatcher.person_available() else ()
    assert buttons(picture) == [f"rerun:{job.id}:{c}" for c in (*CHANGES, *person)]


async def test_the_same_photo_twice_asks_for_a_painting(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "got_content")
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "same_photo")
    assert await bot_app.services.store.last_job(user.id) is None


async def test_image_files_work_like_photos(bot_app: RunningBot, user: FakeUser) -> None:
    content = await user.send_document(jpeg(120, 90, RED), "content.jpg", "image/jpeg")
    await says(user, "got_content")
    style = await user.send_document(png(120, 90), "painting.png", "image/png")
    job = await queued(bot_app, user)
    assert job.request.content.file_id == content["document"]["file_id"]
    assert job.request.style is not None
    assert job.request.style.file_id == style["document"]["file_id"]


async def test_album_is_photo_then_painting(bot_app: RunningBot, user: FakeUser) -> None:
    first, second = await user.send_album([jpeg(96, 80, RED), jpeg(96, 80, BLUE)])
    job = await queued(bot_app, user)
    assert same_file(job.request.content, first)
    assert same_file(job.request.style, second)
    assert not [c for c in calls_since(user) if c.params.get("text") == t("en", "got_content")]


async def test_album_replaces_a_waiting_photo_and_says_so(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_photo(jpeg(96, 80, GREEN))
    await says(user, "got_content")
    pictures = [jpeg(96, 80, RED), jpeg(96, 80, BLUE), jpeg(80, 80), jpeg(70, 70, GREEN)]
    first, _, third, _ = await user.send_album(pictures)
    await says(user, "replaced_content")
    await says(user, "album_extra")  # four pictures: the fourth is left out
    job = await queued(bot_app, user)
    assert same_file(job.request.content, first)
    assert job.request.extras.mix is not None and same_file(job.request.extras.mix.style, third)


async def test_caption_naming_a_preset_starts_at_once(bot_app: RunningBot, user: FakeUser) -> None:
    content = await user.send_photo(jpeg(96, 80, RED), caption="  the STARRY night ")
    job = await queued(bot_app, user)
    assert job.request.preset_id == "starry_night"
    assert same_file(job.request.content, content)


async def test_an_unrelated_caption_is_just_a_photo(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_photo(jpeg(96, 80, RED), caption="my cat")
    await says(user, "got_content")
