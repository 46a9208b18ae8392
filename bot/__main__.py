"""`nst-bot` / `python -m bot`: run the bot, or prepare what it downloads.

    nst-bot                  run the bot (long polling, or a webhook) until SIGINT/SIGTERM
    nst-bot models fetch     download the engine's weights now, if they are not there yet
    nst-bot presets fetch    download the preset paintings now, if they are not there yet
    nst-bot health           exit 0 if a running bot is alive and reaches Telegram (Docker)
    nst-bot backup PATH      a consistent copy of the database, safe while the bot runs

A setting that is missing or malformed, or anything else that stops the bot from starting (a data
folder it cannot write, a damaged database, no model weights, a token Telegram rejects), is one
line on stderr and exit status 2. Telegram being unreachable is not: the bot waits for it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import HEARTBEAT_S, Config, ConfigError, deprecated_settings, redis_secrets
from bot.logs import RedactingFormatter, configure_logging

EXIT_CONFIG = 2
EXIT_DOWNLOAD = 1
EXIT_UNHEALTHY = 1


def fetch_models(config: Config) -> int:
    """Download VGG19's weights, the fast preview's two models, the person segmenter and the
    two face detectors unless already present (those the configuration names are checked
    instead of downloaded)."""
    from nst_engine import faces, segmentation
    from nst_engine.errors import WeightsError
    from nst_engine.fast import PREDICTION, TRANSFER, model_path
    from nst_engine.vgg import resolve_weights

    try:
        print(f"ok      vgg19 -> {resolve_weights(config.vgg_weights)}")
        for model in (PREDICTION, TRANSFER):
            print(f"ok      {model.name} -> {model_path(model, config.fast_models_dir)}")
    except WeightsError as error:
        print(f"failed  {error}", file=sys.stderr)
        return EXIT_DOWNLOAD
    try:  # optional: without it the bot runs, with person mode shown as unavailable
        selfie = segmentation.model_path(config.segmentation_model)
        print(f"ok      {segmentation.SELFIE.name} -> {selfie}")
    except WeightsError as error:
        print(f"missing {error} (person mode will be unavailable)", file=sys.stderr)
    try:  # optional: without them no face is held, and person mode is unavailable
        folder = faces.models_dir(config.face_models_dir)
        for model in faces.MODELS:
            print(f"ok      {model.name} -> {folder / model.name}")
    except WeightsError as error:
        print(f"missing {error} (faces will not be held; no person mode)", file=sys.stderr)
    return 0


def fetch_presets(config: Config) -> int:
    """Download every preset painting now; a preset that fails is reported, the rest still come."""
    from bot.presets import fetch_all

    report = fetch_all(config)
    for line in report:
        print(line)
    return EXIT_DOWNLOAD if any(line.startswith("failed") for line in report) else 0


def check_health(config: Config) -> int:
    """Healthy while the bot's event loop keeps its heartbeat fresh and Telegram answers it."""
    from bot.connection import health

    problem = health(config.heartbeat_path, 3 * HEARTBEAT_S)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return EXIT_UNHEALTHY
    return 0


def backup_database(config: Config, target: Path) -> int:
    """Copy the live database to target (see README, Backup and restore)."""
    from bot.jobs.store import StoreError, backup

    try:
        backup(config.database_path, target)
    except (StoreError, OSError) as error:
        print(f"backup failed: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"ok      {config.database_path} -> {target}")
    return 0


def run_bot(config: Config, log: RedactingFormatter) -> int:
    """Check everything local, then serve until stopped; one line and exit 2 if it cannot."""
    # Imported only now, so a missing token or a bad setting is reported at once.
    from telegram import Update

    from bot.app import build_application
    from bot.connection import TokenRejected, webhook_secret
    from bot.jobs.runner import RunnerUnavailable
    from bot.jobs.store import StoreError
    from bot.preflight import StartupError, check_local
    from nst_engine.errors import WeightsError

    try:
        check_local(config)
        application = build_application(config)
        # bootstrap_retries=-1: the Updater's start-up calls (deleteWebhook, setWebhook) wait for
        # Telegram too. drop_pending_updates=False: what people sent while the bot was down is
        # still answered.
        if config.webhook_url is None:
            application.run_polling(
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,
                drop_pending_updates=False,
            )
            return 0
        secret = webhook_secret(config.webhook_secret, config.webhook_secret_path)
        log.add_secret(secret)
        application.run_webhook(
            listen=config.webhook_listen,
            port=config.webhook_port,
            url_path=urlsplit(config.webhook_url).path.lstrip("/"),
            webhook_url=config.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=-1,
            drop_pending_updates=False,
        )
    except (StartupError, StoreError, WeightsError, TokenRejected, RunnerUnavailable) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nst-bot", description="A Telegram bot that turns photos into paintings."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    models = commands.add_parser("models", help="the engine's model files")
    models.add_subparsers(dest="action", required=True).add_parser(
        "fetch", help="download them now"
    )
    presets = commands.add_parser("presets", help="the preset paintings")
    presets.add_subparsers(dest="action", required=True).add_parser(
        "fetch", help="download them now"
    )
    commands.add_parser("health", help="exit 0 if the running bot is alive and reaches Telegram")
    backup = commands.add_parser("backup", help="copy the database, safe while the bot runs")
    backup.add_argument("path", type=Path, help="where to write the copy")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = Config.from_env(need_token=args.command is None)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "models":
        return fetch_models(config)
    if args.command == "presets":
        return fetch_presets(config)
    if args.command == "health":
        return check_health(config)
    if args.command == "backup":
        return backup_database(config, args.path)
    formatter = configure_logging(config.token, config.log_level, config.log_format)
    for secret in redis_secrets(config.redis_url):
        formatter.add_secret(secret)
    for notice in deprecated_settings():
        logging.getLogger("bot").warning(notice)
    return run_bot(config, formatter)


if __name__ == "__main__":
    sys.exit(main())
