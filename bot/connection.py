"""Reaching Telegram: patient while it is unreachable, one line at once when the token is wrong.

At start the bot waits for Telegram as long as it takes (DNS down, a firewall, an outage), with
one warning line per attempt; while running, python-telegram-bot's polling loop retries by itself
and each failure it reports is one warning line, never a traceback. The heartbeat file carries
what the health check needs: its age says the event loop runs, its text says why the bot is not
healthy (empty: Telegram answers).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.jobs.messenger import retry_after_s

log = logging.getLogger(__name__)

FIRST_WAIT_S = 1.0
MAX_WAIT_S = 30.0
# python-telegram-bot's own polling backoff (telegram.ext._utils.networkloop): 1 s after the
# first failure, then 1.5 times longer each time, at most 30 s. It restarts after each good poll,
# which we cannot see; we restart when a heartbeat reaches Telegram, so the wait we state is an
# upper bound ("within").
POLL_BACKOFF = 1.5
NOT_CONNECTED = "not connected to Telegram yet"


class TokenRejected(Exception):
    """Telegram refused the token: no retry can fix it, the operator must."""


class TelegramLink:
    """Whether Telegram answers, written to the heartbeat file for `nst-bot health`."""

    def __init__(self, heartbeat_path: Path) -> None:
        self.heartbeat_path = heartbeat_path
        self.problem: str | None = NOT_CONNECTED
        self._poll_failures = 0

    def report(self, problem: str | None) -> None:
        """Record the state now: None when Telegram answers, else why it does not."""
        self.problem = problem
        if problem is None:
            self._poll_failures = 0
        self.heartbeat_path.parent.mkdir(parents=True, exist_ok=True)
        self.heartbeat_path.write_text(problem or "")

    def poll_failed(self, error: TelegramError) -> None:
        """One line for a failed poll; python-telegram-bot waits and polls again by itself."""
        self._poll_failures += 1
        wait = min(MAX_WAIT_S, POLL_BACKOFF ** (self._poll_failures - 1))
        problem = f"Telegram unreachable: {error}"
        log.warning("%s; polling again within %.0f s", problem, wait)
        self.report(problem)

    async def beat(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The heartbeat job: on the event loop, so a fresh file also means the loop runs."""
        await self.check(context.bot)

    async def check(self, bot: Bot) -> None:
        """Ask Telegram who we are, and record whether it answered."""
        try:
            await bot.get_me()
        except TelegramError as error:
            if self.problem is None:
                log.warning("Telegram unreachable: %s", error)
            self.report(f"Telegram unreachable: {error}")
            return
        if self.problem is not None:
            log.info("Telegram answers again")
        self.report(None)

    async def on_poll_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Error handler run first: failures of polling itself (no update) end here."""
        if update is None and isinstance(context.error, TelegramError):
            self.poll_failed(context.error)
            raise ApplicationHandlerStop


class PatientApplication(Application):
    """An Application whose initialize() waits for Telegram instead of giving up.

    initialize() is the bot's first call to Telegram (getMe). Each failed attempt is one warning
    line with the reason and the wait (1 s, doubling to 30 s; Telegram's own retry_after when it
    asks for one); a rejected token raises TokenRejected at once, without the token in it.
    """

    def __init__(self, *, link: TelegramLink, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link = link

    async def initialize(self) -> None:
        wait = FIRST_WAIT_S
        self.link.report(NOT_CONNECTED)
        while True:
            try:
                await super().initialize()
            except InvalidToken:
                raise TokenRejected(
                    "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with "
                    "@BotFather"
                ) from None
            except RetryAfter as error:
                await self._retry_later(f"Telegram asks to wait: {error}", retry_after_s(error))
            except TelegramError as error:
                await self._retry_later(f"Telegram unreachable: {error}", wait)
                wait = min(MAX_WAIT_S, wait * 2)
            else:
                self.link.report(None)
                return

    async def _retry_later(self, problem: str, wait_s: float) -> None:
        log.warning("%s; trying again in %.0f s", problem, wait_s)
        self.link.report(problem)
        await asyncio.sleep(wait_s)


def webhook_secret(given: str | None, path: Path) -> str:
    """The secret Telegram sends with every webhook request: NST_WEBHOOK_SECRET, else one made
    once and kept at path (readable by the bot's user only), so restarts keep using it."""
    if given:
        return given
    if path.is_file():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)  # A-Z, a-z, 0-9, _ and -: what Telegram allows
    path.touch(mode=0o600)
    path.write_text(secret)
    return secret


def health(heartbeat_path: Path, max_age_s: float) -> str | None:
    """None if the running bot is healthy, else one line saying why not."""
    try:
        age = time.time() - heartbeat_path.stat().st_mtime
        problem = heartbeat_path.read_text().strip()
    except FileNotFoundError:
        return f"no heartbeat at {heartbeat_path}"
    if age > max_age_s:
        return f"last heartbeat {age:.0f} s ago"
    return problem or None
