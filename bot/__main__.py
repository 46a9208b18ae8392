"""`nst-bot` / `python -m bot`: run the bot, or prepare what it downloads.

    nst-bot                  run the bot (long polling) until SIGINT/SIGTERM
    nst-bot models fetch     download the engine's weights now, if they are not there yet
    nst-bot presets fetch    download the preset paintings now, if they are not there yet
    nst-bot health           exit 0 if a running bot showed signs of life recently (Docker)

A setting that is missing or malformed, or anything else that stops the bot from starting (no
model weights, a database from a newer version), is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from telegram import Update

from bot.config import HEARTBEAT_S, Config, ConfigError

EXIT_CONFIG = 2
EXIT_DOWNLOAD = 1
EXIT_UNHEALTHY = 1


class _Redact(logging.Filter):
    """Blank the token out of every record, whatever logged it (a URL, an exception's text)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token in message:
            record.msg = message.replace(self._token, "<token>")
            record.args = None
        return True


def configure_logging(config: Config) -> None:
    """Plain lines on stderr; never the token, never users' images (nothing logs them)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact(config.token))
    logging.basicConfig(level=config.log_level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def fetch_models() -> int:
    """Download VGG19's weights and the fast preview's two models unless already present."""
    from nst_engine.errors import WeightsError
    from nst_engine.fast import PREDICTION, TRANSFER, model_path
    from nst_engine.vgg import resolve_weights

    try:
        print(f"ok      vgg19 -> {resolve_weights()}")
        for model in (PREDICTION, TRANSFER):
            print(f"ok      {model.name} -> {model_path(model)}")
    except WeightsError as error:
        print(f"failed  {error}", file=sys.stderr)
        return EXIT_DOWNLOAD
    return 0


def fetch_presets(config: Config) -> int:
    """Download every preset painting now; a preset that fails is reported, the rest still come."""
    from bot.presets import fetch_all

    report = fetch_all(config)
    for line in report:
        print(line)
    return EXIT_DOWNLOAD if any(line.startswith("failed") for line in report) else 0


def check_health(config: Config) -> int:
    """Healthy while the bot's event loop keeps touching its heartbeat file."""
    try:
        age = time.time() - config.heartbeat_path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: no heartbeat at {config.heartbeat_path}", file=sys.stderr)
        return EXIT_UNHEALTHY
    if age > 3 * HEARTBEAT_S:
        print(f"unhealthy: last heartbeat {age:.0f} s ago", file=sys.stderr)
        return EXIT_UNHEALTHY
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
    commands.add_parser("health", help="exit 0 if the running bot is alive")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "models":
        return fetch_models()
    try:
        config = Config.from_env(need_token=args.command is None)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    if args.command == "presets":
        return fetch_presets(config)
    if args.command == "health":
        return check_health(config)
    configure_logging(config)
    # Imported after the checks above, so a missing token is reported at once.
    from bot.app import build_application
    from bot.jobs.runner import RunnerUnavailable
    from bot.jobs.store import StoreError
    from nst_engine.errors import WeightsError

    try:
        build_application(config).run_polling(allowed_updates=Update.ALL_TYPES)
    except (StoreError, WeightsError, RunnerUnavailable) as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    return 0


if __name__ == "__main__":
    sys.exit(main())
