"""A job row's settings JSON holds its request's extras (RequestExtras) beside the settings.

Rows written by today's bot must keep loading, and rows it writes must keep today's format (an
older bot reads them after a rollback, and the lane column reads "print" from them). A damaged
entry reads back as its default without spoiling the others; an unknown key is ignored.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.jobs.store import Store
from bot.models import (
    Brush,
    FileRef,
    Job,
    JobRequest,
    Lane,
    Mix,
    PrintSize,
    Quality,
    RequestExtras,
    Strength,
    UserSettings,
)

CONTENT = FileRef("c", "uc", 1)
STYLE = FileRef("style-2", "u-style-2", 321)
PAINTED = FileRef("painted", "u-painted", 4567)

# Each as the bot of commit 40a5575 wrote it (settings_to_json), with what it holds.
TODAYS_ROWS = {
    "a mix with a photo, in a group, without the PNG file": (
        '{"brush": "medium", "full_size": false, "language": null, "mix": {"preset_id": null, '
        '"share": 0.3, "style": {"file_id": "style-2", "file_size": 321, "file_unique_id": '
        '"u-style-2"}}, "person": "off", "preserve_colors": false, "preview": true, "quality": '
        '"high", "reply_to": 42, "seed": 7, "strength": "medium"}',
        UserSettings(quality=Quality.HIGH, seed=7),
        RequestExtras(mix=Mix(style=STYLE, share=0.3), reply_to=42, full_size=False),
    ),
    "a print of a mix with a preset": (
        '{"brush": "medium", "language": null, "mix": {"preset_id": "great_wave", "share": 0.7, '
        '"style": null}, "person": "off", "preserve_colors": false, "preview": true, "print": '
        '{"result": {"file_id": "painted", "file_size": 4567, "file_unique_id": "u-painted"}, '
        '"side": 4096}, "quality": "standard", "seed": 0, "strength": "medium"}',
        UserSettings(),
        RequestExtras(
            mix=Mix(preset_id="great_wave", share=0.7), print_size=PrintSize(4096, PAINTED)
        ),
    ),
    "a clip": (
        '{"animation": true, "brush": "medium", "language": null, "person": "off", '
        '"preserve_colors": false, "preview": true, "quality": "fast", "seed": 0, '
        '"strength": "medium"}',
        UserSettings(quality=Quality.FAST),
        RequestExtras(animation=True),
    ),
}


async def read_rows(path: Path, *settings: str) -> list[Job]:
    """Jobs inserted as raw rows with these settings texts, read back by the store."""
    await (await Store.open(path)).close()  # the schema
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO users (user_id, created_at, updated_at) VALUES (5, 0, 0)")
        db.executemany(
            """
            INSERT INTO jobs (user_id, chat_id, status, language, settings,
                content_file_id, content_unique_id, content_size, preset_id, announced, created_at)
            VALUES (5, -100, 'queued', 'en', ?, 'c', 'uc', 1, 'starry', 1, 0)
            """,
            [(text,) for text in settings],
        )
    store = await Store.open(path)
    try:
        jobs = [await store.get_job(job_id) for job_id in range(1, len(settings) + 1)]
    finally:
        await store.close()
    assert all(jobs)
    return [job for job in jobs if job]


@pytest.mark.parametrize("name", TODAYS_ROWS)
async def test_a_row_in_todays_format_reads_back_its_settings_and_extras(
    tmp_path: Path, name: str
) -> None:
    text, settings, extras = TODAYS_ROWS[name]
    [job] = await read_rows(tmp_path / "bot.sqlite3", text)
    assert job.request.settings == settings
    assert job.request.extras == extras
    assert job.request.lane is (Lane.PRINT if extras.print_size else Lane.REGULAR)


@pytest.mark.parametrize("name", TODAYS_ROWS)
async def test_a_new_job_is_stored_in_todays_format(tmp_path: Path, name: str) -> None:
    text, settings, extras = TODAYS_ROWS[name]
    request = JobRequest(5, -100, CONTENT, None, "starry", settings, "en", extras)
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        job = await store.create_job(request, queue_limit=50, daily_limit=0, jobs_per_person=1)
        assert job.request == request
        # The lane column reads the stored "print": the job waits where its extras say.
        assert [queued.id for queued in await store.line(request.lane)] == [job.id]
    finally:
        await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT settings FROM jobs").fetchone() == (text,)


DAMAGED_MIXES = (
    '"great_wave"',
    "null",
    '{"preset_id": "great_wave"}',  # no share
    '{"preset_id": "great_wave", "share": 1.5}',
    '{"preset_id": "great_wave", "share": "half"}',
    '{"preset_id": null, "style": null, "share": 0.5}',  # neither painting
    '{"preset_id": "great_wave", "style": {"file_id": "s", "file_unique_id": "u"}, "share": 0.5}',
    '{"style": {"file_id": "s"}, "share": 0.5}',  # a file without its unique id
    '{"style": "s", "share": 0.5}',
)


async def test_a_damaged_mix_and_unknown_keys_leave_the_rest_of_the_row(tmp_path: Path) -> None:
    rows = [
        f'{{"strength": "soft", "mix": {mix}, "reply_to": 42, "colour": "blue", "future": [1]}}'
        for mix in DAMAGED_MIXES
    ]
    jobs = await read_rows(tmp_path / "bot.sqlite3", *rows)
    for job in jobs:
        assert job.request.settings == UserSettings(strength=Strength.SOFT)
        assert job.request.extras == RequestExtras(reply_to=42)


async def test_every_damaged_entry_reads_as_its_default(tmp_path: Path) -> None:
    damaged = (
        '{"quality": "ultra", "strength": 3, "brush": "large", "seed": "x", "language": 1, '
        '"animation": "yes", "reply_to": "42", "full_size": 0, "mix": [], '
        '"print": {"side": "big", "result": {"file_id": "p", "file_unique_id": "u"}}}'
    )
    [job] = await read_rows(tmp_path / "bot.sqlite3", damaged)
    assert job.request.settings == UserSettings(brush=Brush.LARGE)
    assert job.request.extras == RequestExtras()
