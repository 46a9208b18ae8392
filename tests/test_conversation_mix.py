"""Mixing two paintings through the real stack: an album of three, [Mix with…] then a painting
or a preset, the 30/50/70 % re-runs (also after a restart), in both languages. Jobs run by the
fast method, to be quick; tests/engine/test_mix.py covers the quality method's mixing."""

from __future__ import annotations

from collections.abc import Callable

from bot.models import Mix
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import (
    BLUE,
    GREEN,
    RED,
    buttons,
    queued,
    result,
    same_file,
    says,
    use_fast_quality,
)


async def test_album_of_three_blends_both_paintings_and_reruns_at_other_shares(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await use_fast_quality(bot_app, user)
    photo, first, second = await user.send_album(
        [jpeg(96, 80, RED), jpeg(96, 80, BLUE), jpeg(96, 80, GREEN)]
    )
    job = await queued(bot_app, user)
    assert same_file(job.request.content, photo) and same_file(job.request.style, first)
    assert job.request.extras.mix is not None and same_file(job.request.extras.mix.style, second)
    assert job.request.extras.mix.share == 0.5
    picture = await result(user)
    mine = t("en", "job_your_painting")
    mixed = t("en", "job_mix_style", a=mine, b=mine, share_a=50, share_b=50)
    assert picture.params["caption"].startswith(f"🖼 {mixed}\n")
    assert buttons(picture)[:3] == [f"rerun:{job.id}:mix{n}" for n in (30, 50, 70)]

    await user.press(f"rerun:{job.id}:mix70", message=picture.result)
    again = await queued(bot_app, user)
    assert again.request.extras.mix == Mix(style=job.request.extras.mix.style, share=0.7)
    assert again.request.style == job.request.style
    await result(user)


async def test_mix_with_a_preset_after_a_result_in_russian_and_after_a_restart(
    start_bot: StartBot, make_user: Callable[..., FakeUser]
) -> None:
    boris = make_user("Boris", language_code="ru")
    async with start_bot() as bot:
        await use_fast_quality(bot, boris)
        await boris.send_photo(jpeg(96, 80, RED), caption="Крик")
        job = await queued(bot, boris)
        picture = await result(boris)
        assert f"rerun:{job.id}:mix" in buttons(picture)
        assert f"rerun:{job.id}:mix30" not in buttons(picture)  # not mixed yet

        await boris.press(f"rerun:{job.id}:mix", message=picture.result)
        asked = await says(boris, "mix_send_painting", "ru")
        assert buttons(asked) == ["menu:presets"]
        await boris.send_message("/style great wave")
        mixed = await queued(bot, boris)
        assert mixed.request.preset_id == "the_scream"
        assert mixed.request.extras.mix == Mix(preset_id="great_wave")
        picture = await result(boris)
        title = t("ru", "job_mix_style", a="Крик", b="Большая волна в Канагаве", share_a=50,
                  share_b=50)  # fmt: skip
        assert picture.params["caption"].startswith(f"🖼 {title}\n")

    async with start_bot() as bot:  # a restart: the mix is in the job's row
        await boris.press(f"rerun:{mixed.id}:mix30")
        again = await queued(bot, boris)
        assert again.request.extras.mix == Mix(preset_id="great_wave", share=0.3)
        assert again.request.preset_id == "the_scream"
        await result(boris)


async def test_mix_with_a_photo_of_a_painting_and_a_stale_share_button(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await use_fast_quality(bot_app, user)
    await user.send_photo(jpeg(96, 80, RED))
    await user.send_photo(jpeg(96, 80, BLUE))
    job = await queued(bot_app, user)
    picture = await result(user)
    # Only mixed results have share buttons: a forged one changes nothing.
    user.since = user.telegram.mark()
    await user.telegram.add_callback_query(user.id, picture.result, f"rerun:{job.id}:mix50")
    await says(user, "rerun_gone")
    await user.press(f"rerun:{job.id}:mix")
    await says(user, "mix_send_painting")
    painting = await user.send_photo(jpeg(96, 80, GREEN))
    mixed = await queued(bot_app, user)
    mix = mixed.request.extras.mix
    assert mix is not None and same_file(mix.style, painting)
    assert mixed.request.content == job.request.content
    await result(user)
