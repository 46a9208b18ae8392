"""Animations through the real stack: a clip then a painting or preset comes back as a Telegram
animation (silent H.264 MP4); the limits (too long, too large, not a video) get clear answers
with the limits; cancelling stops a clip mid-way; both languages."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import av

from bot.models import JobStatus
from bot.texts import t
from tests.botfixtures import RunningBot
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.test_animation import make_clip
from tests.test_conversation import BLUE, queued, says, with_button


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
    assert job.request.animation and job.request.style is not None
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
    assert job.request.preset_id == "the_scream" and job.request.animation
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
) -> None:
    await user.send_animation(clip_bytes(tmp_path, content_photo, frames=150, fps=25))
    await says(user, "got_animation")
    await user.send_message("/style starry night")
    job = await queued(bot_app, user)
    await user.wait_for("editMessageText", text=lambda text: text.startswith("🎨"), within=30)
    await user.press(f"cancel:{job.id}")
    await user.wait_for("editMessageText", text=lambda text: text == t("en", "job_cancelled"))
    cancelled = await bot_app.services.store.get_job(job.id)
    assert cancelled is not None and cancelled.status is JobStatus.CANCELLED
    assert not [c for c in telegram.calls if c.method == "sendAnimation"]
