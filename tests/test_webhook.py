"""Webhook mode (`NST_WEBHOOK_URL`): `python -m bot` as a real process, the fake Bot API pushing
updates to its listener as Telegram does, until the bot answers 200."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import aiohttp

from tests.conftest import PROCESS_START_S, REPO_ROOT
from tests.fakebot import FakeTelegram, FakeUser
from tests.test_startup import bot_env, free_port


async def test_webhook_mode_answers_only_with_the_secret_and_loses_nothing_over_a_restart(
    telegram: FakeTelegram,
    user: FakeUser,
    tmp_path: Path,
    presets_dir: Path,
    vgg_weights: Path,
    fast_models_dir: Path,
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    data_dir = tmp_path / "data"
    env = bot_env(
        telegram.base_url,
        telegram.token,
        data_dir,
        NST_WEBHOOK_URL=hook,
        NST_WEBHOOK_LISTEN="127.0.0.1",
        NST_WEBHOOK_PORT=str(port),
        NST_PRESETS_DIR=str(presets_dir),
        NST_VGG19_WEIGHTS=str(vgg_weights),
        NST_FAST_MODELS_DIR=str(fast_models_dir),
    )
    log = tmp_path / "bot.log"

    async def start() -> asyncio.subprocess.Process:
        mark = telegram.mark()
        with log.open("ab") as output:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=REPO_ROOT, env=env, stdout=output, stderr=output
            )
        await telegram.wait_for("setWebhook", after=mark, within=PROCESS_START_S)
        return process

    process = await start()
    try:
        call = await telegram.wait_for("setWebhook")
        secret = (data_dir / "webhook-secret").read_text()
        assert call.params["url"] == hook and call.params["secret_token"] == secret
        assert not call.params.get("drop_pending_updates")
        await user.send_message("/start")
        await user.wait_for("sendMessage")
        assert telegram.webhook_answers == [200]

        # Someone who is not Telegram: refused, and nothing is processed.
        mark = telegram.mark()
        forged = {
            "message_id": 10**6,
            "from": user.json,
            "chat": {"id": user.id, "type": "private", "first_name": user.json["first_name"]},
            "date": 0,
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        }
        update = {"update_id": 10**6, "message": forged}
        async with aiohttp.ClientSession() as session:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "wrong"}, {}):
                async with session.post(hook, json=update, headers=headers) as reply:
                    assert reply.status == 403
        await user.send_message("/privacy")  # a real update after the forged ones
        await user.wait_for("sendMessage")
        assert [c.method for c in telegram.calls[mark:] if c.method == "sendMessage"] == [
            "sendMessage"
        ]

        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
        await user.send_message("/help")  # sent while the bot is down
        process = await start()
        await user.wait_for("sendMessage", within=60)  # the /help sent while it was down
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
    text = log.read_text()
    assert "Traceback" not in text
    assert telegram.token not in text and secret not in text
