"""The store on real SQLite files: migrations, limits checked atomically, the queue, recovery."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from pathlib import Path

import aiosqlite
import pytest

from bot.jobs.store import (
    DAY_S,
    SCHEMA_VERSION,
    ActiveJobExists,
    DailyQuotaExceeded,
    QueueFull,
    Store,
    StoreError,
    migrate_to,
)
from bot.models import (
    Conversation,
    Delivery,
    FileRef,
    JobRequest,
    JobStatus,
    Lane,
    PersonMode,
    PrintSize,
    Quality,
    RequestExtras,
    UserSettings,
    Waiting,
)

LIMITS = {"queue_limit": 50, "daily_limit": 0, "jobs_per_person": 1}
REGULAR, PRINT = Lane.REGULAR, Lane.PRINT
PAINTING = FileRef("painting", "u-painting", 999)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def request(user_id: int, *, preset: str | None = "starry", quality=Quality.STANDARD):
    return JobRequest(
        user_id=user_id,
        chat_id=user_id,
        content=FileRef(f"content-{user_id}", f"u-content-{user_id}", 1234),
        style=None if preset else FileRef(f"style-{user_id}", f"u-style-{user_id}"),
        preset_id=preset,
        settings=UserSettings(quality=quality),
        language="ru",
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path, clock: Clock):
    opened = await Store.open(tmp_path / "data" / "bot.sqlite3", clock=clock)
    yield opened
    await opened.close()


async def queued(store: Store, user_id: int, **limits: int):
    job = await store.create_job(request(user_id), **{**LIMITS, **limits})
    await store.mark_announced(job.id, 100 + job.id)
    return job


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as db:
        return db.execute(f"PRAGMA {name}").fetchone()[0]


async def test_a_new_file_gets_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "bot.sqlite3"
    store = await Store.open(path)
    await store.close()
    assert pragma(path, "user_version") == SCHEMA_VERSION == 7
    assert pragma(path, "journal_mode") == "wal"
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_xinfo(jobs)")}
        indexes = {row[1] for row in db.execute("PRAGMA index_list(jobs)")}
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"delivery", "status_shown", "lane"} <= columns and "delivered" not in columns
    assert {"jobs_by_status", "jobs_by_user", "jobs_by_lane"} <= indexes
    assert "run_times" in tables


async def test_v1_database_migrates_keeping_its_rows_and_delivery_state(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate_to(db, 1)
        await db.execute(
            "INSERT INTO users (user_id, settings, created_at, updated_at) VALUES (7, ?, 0, 0)",
            ('{"quality": "high"}',),
        )
        for status, delivered, result in (
            ("done", 1, None),
            ("done", 0, "/data/jobs/2/result.png"),
            ("queued", 0, None),
        ):
            await db.execute(
                """
                INSERT INTO jobs (user_id, chat_id, status, language, settings,
                    content_file_id, content_unique_id, preset_id, delivered, result_path,
                    announced, created_at)
                VALUES (7, 7, ?, 'en', '{}', 'c', 'uc', 'starry', ?, ?, 1, 0)
                """,
                (status, delivered, result),
            )
    assert pragma(path, "user_version") == 1

    store = await Store.open(path)
    try:
        assert pragma(path, "user_version") == SCHEMA_VERSION
        assert (await store.get_settings(7)).quality is Quality.HIGH
        jobs = [await store.get_job(job_id) for job_id in (1, 2, 3)]
        assert [job.delivery for job in jobs if job] == [
            Delivery.SENT,
            Delivery.READY,
            Delivery.NONE,
        ]
        assert jobs[0] and jobs[0].delivery is Delivery.SENT
        assert (await store.recover(max_attempts=3)).undelivered[0].id == 2
        claimed = await store.claim_next(REGULAR)
        assert claimed and claimed.id == 3
    finally:
        await store.close()


async def test_a_database_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        await Store.open(path)


async def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate_to(db, 1)
        await db.execute("CREATE INDEX jobs_by_user ON jobs(user_id)")  # v2 will collide
    with pytest.raises(StoreError, match="jobs_by_user already exists"):
        await Store.open(path)
    assert pragma(path, "user_version") == 1
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    assert "delivered" in columns and "delivery" not in columns


async def test_settings_default_then_round_trip(store: Store) -> None:
    assert await store.get_settings(1) == UserSettings()
    chosen = UserSettings(
        quality=Quality.HIGH, preserve_colors=True, language="ru", person=PersonMode.BACKGROUND
    )
    await store.save_settings(1, chosen)
    await store.save_settings(2, UserSettings())
    assert await store.get_settings(1) == chosen
    assert await store.get_settings(2) == UserSettings()


async def test_a_conversation_is_one_record_per_person_and_chat(store: Store, clock: Clock) -> None:
    photo = Conversation(Waiting.PHOTO, content=FileRef("a", "ua", 10))
    mix = Conversation(Waiting.MIX, mix_base=(await queued(store, 1)).id)
    assert await store.set_conversation(1, 1, photo) == Conversation()
    clock.now += 5
    assert (await store.set_conversation(1, 1, mix)).content == photo.content
    await store.set_conversation(1, -100, Conversation(Waiting.PRESET, preset_id="udnie"))
    now = await store.conversation(1, 1)
    assert (now.waiting, now.mix_base, now.set_at) == (Waiting.MIX, mix.mix_base, clock.now)
    assert (await store.conversation(1, -100)).preset_id == "udnie"  # another chat, its own

    assert (await store.clear_conversation(1, 1)).waiting is Waiting.MIX
    assert await store.conversation(1, 1) == Conversation()
    assert (await store.conversation(1, -100)).waiting is Waiting.PRESET


async def test_a_record_holds_only_what_its_state_waits_for() -> None:
    with pytest.raises(ValueError, match="waiting for clip"):
        Conversation(Waiting.CLIP)
    with pytest.raises(ValueError, match="waiting for preset"):
        Conversation(Waiting.PRESET, preset_id="udnie", mix_base=3)


async def test_a_job_ends_the_wait_in_its_own_chat(store: Store) -> None:
    photo = Conversation(Waiting.PHOTO, content=FileRef("a", "ua", 10))
    await store.set_conversation(1, 1, photo)
    await store.set_conversation(1, -100, photo)
    await queued(store, 1)  # asked in the private chat
    assert await store.conversation(1, 1) == Conversation()
    assert (await store.conversation(1, -100)).waiting is Waiting.PHOTO


async def test_a_mix_waits_only_as_long_as_its_job_is_kept(store: Store, clock: Clock) -> None:
    base = await queued(store, 1)
    await store.claim_next(REGULAR)
    await store.finish(base.id, JobStatus.DONE)
    await store.set_conversation(2, 2, Conversation(Waiting.MIX, mix_base=base.id))
    clock.now += 7 * DAY_S + 1
    await store.purge(retention_days=7)  # the job goes, and with it what waited on it
    assert await store.conversation(2, 2) == Conversation()


async def test_painting_in_a_group_is_on_until_its_admins_turn_it_off(store: Store) -> None:
    assert await store.painting_on(-100)
    await store.set_painting(-100, False)
    assert not await store.painting_on(-100) and await store.painting_on(-200)
    await store.set_painting(-100, True)
    assert await store.painting_on(-100)


async def test_v6_database_puts_its_queued_print_in_the_print_lane(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        for number in range(1, 7):
            await migrate_to(db, number)
        await db.execute("INSERT INTO users (user_id, created_at, updated_at) VALUES (7, 0, 0)")
        for settings in ('{"quality": "standard"}', '{"print": {"side": 2048}}'):
            await db.execute(
                """
                INSERT INTO jobs (user_id, chat_id, status, language, settings,
                    content_file_id, content_unique_id, preset_id, announced, created_at)
                VALUES (7, 7, 'queued', 'en', ?, 'c', 'uc', 'starry', 1, 0)
                """,
                (settings,),
            )
    store = await Store.open(path)
    try:
        assert [job.id for job in await store.line(PRINT)] == [2]
        assert [job.id for job in await store.line(REGULAR)] == [1]
    finally:
        await store.close()


async def test_a_second_job_is_refused_while_one_is_active(store: Store) -> None:
    job = await queued(store, 1)
    with pytest.raises(ActiveJobExists) as refused:
        await store.create_job(request(1), **LIMITS)
    assert refused.value.job.id == job.id
    claimed = await store.claim_next(REGULAR)
    assert claimed and claimed.id == job.id
    with pytest.raises(ActiveJobExists):
        await store.create_job(request(1), **LIMITS)
    await store.finish(job.id, JobStatus.DONE)
    assert (await store.create_job(request(1), **LIMITS)).id > job.id


async def test_simultaneous_requests_of_one_user_make_as_many_jobs_as_allowed(
    store: Store,
) -> None:
    limits = {**LIMITS, "jobs_per_person": 3}
    outcomes = await asyncio.gather(
        *(store.create_job(request(1), **limits) for _ in range(10)), return_exceptions=True
    )
    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 3
    assert all(isinstance(o, ActiveJobExists) for o in outcomes if isinstance(o, Exception))
    assert len(await store.active_jobs(1)) == 3


async def test_queue_cap_refuses(store: Store) -> None:
    for user in range(3):
        await queued(store, user, queue_limit=3)
    with pytest.raises(QueueFull) as refused:
        await store.create_job(request(99), **{**LIMITS, "queue_limit": 3})
    assert refused.value.queue_length == 3
    # A running job leaves the queue, so its place is free again.
    await store.claim_next(REGULAR)
    await store.create_job(request(99), **{**LIMITS, "queue_limit": 3})


async def test_daily_quota_counts_24_hours_except_our_failures(store: Store, clock: Clock) -> None:
    limits = {"daily_limit": 2}
    first = await queued(store, 1, **limits)
    await store.claim_next(REGULAR)
    await store.finish(first.id, JobStatus.DONE)
    clock.now += 3600
    failed = await queued(store, 1, **limits)
    await store.claim_next(REGULAR)
    await store.finish(failed.id, JobStatus.FAILED, error="boom")  # our fault: not counted
    unstarted = await queued(store, 1, **limits)
    await store.cancel_queued(unstarted.id)  # never ran: not counted
    second = await queued(store, 1, **limits)
    await store.claim_next(REGULAR)
    await store.finish(second.id, JobStatus.CANCELLED)  # ran, then cancelled: counted

    with pytest.raises(DailyQuotaExceeded) as refused:
        await store.create_job(request(1), **{**LIMITS, **limits})
    assert refused.value.limit == 2
    assert refused.value.retry_after_s == pytest.approx(DAY_S - 3600)
    await queued(store, 2, **limits)  # other users are not affected

    clock.now += DAY_S - 3600 + 1  # the first job leaves the window
    await queued(store, 1, **limits)


async def test_queue_is_fifo_and_waits_for_the_announcement(store: Store) -> None:
    unannounced = await store.create_job(request(1), **LIMITS)
    later = [await queued(store, user) for user in (2, 3)]
    assert [await store.queue_position(job.id) for job in (unannounced, *later)] == [1, 2, 3]

    claimed = await store.claim_next(REGULAR)
    assert claimed and claimed.id == later[0].id and claimed.attempts == 1
    assert claimed.status is JobStatus.RUNNING and claimed.request == request(2)
    assert await store.queue_position(claimed.id) == 0
    assert await store.queue_position(later[1].id) == 2

    await store.mark_announced(unannounced.id, 555)
    claimed = await store.claim_next(REGULAR)
    assert claimed and claimed.id == unannounced.id and claimed.status_message_id == 555
    assert await store.queue_counts() == (1, 2)


async def test_cancel_only_touches_a_queued_job(store: Store) -> None:
    running, waiting = await queued(store, 1), await queued(store, 2)
    await store.claim_next(REGULAR)
    assert await store.cancel_queued(running.id) is None
    cancelled = await store.cancel_queued(waiting.id)
    assert cancelled and cancelled.status is JobStatus.CANCELLED
    assert await store.active_jobs(2) == []
    assert await store.claim_next(REGULAR) is None


async def test_recovery_requeues_fails_and_finds_undelivered_results(store: Store) -> None:
    worn_out, interrupted, ready, sending = [await queued(store, user) for user in range(1, 5)]
    for _ in range(2):  # worn_out: interrupted twice already
        await store.claim_next(REGULAR)
        await store.requeue(worn_out.id, refund_attempt=False)
    for _job in (worn_out, interrupted, ready, sending):
        assert await store.claim_next(REGULAR)
    await store.finish(ready.id, JobStatus.DONE, result_path=Path("/r/ready.png"))
    await store.finish(sending.id, JobStatus.DONE, result_path=Path("/r/sending.png"))
    await store.set_delivery(sending.id, Delivery.SENDING)

    recovery = await store.recover(max_attempts=3)

    assert [job.id for job in recovery.failed] == [worn_out.id]
    assert recovery.requeued == 1
    assert recovery.failed[0].status is JobStatus.FAILED and recovery.failed[0].attempts == 3
    assert [job.id for job in recovery.undelivered] == [ready.id]
    assert recovery.undelivered[0].result_path == "/r/ready.png"
    assert [job.id for job in recovery.uncertain] == [sending.id]
    assert (await store.get_job(sending.id)).delivery is Delivery.SENT  # type: ignore[union-attr]
    requeued = await store.claim_next(REGULAR)
    assert requeued and requeued.id == interrupted.id and requeued.attempts == 2
    assert await store.jobs_with_files() == {ready.id}


async def test_shutdown_requeue_refunds_the_attempt(store: Store) -> None:
    job = await queued(store, 1)
    await store.claim_next(REGULAR)
    assert await store.requeue(job.id, refund_attempt=True)
    again = await store.claim_next(REGULAR)
    assert again and again.id == job.id and again.attempts == 1


async def test_forget_deletes_everything_and_stops_progress(store: Store) -> None:
    await store.save_settings(1, UserSettings(quality=Quality.HIGH))
    job = await queued(store, 1)
    await store.claim_next(REGULAR)
    await store.set_conversation(1, 1, Conversation(Waiting.PHOTO, content=FileRef("x", "ux")))
    await queued(store, 2)
    assert await store.set_progress(job.id, 0.5)

    await store.forget_user(1)

    assert await store.get_settings(1) == UserSettings()
    assert await store.conversation(1, 1) == Conversation()
    assert await store.get_job(job.id) is None and await store.last_job(1) is None
    assert await store.set_progress(job.id, 0.6) is False
    assert await store.finish(job.id, JobStatus.DONE) is None
    assert len(await store.active_jobs(2)) == 1


async def test_delivery_sent_forgets_the_result_path_and_keeps_the_sent_file(
    store: Store,
) -> None:
    job = await queued(store, 1)
    await store.claim_next(REGULAR)
    done = await store.finish(job.id, JobStatus.DONE, result_path=Path("/r/x.png"))
    assert done and done.delivery is Delivery.READY and done.progress == 1 and not done.sent_result
    await store.set_delivery(job.id, Delivery.SENDING)
    kept = FileRef("sent-file", "u-sent-file", 4321)
    await store.set_delivery(job.id, Delivery.SENT, kept)
    sent = await store.get_job(job.id)
    assert (
        sent
        and sent.delivery is Delivery.SENT
        and sent.result_path is None
        and sent.sent_result == kept
    )


async def test_a_print_keeps_its_side_and_painting_and_waits_in_its_own_lane(
    store: Store,
) -> None:
    """A print waits in the print lane: it is never claimed for a regular slot, nor a regular
    job for a print's, and each lane counts its own places."""
    printing = await store.create_job(
        replace(request(1), extras=RequestExtras(print_size=PrintSize(2048, PAINTING))), **LIMITS
    )
    await store.mark_announced(printing.id, None)
    painting = await queued(store, 2)
    assert printing.request.lane is PRINT and painting.request.lane is REGULAR
    assert await store.queue_position(printing.id) == await store.queue_position(painting.id) == 1
    claimed = await store.claim_next(REGULAR)
    assert claimed and claimed.id == painting.id
    assert await store.claim_next(REGULAR) is None
    claimed = await store.claim_next(PRINT)
    assert claimed and claimed.id == printing.id
    assert claimed.request.extras.print_size == PrintSize(2048, PAINTING)
    assert claimed.request.settings == UserSettings(quality=Quality.STANDARD)


async def test_within_a_lane_each_persons_first_job_comes_before_anyones_second(
    store: Store,
) -> None:
    limits = {"jobs_per_person": 3}
    anna = [await queued(store, 1, **limits) for _ in range(3)]
    boris = await queued(store, 2, **limits)
    claimed = await store.claim_next(REGULAR)
    assert claimed and claimed.id == anna[0].id
    vera = await queued(store, 3, **limits)  # arrives later, but it is her first
    assert [job.id for job in await store.line(REGULAR)] == [
        boris.id,
        vera.id,
        anna[1].id,
        anna[2].id,
    ]
    assert [await store.queue_position(job) for job in (boris.id, vera.id, anna[1].id)] == [1, 2, 3]
    claimed_ids = [(await store.claim_next(REGULAR)).id for _ in range(2)]  # type: ignore[union-attr]
    assert claimed_ids == [boris.id, vera.id]
    # Anna's first is still running: her second waits for nobody else's first now.
    again = await store.claim_next(REGULAR)
    assert again and again.id == anna[1].id


async def test_run_times_are_learned_by_kind_and_side(store: Store) -> None:
    assert await store.run_times() == {}
    await store.learn_run_time("standard", 512, 40.0)
    await store.learn_run_time("print", 4096, 160.0)
    assert await store.run_times() == {("standard", 512): 40.0, ("print", 4096): 160.0}
    await store.learn_run_time("standard", 512, 20.0)  # moves part of the way: recent weigh most
    learned = (await store.run_times())[("standard", 512)]
    assert 20.0 < learned < 40.0
    for _ in range(10):  # a machine that got faster: ten jobs later, that is what is promised
        await store.learn_run_time("standard", 512, 20.0)
    assert (await store.run_times())[("standard", 512)] == pytest.approx(20.0, rel=0.05)
    assert (await store.run_times())[("print", 4096)] == 160.0


async def test_purge_removes_old_finished_jobs_and_stale_photos(store: Store, clock: Clock) -> None:
    old = await queued(store, 1)
    await store.claim_next(REGULAR)
    await store.finish(old.id, JobStatus.DONE)
    await store.set_conversation(2, 2, Conversation(Waiting.PHOTO, content=FileRef("x", "ux")))
    clock.now += 7 * DAY_S + 1
    active = await queued(store, 3)
    recent = await queued(store, 4)
    await store.cancel_queued(recent.id)

    assert await store.purge(retention_days=7) == [old.id]
    assert await store.get_job(old.id) is None
    assert await store.conversation(2, 2) == Conversation()
    assert await store.get_job(active.id) and await store.get_job(recent.id)


async def test_stats(store: Store, clock: Clock) -> None:
    since = clock.now
    for user, run_s in ((1, 10.0), (2, 30.0)):
        job = await queued(store, user)
        clock.now += 5
        await store.claim_next(REGULAR)
        clock.now += run_s
        await store.finish(job.id, JobStatus.DONE)
    failed = await queued(store, 3)
    await store.claim_next(REGULAR)
    await store.finish(failed.id, JobStatus.FAILED, error="x")
    await queued(store, 4)

    stats = await store.stats(since)
    assert (stats.users, stats.jobs, stats.queue_length, stats.failures) == (4, 4, 1, 1)
    assert stats.avg_run_s == pytest.approx(20.0)
