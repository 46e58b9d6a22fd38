"""One log line as the CLI prints it (`flow run`, `execution logs`): time, level, where, message. Attempts are
numbered from 1 for people (`boom #1`), as the UI labels them; the records' attemptNumber counts from 0, as Kestra's."""

from __future__ import annotations

from datetime import datetime


def where(task_id: str | None, attempt: int | None) -> str:
    """`task #N` for a task's line (N from 1), `task` when its attempt is unknown, `execution` for the execution's."""
    if task_id is None:
        return "execution"
    return task_id if attempt is None else f"{task_id} #{attempt + 1}"


def format_line(timestamp: datetime, level: str, task_id: str | None, attempt: int | None, message: str) -> str:
    """`HH:MM:SS LEVEL where: message`."""
    return f"{timestamp:%H:%M:%S} {level:<5} {where(task_id, attempt)}: {message}"
