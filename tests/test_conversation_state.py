"""The conversation's one record through the real stack: what waits for the next picture (a mix,
a clip, a chosen preset) survives a restart of the bot and is used by that picture; /cancel
clears it in one call; /status says what waits."""

from __future__ import annotations

from pathlib import Path

from bot.models import Conversation, Waiting
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import (
    BLUE,
    GREEN,
    RED,
    queued,
    result,
    same_file,
    says,
    use_fast_quality,
)
from tests.test_conversation_animation import clip_bytes


async def conversation(bot: RunningBot, user: FakeUser) -> Conversation:
    return await bot.services.store.conversation(user.id, user.id)


async def status_text(user: FakeUser) -> str:
    await user.send_message("/status")
    return str((await user.wait_for("sendMessage")).params["text"])


async def test_a_chosen_mix_survives_a_restart_and_takes_the_next_picture(
    start_bot: StartBot, user: FakeUser
) -> None:
    async with start_bot() as bot:
        await use_fast_quality(bot, user)
        await user.send_photo(jpeg(96, 80, RED))
        await user.send_photo(jpeg(96, 80, BLUE))
        job = await queued(bot, user)
        picture = await result(user)
        await user.press(f"rerun:{job.id}:mix", message=picture.result)
        await says(user, "mix_send_painting")
        assert (await conversation(bot, user)).mix_base == job.id

    async with start_bot() as bot:  # a restart: the wait is in the store, not in memory
        assert t("en", "status_mix") in await status_text(user)
        painting = await user.send_photo(jpeg(96, 80, GREEN))
        mixed = await queued(bot, user)
        assert mixed.request.content == job.request.content
        mix = mixed.request.extras.mix
        assert mix is not None and same_file(mix.style, painting)
        await result(user)
        assert await conversation(bot, user) == Conversation()  # the job took what waited


async def test_a_waiting_clip_survives_a_restart_and_takes_the_next_picture(
    start_bot: StartBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    async with start_bot() as bot:
        clip = await user.send_animation(clip_bytes(tmp_path, content_photo, frames=4))
        await says(user, "got_animation")

    async with start_bot() as bot:
        assert t("en", "status_clip") in await status_text(user)
        painting = await user.send_photo(jpeg(96, 80, BLUE))
        job = await queued(bot, user)
        assert job.request.extras.animation
        assert job.request.content.file_unique_id == clip["animation"]["file_unique_id"]
        assert same_file(job.request.style, painting)
        await user.wait_for("sendAnimation", within=60)


async def test_cancel_clears_whatever_waits_in_one_call(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/style udnie")
    title = bot_app.services.presets.title("udnie")
    chosen = t("en", "preset_chosen", title=title)
    await user.wait_for("sendMessage", text=lambda text: text.startswith(chosen))
    assert (await conversation(bot_app, user)).waiting is Waiting.PRESET

    await user.send_message("/cancel")
    await says(user, "cancelled_pending")
    assert await conversation(bot_app, user) == Conversation()
    await user.send_photo(jpeg(96, 80, RED))  # now a photo waiting, not a preset's
    await says(user, "got_content")

    await user.send_message("/cancel")
    await says(user, "cancelled_pending")
    await user.send_message("/cancel")
    await says(user, "nothing_to_cancel")
