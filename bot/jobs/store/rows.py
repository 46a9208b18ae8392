"""A job row and a user's settings, to and from the database's columns and JSON.

What a request adds to a plain painting (its extras: a mix, a clip, a print...) lives in the job's
settings JSON, so a new one needs no migration; a row's JSON is decoded once, and anything damaged
reads back as its default, anything unknown is ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import aiosqlite

from bot.models import (
    Brush,
    Conversation,
    Delivery,
    FileRef,
    Job,
    JobRequest,
    JobStatus,
    Mix,
    PersonMode,
    PrintSize,
    Quality,
    RequestExtras,
    Strength,
    UserSettings,
    Waiting,
)


def settings_to_json(settings: UserSettings, extras: RequestExtras | None = None) -> str:
    """A person's settings as stored; a job's with its request's extras beside them."""
    data: dict[str, Any] = asdict(settings)
    if extras is not None:
        data |= extras_to_data(extras)
    return json.dumps(data, sort_keys=True)


def extras_to_data(extras: RequestExtras) -> dict[str, Any]:
    """A request's extras as the keys of its job's settings JSON (so no migration), each only
    when it is not its default: its second painting under "mix", "animation": true for a clip,
    in a group the message it replies to and whether the PNG file is sent, and for a print its
    side and the result it paints on under "print" (the lane column reads that key)."""
    data: dict[str, Any] = {}
    if extras.mix is not None:
        data["mix"] = asdict(extras.mix)
    if extras.animation:
        data["animation"] = True
    if extras.reply_to is not None:
        data["reply_to"] = extras.reply_to
    if not extras.full_size:
        data["full_size"] = False
    if extras.print_size is not None:
        data["print"] = asdict(extras.print_size)
    return data


def extras_from_data(data: dict[str, Any]) -> RequestExtras:
    """What extras_to_data wrote; a damaged entry reads as its default, unknown keys are
    ignored (a newer bot's)."""
    reply_to = data.get("reply_to")
    return RequestExtras(
        mix=_mix(data.get("mix")),
        animation=data.get("animation") is True,
        reply_to=reply_to if isinstance(reply_to, int) else None,
        full_size=data.get("full_size") is not False,
        print_size=_print_size(data.get("print")),
    )


def _mix(data: object) -> Mix | None:
    if not isinstance(data, dict):
        return None
    try:
        style = FileRef(**data["style"]) if data.get("style") else None
        return Mix(style, data.get("preset_id"), float(data["share"]))
    except (KeyError, TypeError, ValueError):
        return None


def _print_size(data: object) -> PrintSize | None:
    if not isinstance(data, dict):
        return None
    try:
        return PrintSize(int(data["side"]), FileRef(**data["result"]))
    except (KeyError, TypeError, ValueError):
        return None


def settings_from_json(text: str) -> UserSettings:
    """A person's stored settings (see settings_from_data)."""
    return settings_from_data(json.loads(text or "{}"))


def settings_from_data(data: dict[str, Any]) -> UserSettings:
    """Stored settings, tolerating unknown keys and bad values (each falls back to its default)."""
    default = UserSettings()
    values: dict[str, Any] = {}
    for name, parse in (
        ("quality", Quality),
        ("strength", Strength),
        ("preserve_colors", bool),
        ("preview", bool),
        ("brush", Brush),
        ("seed", int),
        ("person", PersonMode),
    ):
        try:
            values[name] = parse(data[name])
        except (KeyError, ValueError, TypeError):
            values[name] = getattr(default, name)
    language = data.get("language")
    values["language"] = language if isinstance(language, str) else None
    return UserSettings(**values)


def file_ref(row: aiosqlite.Row, prefix: str) -> FileRef | None:
    file_id = row[f"{prefix}_file_id"]
    if file_id is None:
        return None
    return FileRef(file_id, row[f"{prefix}_unique_id"], row[f"{prefix}_size"])


def conversation_from_row(row: aiosqlite.Row) -> Conversation:
    return Conversation(
        waiting=Waiting(row["waiting"]),
        content=file_ref(row, "content"),
        preset_id=row["preset_id"],
        mix_base=row["mix_base"],
        set_at=row["set_at"],
    )


def job_from_row(row: aiosqlite.Row) -> Job:
    content = file_ref(row, "content")
    assert content is not None
    delivery = Delivery(row["delivery"])
    stored = json.loads(row["settings"] or "{}")  # decoded once: the settings and the extras
    return Job(
        id=row["id"],
        request=JobRequest(
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            content=content,
            style=file_ref(row, "style"),
            preset_id=row["preset_id"],
            settings=settings_from_data(stored),
            language=row["language"],
            extras=extras_from_data(stored),
        ),
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        progress=row["progress"],
        status_message_id=row["status_message_id"],
        error=row["error"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        result_path=row["result_path"],
        delivery=delivery,
        sent_result=file_ref(row, "sent_result"),
    )
