"""A fake Telegram Bot API for tests.

server.py is the server (FakeTelegram) and says which module answers what: chats.py, commands.py,
files.py, messages.py, updates.py, webhooks.py; calls.py and faults.py are what tests assert on
and inject. user.py is a person talking to the bot; fixtures.py the pytest fixtures.
"""

from tests.fakebot.calls import Call, Upload
from tests.fakebot.fixtures import running
from tests.fakebot.media import jpeg
from tests.fakebot.server import FakeTelegram
from tests.fakebot.user import FakeUser

__all__ = ["Call", "FakeTelegram", "FakeUser", "Upload", "jpeg", "running"]
