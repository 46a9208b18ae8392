"""The entry point and the wiring: what an operator sees at start, and how updates are scheduled."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from telegram import Update

from bot import __main__ as cli
from bot.app import PerUserUpdates
from bot.config import HEARTBEAT_S, TOKEN_MISSING
from bot.presets import SHIPPED_MANIFEST, load_manifest
from nst_engine import faces
from tests.conftest import REPO_ROOT, packages_loaded_by
from tests.fakebot import FakeTelegram


def run_bot(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "NST_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_missing_token_is_one_line_and_exit_2() -> None:
    done = run_bot({})
    assert (done.returncode, done.stdout, done.stderr) == (2, "", TOKEN_MISSING + "\n")


def test_a_malformed_setting_is_one_line_and_exit_2() -> None:
    done = run_bot({"TELEGRAM_BOT_TOKEN": "1:x", "NST_CONCURRENT_JOBS": "many"})
    assert done.returncode == 2
    assert done.stderr == "NST_CONCURRENT_JOBS must be a whole number, not 'many'\n"


async def test_missing_weights_stop_the_start_with_one_line(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": telegram.token,
        "TELEGRAM_BASE_URL": telegram.base_url,
        "NST_DATA_DIR": str(tmp_path),
        "NST_VGG19_WEIGHTS": str(tmp_path / "missing.h5"),
        "LOG_LEVEL": "CRITICAL",
    }
    done = await asyncio.to_thread(run_bot, env)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if "missing.h5" in line]
    assert len(lines) == 1 and "does not exist" in lines[0]
    assert "Traceback" not in done.stderr
    assert telegram.token not in done.stderr


async def test_the_old_name_of_a_setting_is_one_line_at_start(tmp_path: Path) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": "1:x",
        "NST_DATA_DIR": str(tmp_path),
        "NST_VGG19_WEIGHTS": str(tmp_path / "missing.h5"),  # stops the start right after
        "NST_WORKERS": "2",
    }
    done = await asyncio.to_thread(run_bot, env)
    notices = [line for line in done.stderr.splitlines() if "NST_WORKERS" in line]
    assert len(notices) == 1
    assert notices[0].endswith(
        " WARNING bot: NST_WORKERS is deprecated: set NST_CONCURRENT_JOBS instead (same meaning)"
    )


def test_models_fetch_finds_local_weights(
    vgg_weights: Path,
    fast_models_dir: Path,
    selfie_model: Path,
    face_models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(vgg_weights))
    monkeypatch.setenv("NST_FAST_MODELS_DIR", str(fast_models_dir))
    monkeypatch.setenv("NST_SEGMENTATION_MODEL", str(selfie_model))
    monkeypatch.setenv("NST_FACE_MODELS_DIR", str(face_models))
    assert cli.main(["models", "fetch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 6 and all(line.startswith("ok") for line in lines)
    assert lines[3].endswith(str(selfie_model))
    assert lines[-1].endswith(str(face_models / faces.FULL_RANGE.name))


def test_models_fetch_goes_on_without_the_segmenter(
    vgg_weights: Path,
    fast_models_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The segmenter is optional: the bot runs without it, person mode shown as unavailable."""
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(vgg_weights))
    monkeypatch.setenv("NST_FAST_MODELS_DIR", str(fast_models_dir))
    monkeypatch.setenv("NST_SEGMENTATION_MODEL", str(tmp_path / "missing.tflite"))
    monkeypatch.setenv("NST_FACE_MODELS_DIR", str(tmp_path))
    assert cli.main(["models", "fetch"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    assert "missing.tflite" in captured.err and "person mode will be unavailable" in captured.err
    assert faces.SHORT_RANGE.name in captured.err and "faces will not be held" in captured.err


def test_presets_fetch_reports_each_preset_and_needs_no_token(
    presets_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("NST_PRESETS_DIR", str(presets_dir))
    assert cli.main(["presets", "fetch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(load_manifest(SHIPPED_MANIFEST))
    assert all(line.startswith("ok") for line in lines)


def test_health_follows_the_heartbeat_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path))
    heartbeat = tmp_path / "heartbeat"
    assert cli.main(["health"]) == 1  # no bot ever ran here
    heartbeat.touch()
    assert cli.main(["health"]) == 0
    stale = heartbeat.stat().st_mtime - 10 * HEARTBEAT_S
    os.utime(heartbeat, (stale, stale))
    assert cli.main(["health"]) == 1


async def test_a_running_bot_beats(bot_app) -> None:
    assert bot_app.config.heartbeat_path.exists()


def update_from(user_id: int, update_id: int) -> Update:
    message = {
        "message_id": update_id,
        "date": 0,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "U"},
        "text": "hi",
    }
    return Update.de_json({"update_id": update_id, "message": message}, None)


async def test_one_users_updates_run_in_order_while_others_go_ahead() -> None:
    processor = PerUserUpdates(16)
    slow_done = asyncio.Event()
    order: list[str] = []

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        if wait is not None:
            await wait.wait()
        order.append(name)

    first = asyncio.create_task(
        processor.process_update(update_from(1, 1), handle("a1", slow_done))
    )
    second = asyncio.create_task(processor.process_update(update_from(1, 2), handle("a2")))
    other = asyncio.create_task(processor.process_update(update_from(2, 3), handle("b1")))
    await other  # user 2 is not held up by user 1's slow update
    assert order == ["b1"]
    slow_done.set()
    await asyncio.gather(first, second)
    assert order == ["b1", "a1", "a2"]
    assert processor._queues == {}  # nothing kept for users with nothing in flight


BACKENDS = {"tensorflow", "keras", "jax"}


def test_the_bots_wiring_loads_no_backend() -> None:
    """TensorFlow takes seconds to import: a bot whose engines are on workers, or one that stops
    at start with a line saying why, never pays for it; an in-process runner's engines do, when
    they are built."""
    assert packages_loaded_by("bot.__main__, bot.app, bot.jobs.remote", BACKENDS) == []
