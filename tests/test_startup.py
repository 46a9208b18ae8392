"""Starting the bot as an operator does (`python -m bot`): what goes wrong says so in one line.

The bot runs as a real process against the fake Bot API. Local problems (data folder, database,
weights) stop it before its first call to Telegram; a token Telegram rejects stops it without
printing the token; an unreachable Telegram is waited for, and the health check says so meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import __main__ as cli
from bot.config import HEARTBEAT_S
from bot.connection import TelegramLink, health
from bot.jobs.store import Store
from bot.logs import RedactingFormatter
from bot.models import JobStatus
from bot.texts import t
from tests.botfixtures import TINY_SIDES_ENV, RunningBot
from tests.conftest import PROCESS_START_S, REPO_ROOT
from tests.fakebot import FakeTelegram, FakeUser, jpeg

REJECTED = "Telegram rejected TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather"


def bot_env(base_url: str, token: str, data_dir: Path, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NST_"))}
    return {
        **clean,
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_BASE_URL": base_url,
        "TELEGRAM_BASE_FILE_URL": base_url.replace("/bot", "/file/bot"),
        "NST_DATA_DIR": str(data_dir),
        **TINY_SIDES_ENV,
        **extra,
    }


async def run_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", *args]
    return await asyncio.to_thread(
        subprocess.run, command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def wait_until(condition: Callable[[], bool], within: float, what: str) -> None:
    """Check condition every 50 ms until it holds; fail naming `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_rejected_token_is_one_line_exit_2_and_never_printed(
    telegram: FakeTelegram, tmp_path: Path, vgg_weights: Path
) -> None:
    token = "987654321:AAWrongTokenThatMustNeverBePrinted"
    env = bot_env(telegram.base_url, token, tmp_path, NST_VGG19_WEIGHTS=str(vgg_weights))
    done = await run_bot(env)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", REJECTED + "\n")
    assert token.split(":")[1] not in done.stdout + done.stderr
    assert [(c.method, c.status) for c in telegram.calls] == [("getMe", 401)]


async def test_a_damaged_database_is_one_line_exit_2_and_left_untouched(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    garbage = os.urandom(8192)
    database.write_bytes(garbage)
    done = await run_bot(bot_env(telegram.base_url, telegram.token, tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert str(database) in line and "restore it from a backup" in line and "move it aside" in line
    assert database.read_bytes() == garbage
    assert os.listdir(tmp_path) == ["bot.sqlite3"]  # no -wal or -shm beside it
    assert telegram.calls == []  # found before the first call to Telegram


async def test_local_problems_are_reported_in_order_before_telegram_is_called(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    missing_weights = {"NST_VGG19_WEIGHTS": str(tmp_path / "missing.h5")}
    env = bot_env(telegram.base_url, telegram.token, not_a_folder, **missing_weights)
    done = await run_bot(env)
    assert done.returncode == 2
    assert done.stderr.startswith(f"NST_DATA_DIR {not_a_folder} is not a writable folder")

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bot.sqlite3").write_bytes(b"not a database")
    done = await run_bot(bot_env(telegram.base_url, telegram.token, tmp_path / "data"))
    assert done.returncode == 2 and "cannot be used" in done.stderr  # the database before weights
    assert telegram.calls == []


async def test_a_busy_webhook_port_is_one_line_before_telegram_is_called(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        webhook = {
            "NST_WEBHOOK_URL": f"https://bot.example.org:{port}/hook",
            "NST_WEBHOOK_LISTEN": "127.0.0.1",
            "NST_WEBHOOK_PORT": str(port),
        }
        done = await run_bot(bot_env(telegram.base_url, telegram.token, tmp_path, **webhook))
    assert done.returncode == 2
    assert done.stderr == (
        f"NST_WEBHOOK_PORT {port} on 127.0.0.1 cannot be listened on (Address already in use): "
        "choose a free port, or stop what uses it\n"
    )
    assert telegram.calls == []


async def test_the_bot_waits_for_an_unreachable_telegram_then_answers(
    tmp_path: Path, presets_dir: Path, vgg_weights: Path, fast_models_dir: Path
) -> None:
    port = free_port()
    fake = FakeTelegram(port=port)
    data_dir = tmp_path / "data"
    env = bot_env(
        f"http://127.0.0.1:{port}/bot",
        fake.token,
        data_dir,
        NST_PRESETS_DIR=str(presets_dir),
        NST_VGG19_WEIGHTS=str(vgg_weights),
        NST_FAST_MODELS_DIR=str(fast_models_dir),
    )
    log = tmp_path / "bot.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=output, stderr=output
        )
    try:
        await wait_until(
            lambda: log.read_text().count("trying again in") >= 2, 60, "two retries logged"
        )
        unhealthy = await run_bot(env, "health")
        assert unhealthy.returncode == 1
        assert unhealthy.stderr.startswith("unhealthy: Telegram unreachable")

        async with fake:  # Telegram comes back, on the address the bot keeps trying
            user = fake.user()
            await fake.wait_for_poll(within=PROCESS_START_S)
            await user.send_message("/start")
            await user.wait_for("sendMessage")
            heartbeat = data_dir / "heartbeat"  # written by the bot's next beat, which is its first
            await wait_until(lambda: health(heartbeat, 3 * HEARTBEAT_S) is None, 60, "healthy")
            assert (await run_bot(env, "health")).returncode == 0
    finally:
        process.kill()
        await process.wait()
    text = log.read_text()
    warnings = [line for line in text.splitlines() if "trying again in" in line]
    assert all("WARNING" in line and "Telegram unreachable" in line for line in warnings)
    assert "Traceback" not in text
    assert fake.token not in text


async def test_polling_failures_later_are_one_warning_each_and_unhealthy_until_back(
    start_bot, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    fake = await FakeTelegram(port=port).__aenter__()
    # start_bot's own fake stays idle; this bot talks to the one on the fixed port.
    overrides = {"base_url": fake.base_url, "base_file_url": fake.base_file_url}
    async with start_bot(**overrides) as bot:
        link: TelegramLink = bot.application.link
        assert health(bot.config.heartbeat_path, 60) is None
        caplog.set_level(logging.WARNING, logger="bot.connection")
        await fake.__aexit__(None, None, None)  # Telegram goes away
        await wait_until(
            lambda: any("polling again within" in r.message for r in caplog.records),
            30,
            "a polling failure logged",
        )
        assert all(r.exc_info is None for r in caplog.records)
        await link.check(bot.application.bot)
        problem = health(bot.config.heartbeat_path, 60)
        assert problem is not None and problem.startswith("Telegram unreachable")

        async with FakeTelegram(port=port) as back:  # and comes back
            await back.wait_for_poll(within=60)
            await link.check(bot.application.bot)
            assert health(bot.config.heartbeat_path, 60) is None


async def test_a_backup_taken_while_a_job_runs_holds_the_job(
    bot_app: RunningBot,
    telegram: FakeTelegram,
    user: FakeUser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    telegram.hold("getFile")  # the job stays running, downloading, while the copy is taken
    await user.send_photo(jpeg(120, 90, (200, 40, 40)))
    await user.send_photo(jpeg(80, 80, (30, 60, 200)))
    await user.wait_for("editMessageText", text=t("en", "job_starting"))
    monkeypatch.setenv("NST_DATA_DIR", str(bot_app.config.data_dir))
    copy = tmp_path / "copy.sqlite3"
    assert await asyncio.to_thread(cli.main, ["backup", str(copy)]) == 0

    store = await Store.open(copy)
    job = await store.last_job(user.id)
    await store.close()
    assert job is not None and job.status is JobStatus.RUNNING
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_backup_of_a_missing_database_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path))
    assert cli.main(["backup", str(tmp_path / "copy.sqlite3")]) == 2
    assert f"there is no database at {tmp_path / 'bot.sqlite3'}" in capsys.readouterr().err
    assert not (tmp_path / "copy.sqlite3").exists()


def test_redaction_covers_exception_text_and_stack() -> None:
    token = "123:SECRET"
    formatter = RedactingFormatter(logging.Formatter("%(message)s"), [token])
    try:
        raise RuntimeError(f"The token `{token}` was rejected")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "GET %s", (f"/bot{token}/getMe",), sys.exc_info()
        )
    record.stack_info = f"stack mentioning {token}"
    text = formatter.format(record)
    assert token not in text
    assert text.count("<token>") == 3


def test_an_uncaught_exception_never_prints_the_token() -> None:
    code = (
        "from bot.logs import configure_logging; configure_logging('1:SECRET'); "
        "raise RuntimeError('token 1:SECRET rejected')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "RuntimeError: token <token> rejected" in done.stderr
    assert "SECRET" not in done.stderr
