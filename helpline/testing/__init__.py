"""A fake Telegram Bot API for the demo and the tests: in-process and over HTTP on 127.0.0.1."""

from helpline.testing.fake_request import FakeRequest
from helpline.testing.fake_server import FakeTelegramServer
from helpline.testing.fake_telegram import ApiCall, FakeTelegram, FakeUser

__all__ = ["ApiCall", "FakeRequest", "FakeTelegram", "FakeTelegramServer", "FakeUser"]
