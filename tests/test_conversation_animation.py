"""Animations through the real stack: a clip then a painting or preset comes back as a Telegram
animation (silent H.264 MP4); the limits (too long, too large, not a video) get clear answers
with the limits; cancelling stops a clip mid-way; both languages. Clips sent as files (GIF, MP4
by their bytes) and as video notes; the re-run buttons under a clip; a clip's delivery and run
across restarts."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from PIL import Image

from bot.models import Delivery, JobStatus, Strength
from bot.texts import t
from tests.botfixtures import RunningBot, StartBot
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.holds import JobHold
from tests.test_animation import make_clip
from tests.test_conversation import BLUE, queued, result, says, text_of, waiting_photo, with_button


def clip_bytes(tmp_path: Path, content_photo: Path, frames: int = 8, fps: int = 8) -> bytes:
    return make_clip(tmp_path / f"clip{frames}.mp4", content_photo, frames, fps).read_bytes()


def frames_of(data: bytes) -> tuple[int, str]:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        assert not container.streams.audio
        return sum(1 for _ in container.decode(stream)), stream.codec_context.name


async def test_animation_then_a_painting_comes_back_as_an_mp4_animation(
    bot_app: RunningBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    await user.send_animation(clip_bytes(tmp_path, content_photo))
    asked = await says(user, "got_animation")
    assert with_button("menu:presets")(asked.params["reply_markup"])
    painting = await user.send_photo(jpeg(96, 80, BLUE))
    job = await queued(bot_app, user)
    assert job.request.extras.animation and job.request.style is not None
    assert job.request.style.file_unique_id == painting["photo"][-1]["file_unique_id"]
    sent = await user.wait_for("sendAnimation", within=60)
    caption = t("en", "job_animation_caption", style=t("en", "job_your_painting"), duration="")
    assert sent.params["caption"].startswith(caption)
    assert frames_of(sent.upload("animation").data) == (8, "h264")
    # The job's files are gone once it is sent.
    await user.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
    assert not list((bot_app.config.data_dir / "jobs").glob("*/*"))


async def test_video_captioned_with_a_preset_in_russian(
    bot_app: RunningBot,
    make_user: Callable[..., FakeUser],
    tmp_path: Path,
    content_photo: Path,
) -> None:
    boris = make_user("Boris", language_code="ru")
    await boris.send_video(clip_bytes(tmp_path, content_photo), caption="Крик")
    job = await queued(bot_app, boris)
    assert job.request.preset_id == "the_scream" and job.request.extras.animation
    sent = await boris.wait_for("sendAnimation", within=60)
    assert sent.params["caption"].startswith("🎞 Крик · ")


async def test_limits_are_said_with_the_limits(
    bot_app: RunningBot,
    make_user: Callable[..., FakeUser],
    tmp_path: Path,
    content_photo: Path,
) -> None:
    data = clip_bytes(tmp_path, content_photo)
    user = make_user("Ann")
    await user.send_video(data, duration=15)
    await says(user, "animation_too_long", seconds=15, max_s=10, max_mb=20)
    await user.send_animation(data, file_size=21 * 2**20)
    await says(user, "animation_too_big", max_s=10, max_mb=20)
    boris = make_user("Boris", language_code="ru")
    await boris.send_video(data, duration=11)
    await says(boris, "animation_too_long", "ru", seconds=11, max_s=10, max_mb=20)
    # Not a video at all, though sent as one: the job says so and nothing is counted as done.
    await user.send_animation(b"GIF89a but not really a clip", caption="starry night")
    job = await queued(bot_app, user)
    await user.wait_for(
        "editMessageText", text=lambda text: text == t("en", "job_failed_animation", max_s=10)
    )
    failed = await bot_app.services.store.get_job(job.id)
    assert failed is not None and failed.status is JobStatus.FAILED


async def test_cancel_during_an_animation(
    bot_app: RunningBot,
    user: FakeUser,
    telegram: FakeTelegram,
    tmp_path: Path,
    content_photo: Path,
    job_hold: JobHold,
) -> None:
    job_hold.close()
    await user.send_animation(clip_bytes(tmp_path, content_photo))
    await says(user, "got_animation")
    await user.send_message("/style starry night")
    job = await queued(bot_app, user)
    await job_hold.until_held()  # held after its first frame
    await user.wait_for("editMessageText", text=lambda text: text.startswith("🎨"), within=30)
    await user.press(f"cancel:{job.id}")
    await user.wait_for("editMessageText", text=lambda text: text == t("en", "job_cancelled"))
    cancelled = await bot_app.services.store.get_job(job.id)
    assert cancelled is not None and cancelled.status is JobStatus.CANCELLED
    assert not [c for c in telegram.calls if c.method == "sendAnimation"]


# Clips the way people send them: as files (judged by their bytes), as round video notes; the
# re-run buttons under a painted clip; a still picture sent as a file stays a photo.


def gif_bytes(content_photo: Path, frames: int = 6) -> bytes:
    """A GIF made with Pillow, the way a GIF saved from the web is: frames of a moving crop."""
    photo = Image.open(content_photo).convert("RGB").resize((96, 72))
    shots = [photo.rotate(5 * index) for index in range(frames)]
    out = io.BytesIO()
    shots[0].save(out, "GIF", save_all=True, append_images=shots[1:], duration=100, loop=0)
    return out.getvalue()


def rerun_changes(markup: Any) -> set[str]:
    rows = (markup or {}).get("inline_keyboard", [])
    return {b["callback_data"].rsplit(":", 1)[1] for row in rows for b in row}


async def test_a_gif_sent_as_a_file_is_painted_as_an_animation(
    bot_app: RunningBot, user: FakeUser, content_photo: Path
) -> None:
    await user.send_document(gif_bytes(content_photo), "dance.gif", "image/gif")
    await says(user, "got_animation")
    assert await waiting_photo(bot_app, user) is None
    await user.send_message("/style starry night")
    job = await queued(bot_app, user)
    assert job.request.extras.animation and job.request.preset_id == "starry_night"
    sent = await user.wait_for("sendAnimation", within=60)
    assert frames_of(sent.upload("animation").data) == (6, "h264")
    changes = rerun_changes(sent.params["reply_markup"])
    assert {"stronger", "softer", "variation", "style"} <= changes


async def test_an_mp4_sent_as_a_file_is_judged_by_its_bytes_not_its_name(
    bot_app: RunningBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    data = clip_bytes(tmp_path, content_photo)
    await user.send_document(data, "holiday.bin", "application/octet-stream", caption="Крик")
    job = await queued(bot_app, user)
    assert job.request.extras.animation and job.request.preset_id == "the_scream"
    sent = await user.wait_for("sendAnimation", within=60)
    assert frames_of(sent.upload("animation").data) == (8, "h264")


async def test_a_round_video_note_is_painted_too(
    bot_app: RunningBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    await user.send_video_note(clip_bytes(tmp_path, content_photo))
    await says(user, "got_animation")
    await user.send_photo(jpeg(96, 80, BLUE))
    job = await queued(bot_app, user)
    assert job.request.extras.animation
    await user.wait_for("sendAnimation", within=60)


async def test_a_long_clip_sent_as_a_file_is_refused_with_the_limits(
    bot_app: RunningBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    data = make_clip(tmp_path / "long.mp4", content_photo, frames=24, fps=2).read_bytes()
    await user.send_document(data, "long.mp4", "video/mp4")
    await says(user, "animation_too_long", seconds=12, max_s=10, max_mb=20)


async def test_the_rerun_buttons_under_an_animation_paint_a_second_one(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram, content_photo: Path
) -> None:
    await user.send_document(gif_bytes(content_photo), "dance.gif", "image/gif")
    await says(user, "got_animation")
    await user.send_message("/style starry night")
    first = await queued(bot_app, user)
    await user.wait_for("sendAnimation", within=60)
    await user.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
    await user.press(f"rerun:{first.id}:stronger")
    second = await queued(bot_app, user)
    assert second.id != first.id and second.request.extras.animation
    assert second.request.content == first.request.content
    assert second.request.settings.strength is Strength.STRONG
    again = await user.wait_for("sendAnimation", within=60)
    assert frames_of(again.upload("animation").data) == (6, "h264")
    assert f"rerun:{second.id}:softer" in str(again.params["reply_markup"])
    await user.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
    # [Another painting] keeps the clip waiting for its new painting, not the photo slot.
    await user.press(f"rerun:{second.id}:style")
    await says(user, "send_new_style")
    assert await waiting_photo(bot_app, user) is None
    await user.send_photo(jpeg(96, 80, BLUE))
    third = await queued(bot_app, user)
    assert third.request.extras.animation and third.request.content == first.request.content
    await user.wait_for("sendAnimation", within=60)
    assert not [c for c in telegram.calls if c.method == "sendPhoto"]


async def test_a_still_picture_sent_as_a_file_is_painted_as_a_photo(
    bot_app: RunningBot, user: FakeUser, content_photo: Path
) -> None:
    await user.send_document(content_photo, "IMG_2041.JPG", "image/jpeg", caption="starry night")
    job = await queued(bot_app, user)
    assert not job.request.extras.animation
    await result(user)


async def test_an_animation_whose_delivery_failed_is_sent_after_a_restart(
    start_bot: StartBot, telegram: FakeTelegram, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    """Telegram away when the clip was ready: the result waits on disk, and the next start sends
    it once, with its re-run buttons."""
    async with start_bot() as bot:
        telegram.fail("sendAnimation", 502, "Bad Gateway")  # housekeeping's retry is a minute off
        await user.send_animation(clip_bytes(tmp_path, content_photo), caption="starry night")
        job = await queued(bot, user)
        await user.wait_for("editMessageText", text=text_of("en", "job_delivery_retry"), within=60)
    async with start_bot() as bot:
        sent = await user.wait_for("sendAnimation", within=30)
        assert f"rerun:{job.id}:stronger" in str(sent.params["reply_markup"])
        await user.wait_for("editMessageText", text=lambda text: text.startswith("✅"))
        done = await bot.services.store.get_job(job.id)
        assert done is not None and done.delivery is Delivery.SENT
    assert len([c for c in telegram.calls if c.method == "sendAnimation" and c.ok]) == 1


async def test_an_animation_stopped_by_a_restart_keeps_its_place_and_finishes(
    start_bot: StartBot, user: FakeUser, tmp_path: Path, content_photo: Path
) -> None:
    async with start_bot() as bot:
        await user.send_animation(clip_bytes(tmp_path, content_photo, frames=150, fps=25))
        await says(user, "got_animation")
        await user.send_message("/style starry night")
        job = await queued(bot, user)
        await user.wait_for("editMessageText", text=lambda text: text.startswith("🎨"), within=30)
    await user.wait_for("editMessageText", text=text_of("en", "job_paused"))
    async with start_bot() as bot:
        sent = await user.wait_for("sendAnimation", within=120)
        assert frames_of(sent.upload("animation").data)[0] == 150
        again = await bot.services.store.get_job(job.id)
        assert again is not None and again.attempts == 1  # a clean stop refunds the attempt
