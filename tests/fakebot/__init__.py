"""A fake Telegram Bot API for tests: see server.py (the API), user.py (a person), fixtures.py."""

from tests.fakebot.fixtures import running
from tests.fakebot.media import jpeg
from tests.fakebot.server import Call, FakeTelegram, Upload
from tests.fakebot.user import FakeUser

__all__ = ["Call", "FakeTelegram", "FakeUser", "Upload", "jpeg", "running"]
