"""Presets in the conversation: the collage, picking by button, /style, captions and plain text,
near misses, and a painting whose image cannot be fetched."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from bot.models import Strength, UserSettings
from bot.presets import SHIPPED_MANIFEST, load_manifest
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.conftest import shared_path
from tests.fakebot import FakeUser, jpeg
from tests.test_conversation import (
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

ALL = [preset.id for preset in load_manifest(SHIPPED_MANIFEST)]


async def test_presets_collage_is_uploaded_once_then_reused(
    bot_app: RunningBot, user: FakeUser
) -> None:
    await user.send_message("/presets")
    first = await user.wait_for("sendPhoto")
    assert first.upload("photo").data[:2] == b"\xff\xd8"  # a JPEG collage we drew
    assert buttons(first) == [f"preset:{preset}" for preset in ALL]
    caption = first.params["caption"]
    assert "1. The Starry Night — Vincent van Gogh, 1889" in caption
    assert "5. Mont Sainte-Victoire — Paul Cézanne" in caption
    assert "17. Rêverie — Alphonse Mucha, 1897" in caption

    await user.send_message("/presets")
    second = await user.wait_for("sendPhoto")
    assert second.files == {}
    assert second.params["photo"] == first.result["photo"][-1]["file_id"]


async def test_pick_a_preset_then_send_the_photo(bot_app: RunningBot, user: FakeUser) -> None:
    await use_fast_quality(bot_app, user)
    await user.send_message("/presets")
    await user.wait_for("sendPhoto")
    await user.press("preset:starry_night")
    chosen = await user.wait_for("sendMessage")
    title = "The Starry Night"
    assert chosen.params["text"].startswith(t("en", "preset_chosen", title=title))
    # The Starry Night is best strong; the user has medium, so the bot says so.
    strong = t("en", "strength_strong")
    assert chosen.params["text"].endswith(t("en", "preset_tip", strength=strong))

    await user.send_message("/status")
    await says(user, "status_preset_chosen", title=title)
    content = await user.send_photo(jpeg(96, 80, RED))
    job = await queued(bot_app, user)
    assert job.request.preset_id == "starry_night"
    assert same_file(job.request.content, content)
    picture = await result(user)
    assert picture.params["caption"].startswith(f"🖼 {title}\n")


async def test_photo_then_style_command(bot_app: RunningBot, user: FakeUser) -> None:
    await bot_app.services.store.save_settings(user.id, UserSettings(strength=Strength.STRONG))
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "got_content")
    await user.send_message("/style   STARRY night")
    job = await queued(bot_app, user)
    assert job.request.preset_id == "starry_night"
    assert job.request.settings.strength is Strength.STRONG


async def test_near_miss_gets_a_suggestion_button(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_message("/style stary nite")
    suggestion = await says(user, "preset_suggest", name="stary nite", title="The Starry Night")
    assert buttons(suggestion) == ["preset:starry_night"]
    await user.press("preset:starry_night")
    await user.wait_for("sendMessage", text=lambda text: text.startswith("🎨 The Starry Night"))


async def test_unknown_name_points_to_the_list(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_message("/style Mona Lisa")
    await says(user, "preset_not_found", name="Mona Lisa")
    await user.send_message("/style")
    await user.wait_for("sendPhoto", reply_markup=with_button("preset:"))


async def test_typing_a_preset_name_picks_it_in_russian(
    bot_app: RunningBot, make_user: Callable[..., FakeUser]
) -> None:
    boris = make_user("Boris", language_code="ru")
    await boris.send_message("Крик")
    await boris.wait_for("sendMessage", text=text_of("ru", "preset_chosen", title="Крик"))
    await boris.send_message("/presets")
    collage = await boris.wait_for("sendPhoto")
    assert "2. Крик — Edvard Munch, 1893" in collage.params["caption"]


async def test_unavailable_preset_is_reported_not_fatal(
    start_bot: StartBot, user: FakeUser, tmp_path: Path
) -> None:
    presets = tmp_path / "presets"
    presets.mkdir()
    shutil.copyfile(shared_path("images/styles/shipwreck.jpg"), presets / "shipwreck.jpg")
    sha = hashlib.sha256((presets / "shipwreck.jpg").read_bytes()).hexdigest()
    entries = [
        {"id": "shipwreck", "title": "The Shipwreck", "artist": "Turner", "year": 1805,
         "url": "http://127.0.0.1:9/shipwreck.jpg", "sha256": sha},
        {"id": "lost", "title": "Lost Painting", "artist": "Nobody", "year": None,
         "url": "http://127.0.0.1:9/lost.jpg", "sha256": "0" * 64},
    ]  # fmt: skip
    (presets / "manifest.json").write_text(json.dumps({"presets": entries}))
    async with start_bot(presets_dir=presets) as bot:
        await user.send_message("/presets")
        collage = await user.wait_for("sendPhoto")
        assert buttons(collage) == ["preset:shipwreck"]
        assert collage.params["caption"].endswith(
            t("en", "presets_missing", titles="Lost Painting")
        )

        await user.send_photo(jpeg(96, 80, RED))
        await says(user, "got_content")
        await user.send_message("/style lost painting")
        await says(user, "preset_failed", title="Lost Painting")
        assert await bot.services.store.last_job(user.id) is None
        assert await waiting_photo(bot, user) is not None
