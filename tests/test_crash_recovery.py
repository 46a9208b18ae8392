"""kill -9 the bot process and start it again on the same data folder: nothing is lost or doubled.

The bot runs as `python -m bot`, a real separate process, exactly as deployed; the fake Bot API
runs in the test. Each scenario kills the process at a moment the test can see from outside (a
call the bot made, a state in the database file), then restarts it and counts what the user got.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest

from bot.jobs.store import Store
from bot.models import Delivery, UserSettings
from bot.texts import t
from tests.botfixtures import TINY_SIDES_ENV
from tests.conftest import PROCESS_START_S, REPO_ROOT
from tests.fakebot import Call, FakeTelegram, FakeUser, jpeg
from tests.holds import JobHold

Launch = Callable[[], AbstractAsyncContextManager[asyncio.subprocess.Process]]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def launch(
    telegram: FakeTelegram,
    data_dir: Path,
    presets_dir: Path,
    vgg_weights: Path,
    fast_models_dir: Path,
    tmp_path: Path,
    job_hold: JobHold,
) -> Launch:
    """`async with launch() as process:` runs the bot until it is polling, and kills it after.
    Its jobs are held while `job_hold` is closed (tests/holds.py)."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "TELEGRAM_BASE_FILE_URL": telegram.base_file_url,
        "NST_DATA_DIR": str(data_dir),
        "NST_PRESETS_DIR": str(presets_dir),
        "NST_VGG19_WEIGHTS": str(vgg_weights),
        "NST_FAST_MODELS_DIR": str(fast_models_dir),
        **TINY_SIDES_ENV,
        "NST_TEST_HOLD": str(job_hold.folder),
    }
    starts = iter(range(1, 10))

    @asynccontextmanager
    async def start() -> AsyncIterator[asyncio.subprocess.Process]:
        log = tmp_path / f"bot-{next(starts)}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=output, stderr=output
            )
        try:
            await telegram.wait_for_poll(within=PROCESS_START_S)
            yield process
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
            assert telegram.token not in log.read_text(errors="replace")

    return start


def results(telegram: FakeTelegram, user: FakeUser) -> list[Call]:
    return [
        c
        for c in telegram.calls
        if c.method in ("sendPhoto", "sendDocument")
        and c.ok
        and c.params.get("chat_id") == user.id
        and "🖼" in c.params.get("caption", "🖼")  # the result photo and its file, no preview
    ]


def prints(telegram: FakeTelegram, user: FakeUser) -> list[Call]:
    """The print files sent to this user."""
    return [
        c
        for c in telegram.calls
        if c.method == "sendDocument"
        and c.ok
        and c.params.get("chat_id") == user.id
        and c.params.get("caption", "").startswith("🖨")
    ]


async def without_preview(database: Path, user: FakeUser) -> None:
    store = await Store.open(database)
    await store.save_settings(user.id, UserSettings(preview=False))
    await store.close()


def delivery_state(database: Path, job_id: int) -> str | None:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT delivery FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return row[0] if row else None


async def test_killed_mid_job_the_job_runs_again_and_is_delivered_once(
    launch: Launch, telegram: FakeTelegram, user: FakeUser, data_dir: Path, job_hold: JobHold
) -> None:
    job_hold.close()
    async with launch() as process:
        await user.send_photo(jpeg(120, 90, (200, 40, 40)))
        await user.send_photo(jpeg(80, 80, (30, 60, 200)))
        await user.wait_for("sendPhoto", within=60)  # the preview, sent before the main run
        await job_hold.until_held()  # the main run has made its first step: mid-run
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert results(telegram, user) == []
    job_hold.open()

    restarted = time.monotonic()
    async with launch():
        done = await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=120)
    recovery_s = time.monotonic() - restarted

    assert len([c for c in results(telegram, user) if c.method == "sendPhoto"]) == 1
    previews = [
        c for c in telegram.calls if c.method == "sendPhoto" and "⚡" in c.params["caption"]
    ]
    assert len(previews) == 1  # not sent again after the restart
    assert len([c for c in results(telegram, user) if c.method == "sendDocument"]) == 1
    store = await Store.open(data_dir / "bot.sqlite3")
    job = await store.last_job(user.id)
    await store.close()
    assert job and job.attempts == 2 and job.delivery is Delivery.SENT
    assert done.params["message_id"] == job.status_message_id  # the same message, edited on
    assert not any((data_dir / "jobs").iterdir())
    print(f"restart to delivered result: {recovery_s:.1f} s")


async def test_killed_before_the_result_went_out_it_is_delivered_after_restart(
    launch: Launch, telegram: FakeTelegram, user: FakeUser, data_dir: Path
) -> None:
    database = data_dir / "bot.sqlite3"
    await without_preview(database, user)

    async with launch() as process:
        telegram.fail("sendPhoto", status=502)  # Telegram hiccups: the result waits for a retry
        await user.send_photo(jpeg(120, 90, (200, 40, 40)))
        await user.send_photo(jpeg(80, 80, (30, 60, 200)))
        # Said once the result is recorded as still to be sent.
        await user.wait_for("editMessageText", text=t("en", "job_delivery_retry"), within=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert results(telegram, user) == []

    async with launch():
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=120)
    assert [c.method for c in results(telegram, user)] == ["sendPhoto", "sendDocument"]
    assert delivery_state(database, 1) == "sent"
    assert not any((data_dir / "jobs").iterdir())


async def test_killed_mid_print_the_print_runs_again_and_is_sent_once(
    launch: Launch, telegram: FakeTelegram, user: FakeUser, data_dir: Path, job_hold: JobHold
) -> None:
    database = data_dir / "bot.sqlite3"
    await without_preview(database, user)

    async with launch() as process:
        await user.send_photo(jpeg(120, 90, (200, 40, 40)))
        await user.send_photo(jpeg(80, 80, (30, 60, 200)))
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=120)
        job_hold.close()
        await user.press("print:1")
        offer = await user.wait_for("sendMessage", text=t("en", "print_offer"))
        await user.press("print:1:128", message=offer.result)
        await job_hold.until_held()  # the print has made its first step: mid-run
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert prints(telegram, user) == []
    job_hold.open()

    async with launch():
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=120)
    assert len(prints(telegram, user)) == 1
    store = await Store.open(database)
    job = await store.get_job(2)
    await store.close()
    assert job and job.request.extras.print_size and job.request.extras.print_size.side == 128
    assert job.attempts == 2 and job.delivery is Delivery.SENT
    assert not any((data_dir / "jobs").iterdir())
