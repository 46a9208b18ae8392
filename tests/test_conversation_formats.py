"""Pictures as phones save them, sent as files: HEIC (an iPhone's) and AVIF, made here with
pillow-heif and Pillow, are painted the right way up (their rotation applied) and in the colours
a phone shows (their colour profile applied), through the real stack."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import ExifTags, Image

from bot.models import Quality, UserSettings
from tests.botfixtures import RunningBot
from tests.fakebot import FakeUser
from tests.test_conversation import queued, result, says

RED, BLUE = (200, 40, 40), (40, 40, 200)
# sRGB's primaries, adapted to the D50 white point ICC profiles use.
SRGB_RED = (0.4361, 0.2225, 0.0139)
SRGB_GREEN = (0.3851, 0.7169, 0.0971)
SRGB_BLUE = (0.1431, 0.0606, 0.7141)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def rgb_profile(red: tuple[float, ...], green: tuple[float, ...], blue: tuple[float, ...]) -> bytes:
    """A minimal ICC v2 display profile (primaries, gamma 2.2), byte by byte: no library makes
    one with chosen primaries, and no file of one may be committed."""

    def xyz(values: tuple[float, ...]) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(_s15(v) for v in values)

    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, round(2.2 * 256)) + bytes(2)
    name = b"test profile\0"
    description = b"desc" + bytes(4) + struct.pack(">I", len(name)) + name + bytes(4 + 4 + 3 + 67)
    tags = [
        (b"desc", description),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(red)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(blue)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = (
        struct.pack(">I", offset + len(data))
        + bytes(4)
        + bytes([2, 0x10, 0, 0])
        + b"mntrRGB XYZ "
        + bytes(12)
        + b"acsp"
        + bytes(28)  # platform, flags, maker, model, attributes, intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(48)
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


def upright() -> Image.Image:
    """A portrait picture, red above and blue below, as a person sees it."""
    picture = Image.new("RGB", (96, 128), BLUE)
    picture.paste(RED, (0, 0, 96, 64))
    return picture


def as_camera_saves_it(fmt: str, profile: bytes | None = None) -> bytes:
    """upright() stored lying on its side with EXIF orientation 6 ("turn it 90° clockwise"), as
    a phone held upright saves it; with a colour profile if given."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    out = io.BytesIO()
    options = {"icc_profile": profile} if profile else {}
    upright().transpose(Image.Transpose.ROTATE_90).save(
        out, fmt, exif=exif.tobytes(), quality=95, **options
    )
    return out.getvalue()


def halves(picture: bytes) -> tuple[tuple[float, ...], tuple[float, ...], tuple[int, int]]:
    """The mean colour of the top and bottom halves of an image, and its size."""
    with Image.open(io.BytesIO(picture)) as image:
        rgb = image.convert("RGB")
    width, height = rgb.size
    top = rgb.crop((0, 0, width, height // 3)).resize((1, 1), Image.Resampling.BOX)
    bottom = rgb.crop((0, 2 * height // 3, width, height)).resize((1, 1), Image.Resampling.BOX)
    return top.getpixel((0, 0)), bottom.getpixel((0, 0)), rgb.size  # type: ignore[return-value]


async def paint_file(bot: RunningBot, user: FakeUser, data: bytes, name: str, mime: str) -> bytes:
    """Send the file, then the Starry Night preset (keeping the photo's colours, fast); the
    result's bytes."""
    keep_colors = UserSettings(quality=Quality.FAST, preserve_colors=True)
    await bot.services.store.save_settings(user.id, keep_colors)
    await user.send_document(data, name, mime)
    await says(user, "got_content")
    await user.send_message("/style starry night")
    job = await queued(bot, user)
    assert job.request.preset_id == "starry_night"
    picture = await result(user)
    return user.telegram.file_bytes(picture.result["photo"][-1]["file_id"])


@pytest.mark.parametrize(
    ("fmt", "name", "mime"),
    [("HEIF", "IMG_0001.HEIC", "image/heic"), ("AVIF", "a.avif", "image/avif")],
)
async def test_a_phone_picture_is_painted_the_right_way_up(
    bot_app: RunningBot, user: FakeUser, fmt: str, name: str, mime: str
) -> None:
    painted = await paint_file(bot_app, user, as_camera_saves_it(fmt), name, mime)
    top, bottom, (width, height) = halves(painted)
    assert height > width  # portrait, as the phone showed it
    assert top[0] > top[2] + 40 and bottom[2] > bottom[0] + 40  # red above, blue below


async def test_a_heic_picture_is_painted_in_the_colours_its_profile_gives(
    bot_app: RunningBot, user: FakeUser
) -> None:
    """A profile whose red is sRGB's blue (and the reverse): stored red, the phone shows blue."""
    swapped = rgb_profile(SRGB_BLUE, SRGB_GREEN, SRGB_RED)
    painted = await paint_file(
        bot_app, user, as_camera_saves_it("HEIF", swapped), "IMG_0002.HEIC", "image/heic"
    )
    top, bottom, _ = halves(painted)
    assert top[2] > top[0] + 40 and bottom[0] > bottom[2] + 40  # blue above, red below
