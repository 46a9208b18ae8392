"""The fake Bot API harness, tested through a real python-telegram-bot Application over HTTP.

Every bot test relies on this harness answering like Telegram does, so these tests pin the
behaviour bot code depends on: command entities, photo sizes and downloads, callback queries and
edits, albums, getUpdates offsets, group chats (privacy mode, replies, members), and the errors
PTB turns into exceptions.
"""

import asyncio
import signal
import sys
import textwrap

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyParameters,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.conftest import shared_path
from tests.fakebot import jpeg


async def start(update, context):
    await update.effective_message.reply_text(f"Hello, {update.effective_user.first_name}!")


async def echo_photo(update, context):
    """Downloads the largest size through getFile + the file URL and sends the bytes back."""
    file = await update.effective_message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await update.effective_message.reply_photo(bytes(data), caption="your photo")


async def echo_document(update, context):
    document = update.effective_message.document
    data = await (await document.get_file()).download_as_bytearray()
    await update.effective_message.reply_document(
        bytes(data), filename=f"echo-{document.file_name}"
    )


async def menu(update, context):
    keyboard = [
        [
            InlineKeyboardButton("Yes", callback_data="yes"),
            InlineKeyboardButton("No", callback_data="no"),
        ]
    ]
    await update.effective_message.reply_text(
        "Pick one", reply_markup=InlineKeyboardMarkup(keyboard)
    )


async def choose(update, context):
    query = update.callback_query
    await query.answer()
    await query.edit_message_text(f"You chose {query.data}")


def small_bot(builder):
    """A tiny Application with one handler per harness feature."""
    app = builder.build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(choose))
    app.add_handler(MessageHandler(filters.PHOTO, echo_photo))
    app.add_handler(MessageHandler(filters.Document.ALL, echo_document))
    return app


@pytest.fixture
async def bot(telegram):
    """A plain Bot pointed at the fake, for calling the API directly."""
    async with Bot(
        telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url
    ) as bot:
        yield bot


@pytest.fixture
def bot_app(application_builder):
    return small_bot(application_builder)


async def test_start_round_trip(telegram, user, make_user, application_builder, running):
    async def set_commands(app):
        await app.bot.set_my_commands([("start", "Say hello")])

    bob = make_user("Bob", language_code="de")
    async with running(small_bot(application_builder.post_init(set_commands))):
        await user.send_message("/start")
        await bob.send_message("/start")
        call = await user.wait_for("sendMessage")
        await bob.wait_for("sendMessage", text="Hello, Bob!")

    assert call.params == {"chat_id": user.id, "text": "Hello, Alice!"}
    assert [m["text"] for m in user.chat] == ["Hello, Alice!"]
    assert telegram.commands[""] == [{"command": "start", "description": "Say hello"}]


async def test_photo_upload_and_download(telegram, user, bot_app, running):
    sent = jpeg(1000, 600)
    async with running(bot_app):
        message = await user.send_photo(sent)
        received = await user.receive_photo(caption="your photo")

    sizes = [(s["width"], s["height"]) for s in message["photo"]]
    assert sizes == [(90, 54), (320, 192), (800, 480), (1000, 600)]
    assert telegram.file_bytes(message["photo"][-1]["file_id"]) == sent
    download = await telegram.wait_for("download")
    assert telegram.calls[download.index - 1].method == "getFile"
    assert received == sent  # the bot downloaded the original and sent it back unchanged
    reply = await user.wait_for("sendPhoto")
    assert reply.upload("photo").data == sent
    assert reply.result["photo"][-1]["file_size"] == len(sent)


async def test_real_photo_gets_realistic_sizes(user):
    message = await user.send_photo(shared_path("images/photos/tubingen.jpg"))

    sizes = message["photo"]
    assert [max(s["width"], s["height"]) for s in sizes[:-1]] == [90, 320, 800]
    assert [s["file_size"] for s in sizes] == sorted(s["file_size"] for s in sizes)


async def test_button_press_answers_and_edits(user, bot_app, running):
    async with running(bot_app):
        await user.send_message("/menu")
        menu_message = (await user.wait_for("sendMessage")).result
        query = await user.press("Yes")
        await user.wait_for("answerCallbackQuery", callback_query_id=query["id"])
        edit = await user.wait_for("editMessageText")

    assert query["message"]["message_id"] == menu_message["message_id"]
    assert query["data"] == "yes"
    assert edit.params["message_id"] == menu_message["message_id"]
    # As on Telegram, an edit without reply_markup removes the keyboard.
    assert user.chat == [edit.result]
    assert edit.result["text"] == "You chose yes"
    assert "reply_markup" not in edit.result


async def test_pressing_a_missing_button_fails_readably(user, bot_app, running):
    async with running(bot_app):
        await user.send_message("/menu")
        await user.wait_for("sendMessage")
        with pytest.raises(AssertionError, match=r"no button 'Maybe'.*'Yes'"):
            await user.press("Maybe")


async def test_429_is_retried_after_retry_after(telegram, user, application_builder, running):
    telegram.fail("sendPhoto", status=429, retry_after=1)
    app = small_bot(application_builder.rate_limiter(AIORateLimiter(max_retries=2)))
    async with running(app):
        await user.send_photo(jpeg())
        await user.receive_photo()

    first, second = [c for c in telegram.calls if c.method == "sendPhoto"]
    assert (first.status, first.retry_after, second.status) == (429, 1, 200)
    assert second.received_at - first.answered_at >= 1.0


@pytest.mark.parametrize(
    ("status", "description", "error", "shown"),
    [
        (400, "Bad Request: message is not modified", BadRequest, "Message is not modified"),
        (403, "Forbidden: bot was blocked by the user", Forbidden, "bot was blocked"),
        (502, "Bad Gateway", NetworkError, "Bad Gateway"),
    ],
)
async def test_errors_surface_as_ptb_exceptions(
    telegram, user, bot, status, description, error, shown
):
    telegram.fail("sendMessage", status=status, description=description)
    with pytest.raises(error, match=shown):
        await bot.send_message(user.id, "hi")
    await bot.send_message(user.id, "hi")  # the fault was for one call only

    assert [c.status for c in telegram.calls if c.method == "sendMessage"] == [status, 200]


async def test_unchanged_edit_is_a_bad_request_like_on_telegram(telegram, user, bot):
    message = await bot.send_message(user.id, "same")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await message.edit_text("same")


async def test_slow_answer_is_slow_and_can_time_out(telegram, user, bot):
    telegram.delay("sendMessage", 0.3)
    await bot.send_message(user.id, "patience")
    call = await telegram.wait_for("sendMessage")
    assert call.answered_at - call.received_at >= 0.3

    impatient = HTTPXRequest(read_timeout=0.05)
    async with Bot(telegram.token, base_url=telegram.base_url, request=impatient) as impatient_bot:
        with pytest.raises(TimedOut):
            await impatient_bot.send_message(user.id, "too slow")


async def test_a_held_call_is_answered_only_once_released(telegram, user, bot):
    held = telegram.hold("sendMessage")
    sending = asyncio.create_task(bot.send_message(user.id, "held"))
    await held.reached()
    sent = [c for c in telegram.calls if c.method == "sendMessage"]
    assert not sending.done() and sent == []
    held.release()
    assert (await sending).text == "held"
    assert len([c for c in telegram.calls if c.method == "sendMessage"]) == 1


async def test_edits_and_deletes_change_what_the_user_sees(telegram, user, bot):
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Again", callback_data="again")]])
    await bot.send_chat_action(user.id, ChatAction.UPLOAD_PHOTO)
    message = await bot.send_photo(user.id, jpeg(), caption="first", reply_markup=keyboard)
    await message.edit_caption("second", reply_markup=keyboard)
    assert [(m["caption"], "reply_markup" in m) for m in user.chat] == [("second", True)]

    await message.edit_reply_markup(None)
    assert "reply_markup" not in user.chat[0]

    replacement = jpeg(color=(0, 200, 0))
    await message.edit_media(InputMediaPhoto(replacement, caption="third"))
    shown = user.chat[0]
    assert telegram.file_bytes(shown["photo"][-1]["file_id"]) == replacement
    assert shown["caption"] == "third"

    await message.delete()
    assert user.chat == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await message.delete()


async def test_telegram_limits_are_enforced(telegram, user, bot):
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(user.id, "hi", reply_markup=too_long_data)
    with pytest.raises(BadRequest, match="Photo_invalid_dimensions"):
        await bot.send_photo(user.id, jpeg(2100, 100))
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "nobody there")
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=telegram.base_url):
            pass


async def test_file_download_errors(telegram, user, bot):
    big = await user.send_document(b"\0" * (20 * 1024 * 1024 + 1), "big.bin", "application/zip")
    small = await user.send_document(b"small", "small.txt", "text/plain")
    telegram.fail("download", status=502)
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(big["document"]["file_id"])
    file = await bot.get_file(small["document"]["file_id"])
    with pytest.raises(NetworkError):
        await file.download_as_bytearray()
    assert await file.download_as_bytearray() == b"small"


async def test_document_keeps_name_type_and_bytes(telegram, user, bot_app, running):
    corrupt = b"\xff\xd8 definitely not a whole jpeg"
    async with running(bot_app):
        message = await user.send_document(corrupt, "broken.jpg", "image/jpeg")
        reply = await user.wait_for("sendDocument")

    document = message["document"]
    assert (document["file_name"], document["mime_type"]) == ("broken.jpg", "image/jpeg")
    assert document["file_size"] == len(corrupt)
    upload = reply.upload("document")
    assert (upload.filename, upload.mime_type, upload.data) == (
        "echo-broken.jpg",
        "image/jpeg",
        corrupt,
    )


async def test_bot_cannot_send_a_non_image_as_photo(telegram, user, bot):
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(user.id, b"not an image")
    with pytest.raises(ValueError, match="send_document"):
        await user.send_photo(b"not an image")


async def test_album_arrives_as_one_update_per_photo(user, application_builder, running):
    albums: dict[str, list[bytes]] = {}

    async def collect(update, context):
        message = update.effective_message
        data = await (await message.photo[-1].get_file()).download_as_bytearray()
        album = albums.setdefault(message.media_group_id, [])
        album.append(bytes(data))
        if len(album) == 2:
            await message.reply_media_group([InputMediaPhoto(photo) for photo in album])

    app = application_builder.build()
    app.add_handler(MessageHandler(filters.PHOTO, collect))
    photos = [jpeg(color=(255, 0, 0)), jpeg(color=(0, 0, 255))]
    async with running(app):
        sent = await user.send_album(photos, caption="two")
        reply = await user.wait_for("sendMediaGroup")

    assert sent[0]["media_group_id"] == sent[1]["media_group_id"]
    assert [m.get("caption") for m in sent] == ["two", None]
    assert [u.data for u in reply.files.values()] == photos
    assert len({m["media_group_id"] for m in reply.result}) == 1
    assert len(user.chat) == 2


def texts(updates):
    return [update.message.text for update in updates]


async def test_get_updates_offset_and_long_poll(telegram, user, bot):
    await user.send_message("one")
    first = await bot.get_updates()
    assert texts(await bot.get_updates()) == ["one"]  # not confirmed yet
    assert await bot.get_updates(offset=first[0].update_id + 1) == ()

    poll = asyncio.create_task(bot.get_updates(offset=first[0].update_id + 1, timeout=30))
    await telegram.wait_for_poll()
    await user.send_message("two")
    updates = await asyncio.wait_for(poll, 5)  # answered as soon as the update exists

    assert texts(updates) == ["two"]


async def test_a_group_shows_the_bot_only_commands_and_replies_to_it(telegram, make_user, bot):
    alice, bob = make_user("Alice"), make_user("Bob")
    chat = await telegram.add_group("Friends", [alice, bob], admins=(alice,))
    (added,) = await bot.get_updates()
    assert added.my_chat_member.chat.id == chat and added.my_chat_member.from_user.id == alice.id
    assert added.my_chat_member.new_chat_member.status == "member"
    in_group = bob.in_group(chat)
    photo = await in_group.send_photo(jpeg(80, 80))  # an ordinary message: not for the bot
    await in_group.send_message("/paint", reply_to=photo)
    ours = await bot.send_message(
        chat, "a reply", reply_parameters=ReplyParameters(photo["message_id"])
    )
    assert ours.reply_to_message.message_id == photo["message_id"]
    answer = await in_group.send_message("thanks", reply_to=ours.to_dict())
    updates = await bot.get_updates(offset=added.update_id + 1)
    assert [u.message.text for u in updates] == ["/paint", "thanks"]
    assert (
        updates[0].message.reply_to_message.photo[-1].file_unique_id
        == photo["photo"][-1]["file_unique_id"]
    )
    assert updates[1].message.message_id == answer["message_id"]
    assert (await bot.get_chat_member(chat, alice.id)).status == "administrator"
    assert (await bot.get_chat_member(chat, bob.id)).status == "member"
    with pytest.raises(BadRequest, match="replied not found"):
        await bot.send_message(chat, "x", reply_parameters=ReplyParameters(999))


async def test_wait_for_matching(telegram, user, bot):
    await bot.send_message(user.id, "first")
    await bot.send_message(user.id, "second thing")

    assert (await user.wait_for("sendMessage", nth=2)).params["text"] == "second thing"
    found = await user.wait_for("sendMessage", text=lambda text: text.startswith("second"))
    assert found.index == telegram.mark() - 1
    await user.send_message("hi")  # a user action: only later calls count for this user now
    with pytest.raises(AssertionError):
        await user.wait_for("sendMessage", within=0.05)


async def test_wait_for_failure_lists_the_calls_seen(telegram, user, bot):
    await bot.send_message(user.id, "something else")
    with pytest.raises(
        AssertionError, match=r"no sendPhoto call(.|\n)*sendMessage.*something else"
    ):
        await user.wait_for("sendPhoto", within=0.1)


async def test_bot_in_another_process(telegram, user, tmp_path):
    script = tmp_path / "bot.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from telegram.ext import Application, CommandHandler

            async def start(update, context):
                await update.effective_message.reply_text("hello from a subprocess")

            token, base_url, base_file_url = sys.argv[1:]
            builder = Application.builder().token(token).base_url(base_url)
            app = builder.base_file_url(base_file_url).build()
            app.add_handler(CommandHandler("start", start))
            app.run_polling(poll_interval=0, timeout=1)
            """
        )
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), telegram.token, telegram.base_url, telegram.base_file_url
    )
    try:
        await user.send_message("/start")
        call = await user.wait_for("sendMessage", within=30)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    assert call.params["text"] == "hello from a subprocess"
