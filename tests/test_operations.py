"""What an operator watches: the Prometheus endpoint and the log, around a real job."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import app as bot_app_module
from bot.logs import log_formatter, quiet_noisy_loggers
from tests.botfixtures import StartBot
from tests.fakebot import FakeTelegram, FakeUser, jpeg
from tests.test_startup import free_port

Sample = tuple[str, tuple[tuple[str, str], ...]]


async def scrape(port: int) -> dict[Sample, float]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as reply,
    ):
        assert reply.status == 200
        text = await reply.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def moved(
    before: dict[Sample, float], after: dict[Sample, float], name: str, **labels: str
) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_metrics_move_by_what_a_scripted_job_did(
    start_bot: StartBot, telegram: FakeTelegram, user: FakeUser
) -> None:
    port = free_port()
    async with start_bot(metrics_port=port):
        before = await scrape(port)
        telegram.fail("sendMessage", status=429, retry_after=1)  # flood control once
        await user.send_message("/start")
        await user.wait_for("sendMessage")
        await user.send_photo(jpeg(32, 32, (0, 0, 0)))  # too small: refused
        await user.wait_for("sendMessage")
        await user.send_photo(jpeg(120, 90, (200, 40, 40)))
        await user.send_photo(jpeg(80, 80, (30, 60, 200)))
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)
        after = await scrape(port)

    standard = {"quality": "standard"}
    assert moved(before, after, "nst_jobs_queued_total", **standard) == 1
    assert moved(before, after, "nst_jobs_finished_total", outcome="done", **standard) == 1
    assert moved(before, after, "nst_jobs_finished_total", outcome="failed", **standard) == 0
    assert moved(before, after, "nst_job_wait_seconds_count", **standard) == 1
    assert moved(before, after, "nst_job_run_seconds_count", **standard) == 1
    assert moved(before, after, "nst_job_run_seconds_sum", **standard) > 0
    assert moved(before, after, "nst_preview_seconds_count") == 1
    assert moved(before, after, "nst_downloads_refused_total", reason="too_small") == 1
    flood = {"method": "sendMessage", "kind": "flood"}
    assert moved(before, after, "nst_telegram_errors_total", **flood) == 1
    assert after[("nst_queue_length", ())] == 0
    assert after[("nst_jobs_running", ())] == 0
    assert after[("nst_engines_online", ())] == 1
    labels = {value for _, pairs in after for _, value in pairs}
    assert str(user.id) not in labels  # no user ids in labels


@pytest.fixture
def quiet_loggers() -> Iterator[None]:
    """The bot's logger levels (as `nst-bot` sets them) for one test, restored afterwards."""
    names = ("httpx", "apscheduler", "tensorflow", "absl")
    levels = {name: logging.getLogger(name).level for name in names}
    quiet_noisy_loggers()
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def test_a_jobs_log_lines_say_what_happened_without_token_or_image_bytes(
    start_bot: StartBot,
    telegram: FakeTelegram,
    user: FakeUser,
    caplog: pytest.LogCaptureFixture,
    quiet_loggers: None,
) -> None:
    caplog.set_level(logging.DEBUG)
    content, style = jpeg(120, 90, (200, 40, 40)), jpeg(80, 80, (30, 60, 200))
    async with start_bot():
        await user.send_photo(content)
        await user.send_photo(style)
        await user.wait_for("editMessageText", text=lambda s: s.startswith("✅"), within=60)
    # What the bot's own log handler writes, down to DEBUG (the fake server's log left out).
    formatter = log_formatter(telegram.token, "json")
    bot_records = [r for r in caplog.records if not r.name.startswith("aiohttp")]
    text = "\n".join(formatter.format(r) for r in bot_records)
    jobs = [r.getMessage() for r in bot_records if r.name == "bot.jobs"]
    assert [m.split(" ")[2] for m in jobs if m.startswith("job 1 ")] == [
        "queued",
        "started",
        "done",
    ]
    assert telegram.token not in text
    for image in (content, style):
        assert image[:64].decode("latin-1") not in text and repr(image[:16])[2:-1] not in text


async def test_an_idle_bot_writes_nothing_at_info(
    start_bot: StartBot,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    quiet_loggers: None,
) -> None:
    # Heartbeats every 50 ms instead of 30 s: a minute's worth of idling in a moment.
    monkeypatch.setattr(bot_app_module, "HEARTBEAT_S", 0.05)
    async with start_bot():
        caplog.set_level(logging.INFO)
        caplog.clear()
        started = telegram.mark()
        await telegram.wait_for("getMe", after=started, nth=4)  # four heartbeats ran
        idle = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
        assert idle == []


def test_json_log_lines_are_objects_without_the_token() -> None:
    token = "123:SECRET"
    try:
        raise RuntimeError(f"rejected {token}")
    except RuntimeError:
        record = logging.LogRecord(
            "bot.jobs", logging.ERROR, __file__, 1, "job %s failed", (7,), sys.exc_info()
        )
    line = log_formatter(token, "json").format(record)
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "bot.jobs",
        "job 7 failed",
    )
    assert "RuntimeError: rejected <token>" in entry["exception"]
    assert "\n" not in line and "SECRET" not in line
