"""Try every preset: the waiting photo in every painting as one contact sheet, then a tap on a
number queues the full job; the sheet is no job and does not count against the daily limit."""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image

from bot.presets import SHIPPED_MANIFEST, load_manifest
from bot.texts import t
from nst_engine import sheet
from tests.botfixtures import StartBot
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import RED, buttons, queued, result, same_file, says, use_fast_quality

ALL = [preset.id for preset in load_manifest(SHIPPED_MANIFEST)]


async def test_sheet_of_every_preset_then_a_tap_paints_it_in_full(
    start_bot: StartBot, user: FakeUser
) -> None:
    async with start_bot(daily_limit=1) as bot:
        await use_fast_quality(bot, user)
        content = await user.send_photo(jpeg(160, 120, RED))
        got = await says(user, "got_content")
        assert buttons(got) == ["menu:presets", "menu:try"]
        await user.press("menu:try", message=got.result)
        await says(user, "try_started", count=len(ALL))
        sent = await user.wait_for(
            "sendPhoto", caption=lambda c: c == t("en", "try_caption"), within=60
        )
        assert buttons(sent) == [f"preset:{preset}" for preset in ALL]
        with Image.open(io.BytesIO(sent.upload("photo").data)) as picture:
            assert picture.format == "JPEG"
            assert picture.width == 4 * sheet.CELL + 3 * sheet.GAP  # 17 presets: 4 across
        assert await bot.services.store.last_job(user.id) is None  # no job, nothing counted

        await user.press("preset:the_scream", message=sent.result)
        job = await queued(bot, user)  # the daily limit of 1 is still free for this
        assert job.request.preset_id == "the_scream"
        assert same_file(job.request.content, content)
        await result(user)


async def test_try_in_russian_and_without_a_photo(
    start_bot: StartBot, make_user: Callable[..., FakeUser]
) -> None:
    boris = make_user("Boris", language_code="ru")
    async with start_bot():
        await boris.send_message("/try")
        await says(boris, "try_needs_photo", "ru")
        await boris.send_photo(jpeg(120, 160, RED))
        await says(boris, "got_content", "ru")
        await boris.send_message("/try")
        await boris.send_message("/try")  # a second tap while drawing does not start another
        await says(boris, "try_busy", "ru")
        sent = await boris.wait_for(
            "sendPhoto", caption=lambda c: c == t("ru", "try_caption"), within=60
        )
        with Image.open(io.BytesIO(sent.upload("photo").data)) as picture:
            cell_height = round(sheet.CELL * 160 / 120)  # a portrait photo: portrait cells
            rows = -(-len(ALL) // 4)
            assert (
                picture.height == rows * (cell_height + sheet.TITLE_HEIGHT + sheet.GAP) - sheet.GAP
            )
