"""The process's own log lines: plain text (the default) or one JSON object per line for log shippers, carrying
the execution and task run they concern when a role works on one (`bind`)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
Format = Literal["text", "json"]

_EXECUTION: ContextVar[str | None] = ContextVar("legato_log_execution", default=None)
_TASK_RUN: ContextVar[str | None] = ContextVar("legato_log_task_run", default=None)


@contextmanager
def bind(execution_id: str | None, task_run_id: str | None = None) -> Iterator[None]:
    """Name this execution (and task run) in every log line written inside the block (this thread or task)."""
    tokens = _EXECUTION.set(execution_id), _TASK_RUN.set(task_run_id)
    try:
        yield
    finally:
        _EXECUTION.reset(tokens[0])
        _TASK_RUN.reset(tokens[1])


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the lifecycle `action` and execution_id and
    task_run_id when known, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        action = getattr(record, "action", None)  # a lifecycle line (legato.logfields)
        if action:
            line["action"] = action
        for key, var in (("execution_id", _EXECUTION), ("task_run_id", _TASK_RUN)):
            value = getattr(record, key, None) or var.get()
            if value:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(fmt: Format, level: str | int | None = None) -> None:
    """Write the root logger's lines to stderr as `fmt` says (the level kept unless given), in place of the plain
    stderr handler the command line installed; other handlers stay."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if type(old) is logging.StreamHandler and old.stream in (sys.stderr, sys.__stderr__):
            root.removeHandler(old)
    root.addHandler(handler)
    if level is not None:
        root.setLevel(level.upper() if isinstance(level, str) else level)
