"""Person mode through the real stack: the setting in /settings (stored, so it survives a
restart), the selfie segmenter from mediapipe's wheel keeping scikit-image's astronaut as
photographed while the background is painted, the re-run buttons that switch the mode, and the
bot without the model (the setting shown as unavailable, a job painted whole, nothing broken)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from skimage import data

from bot.models import PersonMode, UserSettings
from bot.texts import t
from tests.botfixtures import StartBot
from tests.fakebot import FakeUser
from tests.fakebot.server import Call
from tests.test_conversation import queued, result, says

# Boxes in the 512x512 astronaut (rows, columns), as in tests/test_segmentation.py.
FACE = (slice(50, 150), slice(190, 260))  # her hair, eyes and mouth
BACKDROP = (slice(0, 110), slice(310, 380))  # the grey studio wall
SIDE = 128  # big enough for the mask to find her, small enough for a CPU test


def astronaut_png() -> bytes:
    out = io.BytesIO()
    Image.fromarray(data.astronaut()).save(out, "PNG")
    return out.getvalue()


def distances(call: Call) -> tuple[float, float]:
    """Mean absolute difference (0-255) from the photo, of the face and of the backdrop."""
    painted = Image.open(io.BytesIO(call.upload("photo").data)).convert("RGB")
    photo = Image.fromarray(data.astronaut()).resize(painted.size, Image.Resampling.LANCZOS)
    diff = np.abs(np.asarray(painted, np.float32) - np.asarray(photo, np.float32))
    scale = painted.size[0] / 512

    def box(rows: slice, cols: slice) -> float:
        r = slice(round(rows.start * scale), round(rows.stop * scale))
        c = slice(round(cols.start * scale), round(cols.stop * scale))
        return float(diff[r, c].mean())

    return box(*FACE), box(*BACKDROP)


def buttons(markup: Any) -> dict[str, str]:
    """callback_data -> text of every button."""
    rows = (markup or {}).get("inline_keyboard", [])
    return {b["callback_data"]: b["text"] for row in rows for b in row}


async def test_keep_me_paints_the_background_and_survives_a_restart(
    start_bot: StartBot, user: FakeUser, selfie_model: Path
) -> None:
    sizes = {"standard_side": SIDE, "fast_side": SIDE}
    async with start_bot(**sizes):
        await user.send_message("/settings")
        menu = await user.wait_for("sendMessage", text=lambda text: text.startswith("⚙️"))
        assert t("en", "person_button_background") in buttons(menu.params["reply_markup"]).values()
        await user.press("set:person:background")
        await user.wait_for("editMessageText")
    async with start_bot(**sizes) as bot:  # a restart: the choice is in the database
        assert (await bot.services.store.get_settings(user.id)).person is PersonMode.BACKGROUND
        await user.send_message("/settings")
        menu = await user.wait_for("sendMessage", text=lambda text: text.startswith("⚙️"))
        chosen = "✓ " + t("en", "person_button_background")
        assert buttons(menu.params["reply_markup"])["set:person:background"] == chosen
        await user.send_photo(astronaut_png(), caption="starry night")
        job = await queued(bot, user)
        assert job.request.settings.person is PersonMode.BACKGROUND
        preview = await user.wait_for("sendPhoto", caption=t("en", "job_preview_caption"))
        kept = await result(user)
        for call in (preview, kept):
            face, backdrop = distances(call)
            assert face < 4 and backdrop > 20, (face, backdrop)
        # The other way round, from the button under the result: the person painted.
        choices = buttons(kept.params["reply_markup"])
        assert choices[f"rerun:{job.id}:keepbg"] == t("en", "button_keep_background")
        assert choices[f"rerun:{job.id}:paintall"] == t("en", "button_paint_all")
        assert f"rerun:{job.id}:keepme" not in choices  # that is what this result did
        await user.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
        await user.press(f"rerun:{job.id}:keepbg")
        again = await queued(bot, user)
        assert again.request.settings.person is PersonMode.PERSON
        face, backdrop = distances(await result(user))
        assert backdrop < 4 and face > 20, (face, backdrop)
        # The re-run changed that job only, not the setting.
        assert (await bot.services.store.get_settings(user.id)).person is PersonMode.BACKGROUND


async def test_a_photo_without_a_face_is_painted_whole_and_the_bot_says_so_in_one_line(
    start_bot: StartBot, user: FakeUser, selfie_model: Path, face_models: Path
) -> None:
    """The selfie segmenter takes most of the cat for a person; with no face found, "keep me"
    keeps nothing: the bot says so once and sends the plain painting (its preview too)."""
    cat = (Path(__file__).parent / "data/cat.jpg").read_bytes()
    async with start_bot(standard_side=SIDE, fast_side=SIDE) as bot:
        await bot.services.store.save_settings(user.id, UserSettings(person=PersonMode.BACKGROUND))
        await user.send_photo(cat, caption="starry night")
        await queued(bot, user)
        said = await says(user, "person_none_job")
        assert "\n" not in said.params["text"]
        preview = await user.wait_for("sendPhoto", caption=t("en", "job_preview_caption"))
        painted = await result(user)
        photo = Image.open(io.BytesIO(cat)).convert("RGB")
        for call in (preview, painted):
            image = Image.open(io.BytesIO(call.upload("photo").data)).convert("RGB")
            original = np.asarray(photo.resize(image.size, Image.Resampling.LANCZOS), np.float32)
            difference = np.abs(np.asarray(image, np.float32) - original).mean(axis=2)
            height, width = difference.shape
            head = difference[: height // 2, width // 4 : 3 * width // 4]
            assert head.mean() > 20 and (difference < 4).mean() < 0.05


async def test_without_the_model_the_mode_is_unavailable_and_photos_are_painted_whole(
    start_bot: StartBot, user: FakeUser, tmp_path: Path
) -> None:
    async with start_bot(segmentation_model=tmp_path / "missing.tflite") as bot:
        await bot.services.store.save_settings(user.id, UserSettings(person=PersonMode.BACKGROUND))
        await user.send_message("/settings")
        menu = await user.wait_for("sendMessage", text=lambda text: text.startswith("⚙️"))
        choices = buttons(menu.params["reply_markup"])
        assert choices["set:person:unavailable"] == t("en", "person_button_unavailable")
        assert "set:person:off" not in choices
        answer = await user.press("set:person:unavailable")
        await user.telegram.wait_for(
            "answerCallbackQuery",
            callback_query_id=answer["id"],
            text=t("en", "person_unavailable"),
        )
        await user.send_photo(astronaut_png(), caption="starry night")
        await queued(bot, user)
        await says(user, "person_unavailable_job")
        painted = await result(user)
        face, backdrop = distances(painted)
        assert face > 20 and backdrop > 20, (face, backdrop)
        assert not [data for data in buttons(painted.params["reply_markup"]) if "keep" in data]
