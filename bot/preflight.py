"""What the bot checks on its own machine before its first call to Telegram, in this order.

Settings (Config.from_env, before this), the data folder, the database, the weights, the ports
the bot will listen on: the order an operator fixes them in, so the first error printed is the
first thing to fix. Each failure is one
line. Nothing here imports TensorFlow, whose import alone prints lines and takes seconds.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
from pathlib import Path

from bot.config import Config
from bot.jobs.store import Store


class StartupError(Exception):
    """Something on this machine stops the bot from starting; the message is one line."""


def check_local(config: Config) -> None:
    """Raise StartupError (or StoreError) for the first local problem found."""
    check_data_dir(config.data_dir)
    asyncio.run(check_database(config.database_path))
    check_weights(config.vgg_weights)
    if config.webhook_url is not None:
        check_port("NST_WEBHOOK_PORT", config.webhook_listen, config.webhook_port)
    if config.metrics_port is not None:
        check_port("NST_METRICS_PORT", "0.0.0.0", config.metrics_port)


def check_data_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=data_dir):
            pass
    except OSError as error:
        raise StartupError(
            f"NST_DATA_DIR {data_dir} is not a writable folder ({error.strerror}): "
            "create it or give the bot's user write access"
        ) from None


async def check_database(path: Path) -> None:
    """Open and migrate it now (StoreError if it cannot be used), so the bot never starts on
    a database it would fail on later."""
    store = await Store.open(path)
    await store.close()


def check_port(name: str, host: str, port: int) -> None:
    """The bot will listen there (the webhook, /metrics): is the address free and allowed?"""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise StartupError(
            f"{name} {port} on {host} cannot be listened on ({os.strerror(error.errno or 0)}): "
            "choose a free port, or stop what uses it"
        ) from None


def check_weights(named: Path | None) -> None:
    """The VGG19 weights file NST_VGG19_WEIGHTS names, if any; without one the engine uses
    Keras' cached download, fetched at start-up if missing."""
    if named is not None and not named.is_file():
        raise StartupError(
            f"VGG19 weights file {named} (named by $NST_VGG19_WEIGHTS) does not exist; point "
            "NST_VGG19_WEIGHTS at the file, or unset it to let the bot download it"
        )
