"""A database written by the bot before bot/ was split into its two sides still opens and runs.

tests/fixtures/database_v3.sqlite was made by tests/fixtures/make_database_v3.py with the code of
commit bbe665a (the store still one module, the worker one class): a user with settings of their
own, a photo waiting for its painting, and a queued job nobody announced yet. Today's store must
read all three, and today's bot must run that job through to a delivered painting.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.jobs.store import SCHEMA_VERSION, Store
from bot.models import Conversation, Delivery, JobStatus, Waiting
from tests.botfixtures import StartBot
from tests.fakebot import FakeTelegram, jpeg
from tests.fixtures.make_database_v3 import (
    DATABASE,
    JOB_CONTENT,
    JOB_STYLE,
    MOMENT,
    PENDING,
    SETTINGS,
    USER_ID,
)


def _copy_fixture(data_dir: Path) -> Path:
    """The fixture is copied, never opened in place: opening it migrates and writes it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "bot.sqlite3"
    shutil.copyfile(DATABASE, target)
    return target


def test_the_fixture_is_a_version_3_database() -> None:
    """Read without the store, so nothing migrates it; a newer schema gets a fixture of its own."""
    with closing(sqlite3.connect(f"file:{DATABASE}?mode=ro&immutable=1", uri=True)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    assert SCHEMA_VERSION >= 3


async def test_todays_store_reads_the_old_database(tmp_path: Path) -> None:
    store = await Store.open(_copy_fixture(tmp_path / "data"))
    try:
        assert await store.get_settings(USER_ID) == SETTINGS
        # The v4 migration made the waiting photo the person's conversation in their chat.
        waiting = await store.conversation(USER_ID, USER_ID)
        assert waiting == Conversation(Waiting.PHOTO, content=PENDING, set_at=MOMENT)
        [job] = await store.active_jobs(USER_ID)
        assert job.status is JobStatus.QUEUED
        assert (job.request.content, job.request.style) == (JOB_CONTENT, JOB_STYLE)
        assert job.request.settings == SETTINGS and job.request.language == "en"
    finally:
        await store.close()


async def test_its_queued_job_runs_through_to_delivery(
    start_bot: StartBot, telegram: FakeTelegram, tmp_path: Path
) -> None:
    database = _copy_fixture(tmp_path / "data")  # where start_bot keeps its data
    person = telegram.user(user_id=USER_ID)
    telegram.keep_file(JOB_CONTENT.file_id, JOB_CONTENT.file_unique_id, jpeg(120, 90))
    telegram.keep_file(JOB_STYLE.file_id, JOB_STYLE.file_unique_id, jpeg(80, 80, (30, 60, 200)))

    # The fixture's moments are from 2025: a long retention keeps its pending photo.
    async with start_bot(retention_days=100_000):
        done = await person.wait_for(
            "editMessageText", text=lambda s: s.startswith("✅"), within=60
        )
        photo = await person.wait_for("sendPhoto", within=60)
        await person.wait_for("sendDocument", within=60)

    assert photo.upload() is not None
    store = await Store.open(database)
    try:
        job = await store.get_job(1)
        assert job is not None and job.status is JobStatus.DONE
        assert job.delivery is Delivery.SENT and job.attempts == 1
        assert done.params["message_id"] == job.status_message_id
        waiting = await store.conversation(USER_ID, USER_ID)  # still waiting, untouched
        assert (waiting.waiting, waiting.content) == (Waiting.PHOTO, PENDING)
        assert await store.get_settings(USER_ID) == SETTINGS
    finally:
        await store.close()
    assert not any((tmp_path / "data" / "jobs").iterdir())
