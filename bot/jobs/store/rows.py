"""A job row and a user's settings, to and from the database's columns and JSON.

What a newer version adds to a job (a mix, an animation) lives in the settings JSON, so it needs no
migration, and anything damaged or unknown reads back as its default.
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
    Strength,
    UserSettings,
    Waiting,
)


def settings_to_json(settings: UserSettings, request: JobRequest | None = None) -> str:
    """A person's settings; a job's also hold what its request adds, when it is not the default
    (in the JSON, so no migration): its second painting under "mix", "animation": true for a
    clip, in a group the message it replies to and whether the PNG file is sent, and for a
    print its side and the result it paints on under "print"."""
    data: dict[str, Any] = asdict(settings)
    if request is not None:
        if request.mix is not None:
            data["mix"] = asdict(request.mix)
        if request.animation:
            data["animation"] = True
        if request.reply_to is not None:
            data["reply_to"] = request.reply_to
        if not request.full_size:
            data["full_size"] = False
        if request.print_size is not None:
            data["print"] = asdict(request.print_size)
    return json.dumps(data, sort_keys=True)


def mix_from_json(text: str) -> Mix | None:
    """A job's second painting, if it has one; a damaged entry counts as none."""
    data = json.loads(text or "{}").get("mix")
    if not isinstance(data, dict):
        return None
    try:
        style = FileRef(**data["style"]) if data.get("style") else None
        return Mix(style, data.get("preset_id"), float(data["share"]))
    except (KeyError, TypeError, ValueError):
        return None


def print_from_json(text: str) -> PrintSize | None:
    """A print's side and result, if the job is one; a damaged entry counts as none."""
    data = json.loads(text or "{}").get("print")
    if not isinstance(data, dict):
        return None
    try:
        return PrintSize(int(data["side"]), FileRef(**data["result"]))
    except (KeyError, TypeError, ValueError):
        return None


def settings_from_json(text: str) -> UserSettings:
    """Stored settings, tolerating unknown keys and bad values (each falls back to its default)."""
    data = json.loads(text or "{}")
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
    extra = json.loads(row["settings"] or "{}")
    reply_to = extra.get("reply_to")
    return Job(
        id=row["id"],
        request=JobRequest(
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            content=content,
            style=file_ref(row, "style"),
            preset_id=row["preset_id"],
            settings=settings_from_json(row["settings"]),
            language=row["language"],
            mix=mix_from_json(row["settings"]),
            animation=extra.get("animation") is True,
            reply_to=reply_to if isinstance(reply_to, int) else None,
            full_size=extra.get("full_size") is not False,
            print_size=print_from_json(row["settings"]),
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
