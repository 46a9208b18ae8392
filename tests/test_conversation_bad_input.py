"""Every kind of bad input gets one short message saying what to send instead, in the person's
language, and nothing is queued; the bot keeps answering afterwards. Also the error handler."""

from __future__ import annotations

import io
import logging
import struct
import zlib
from collections.abc import Callable

import pytest
from PIL import Image

from bot.texts import t
from tests.botfixtures import RunningBot
from tests.conftest import shared_path
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.test_conversation import BLUE, RED, png, queued, says, text_of, waiting_photo


def png_bomb(side: int) -> bytes:
    """A few hundred bytes claiming side×side pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def gif_animation() -> bytes:
    frames = [Image.new("RGB", (96, 96), color) for color in (RED, BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def webp_animation() -> bytes:
    frames = [Image.new("RGB", (96, 96), color) for color in (RED, BLUE)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


BAD_FILES = [
    pytest.param(b"%PDF-1.4 not an image", "doc.pdf", "application/pdf", "bad_not_image", id="pdf"),
    pytest.param(b"hello", "notes.txt", "text/plain", "bad_not_image", id="text"),
    pytest.param(b"\0" * 64, "IMG_1.HEIC", "image/heic", "bad_corrupt", id="broken-heic"),
    pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "image/svg+xml",
                 "bad_unsupported", id="svg"),
    pytest.param(b"\xff\xd8\xff\xe0 garbage", "broken.jpg", "image/jpeg", "bad_corrupt",
                 id="corrupt"),
    pytest.param(png_bomb(30_000), "bomb.png", "image/png", "bad_too_many_pixels", id="bomb"),
    pytest.param(png(40, 300), "thin.png", "image/png", "bad_too_small", id="small-file"),
]  # fmt: skip


def problem_text(language: str, key: str) -> str:
    return t(language, key, max_mp=40, min_side=64, max_mb=20)


@pytest.mark.parametrize(("data", "name", "mime", "key"), BAD_FILES)
async def test_bad_file_gets_a_hint_and_nothing_waits(
    bot_app: RunningBot, user: FakeUser, data: bytes, name: str, mime: str, key: str
) -> None:
    await user.send_document(data, name, mime)
    await user.wait_for("sendMessage", text=text_of("en", key, max_mp=40, min_side=64, max_mb=20))
    assert await waiting_photo(bot_app, user) is None


async def test_truncated_photo_file_is_refused(bot_app: RunningBot, user: FakeUser) -> None:
    data = shared_path("images/photos/tubingen.jpg").read_bytes()
    await user.send_document(data[: len(data) * 2 // 3], "tubingen.jpg", "image/jpeg")
    await user.wait_for("sendMessage", text=lambda text: text == problem_text("en", "bad_corrupt"))


async def test_too_big_file_is_refused_without_downloading(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await user.send_document(b"\xff\xd8" + bytes(20 * 1024 * 1024), "huge.jpg", "image/jpeg")
    await user.wait_for("sendMessage", text=lambda s: s == problem_text("en", "bad_too_big_bytes"))
    assert not [c for c in telegram.calls[user.since :] if c.method == "getFile"]


async def test_sound_file_is_not_downloaded(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    await user.send_document(bytes(1000), "voice.ogg", "audio/ogg")
    await says(user, "bad_not_image")
    assert not [c for c in telegram.calls[user.since :] if c.method == "getFile"]


async def test_a_video_file_is_judged_by_its_bytes(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    """A "video" that is neither a clip nor a picture; a huge one is refused undownloaded."""
    await user.send_document(bytes(1000), "movie.mp4", "video/mp4")
    await says(user, "bad_not_image")
    await user.send_document(bytes(20 * 1024 * 1024 + 1), "movie.mp4", "video/mp4")
    await says(user, "animation_too_big", max_s=10, max_mb=20)
    assert not [c for c in telegram.calls[user.since :] if c.method == "getFile"]


async def test_tiny_photo_is_refused(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_photo(jpeg(48, 48))
    await user.wait_for("sendMessage", text=lambda s: s == problem_text("en", "bad_too_small"))
    assert await waiting_photo(bot_app, user) is None


async def test_animated_gif_file_is_a_clip(bot_app: RunningBot, user: FakeUser) -> None:
    """Painted as an animation (tests/test_conversation_animation.py follows it through)."""
    await user.send_document(gif_animation(), "dance.gif", "image/gif")
    await says(user, "got_animation")
    assert await waiting_photo(bot_app, user) is None


async def test_animated_webp_uses_its_first_frame(bot_app: RunningBot, user: FakeUser) -> None:
    """Frames the animation path cannot decode (FFmpeg lacks animated WebP): a still photo."""
    sent = await user.send_document(webp_animation(), "dance.webp", "image/webp")
    await says(user, "first_frame")
    await says(user, "got_content")
    pending = await waiting_photo(bot_app, user)
    assert pending is not None and pending.file_id == sent["document"]["file_id"]


async def test_a_failed_download_asks_to_send_again(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram
) -> None:
    telegram.fail("getFile", 400, "Bad Request: file is too big", times=1)
    await user.send_document(png(100, 100), "a.png", "image/png")
    await says(user, "download_failed")


async def test_bad_then_good_input_still_works(bot_app: RunningBot, user: FakeUser) -> None:
    await user.send_document(b"junk", "x.jpg", "image/jpeg")
    await user.wait_for("sendMessage", text=lambda s: s == problem_text("en", "bad_corrupt"))
    await user.send_photo(jpeg(96, 80, RED))
    await says(user, "got_content")
    await user.send_photo(jpeg(96, 80, BLUE))
    await queued(bot_app, user)


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_text_commands_and_other_messages_get_hints(
    bot_app: RunningBot, make_user: Callable[..., FakeUser], language: str
) -> None:
    person = make_user("Pat", language_code=language)
    await person.send_message("hello there")
    await says(person, "text_hint", language)
    await person.send_message("/paint now")
    await says(person, "unknown_command", language)
    await person.send_message("/stats")  # not an admin: exactly like an unknown command
    await says(person, "unknown_command", language)
    await person.send_document(b"%PDF", "a.pdf", "application/pdf")
    await says(person, "bad_not_image", language)
    mark = person.telegram.mark()
    await person.telegram.add_user_message(
        person.id, person.id, {"location": {"latitude": 1, "longitude": 2}}
    )
    await person.wait_for("sendMessage", after=mark, text=text_of(language, "bad_not_image"))


@pytest.mark.parametrize("data", ["v0:something-old", "set:colors", "rerun:1:sideways"])
async def test_old_or_malformed_button_is_answered(
    bot_app: RunningBot, user: FakeUser, telegram: FakeTelegram, data: str
) -> None:
    await user.send_message("/start")
    start = await says(user, "start")
    mark = telegram.mark()
    await telegram.add_callback_query(user.id, start.result, data)
    answer = await telegram.wait_for("answerCallbackQuery", after=mark)
    assert answer.params["text"] == t("en", "button_stale")


async def test_an_error_is_logged_without_the_token_and_the_user_is_told(
    bot_app: RunningBot,
    user: FakeUser,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    telegram.fail("sendMessage", 400, f"Bad Request: {telegram.token} broke", times=1)
    with caplog.at_level(logging.ERROR, logger="bot.handlers"):
        await user.send_message("/help")
        await says(user, "error")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "BadRequest" in logged
    assert telegram.token not in logged
    assert telegram.token.split(":")[1] not in caplog.text


async def test_an_image_in_a_rarer_format_is_taken_by_its_content(
    bot_app: RunningBot, user: FakeUser
) -> None:
    out = io.BytesIO()
    Image.new("RGB", (100, 90), (200, 40, 40)).save(out, "TGA")
    await user.send_document(out.getvalue(), "scan.dat", "application/octet-stream")
    await says(user, "got_content")
    assert await waiting_photo(bot_app, user) is not None
