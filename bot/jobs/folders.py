"""A job's folder on disk, data/jobs/<id>/: what goes in it, and when it is emptied.

The user's photos are downloaded into it when the job starts and deleted as soon as the result
exists; the result is deleted once it is sent. Only a result still waiting to be sent survives a
restart.
"""

from __future__ import annotations

import shutil
from pathlib import Path

RESULT_FILE = "result.png"
ANIMATION_FILE = "result.mp4"
PRINT_FILE = "print.jpg"  # bot/jobs/prints.py


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def remove_inputs(workdir: Path) -> None:
    """Delete the user's photos, the preview (and a print's painting) once the result exists."""
    for path in workdir.iterdir():
        if path.name not in (RESULT_FILE, ANIMATION_FILE, PRINT_FILE):
            path.unlink(missing_ok=True)


def remove_job_dirs(jobs_dir: Path, keep: set[int]) -> None:
    """At start: every job folder goes except those holding a result still to be sent."""
    if not jobs_dir.is_dir():
        return
    for path in jobs_dir.iterdir():
        if not (path.name.isdigit() and int(path.name) in keep):  # sheets' folders go too
            remove_dir(path)
