"""Legato's helpers for Python scripts, importable with no install step.

    from legato_helpers import outputs, counter, timer, logger
    outputs({"rows": 42})                  # -> {{ outputs.<task>.vars.rows }}
    counter("rows", 42, {"table": "orders"})
    with timer("load"):                    # or timer("load", 1.5) for a duration in seconds
        ...
    logger().info("done")                  # a structured log line at INFO

Each call prints one line of the `::{...}::` protocol on stdout, which the worker reads.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["counter", "emit", "logger", "output_dir", "outputs", "timer", "working_dir"]


def emit(message: Mapping[str, Any]) -> None:
    """Print one protocol line."""
    sys.stdout.write("::" + json.dumps(message, default=str, separators=(",", ":")) + "::\n")
    sys.stdout.flush()


def outputs(values: Mapping[str, Any]) -> None:
    """Publish values as the task's `vars` outputs (later calls add to, or replace keys of, earlier ones)."""
    emit({"outputs": dict(values)})


def counter(name: str, value: float, tags: Mapping[str, str] | None = None) -> None:
    """Record a counter metric."""
    emit({"metrics": [{"name": name, "type": "counter", "value": value, "tags": dict(tags or {})}]})


def timer(name: str, duration: float | Callable[[], Any] | None = None, tags: Mapping[str, str] | None = None) -> Any:
    """Record a timer metric in seconds: give the duration, a function to time, or use it as a context manager."""
    if duration is None:
        return _timing(name, tags)
    if callable(duration):
        started = time.perf_counter()
        result = duration()
        _timer(name, time.perf_counter() - started, tags)
        return result
    _timer(name, float(duration), tags)
    return None


@contextmanager
def _timing(name: str, tags: Mapping[str, str] | None) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _timer(name, time.perf_counter() - started, tags)


def _timer(name: str, seconds: float, tags: Mapping[str, str] | None) -> None:
    emit({"metrics": [{"name": name, "type": "timer", "value": seconds, "tags": dict(tags or {})}]})


class _ProtocolHandler(logging.Handler):
    _LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR", "NOTSET": "INFO"}

    def emit(self, record: logging.LogRecord) -> None:
        level = self._LEVELS.get(record.levelname, record.levelname)
        emit({"logs": [{"level": level, "message": self.format(record)}]})


def logger(name: str = "legato") -> logging.Logger:
    """A logger whose records become the task's logs at their own level."""
    log = logging.getLogger(name)
    if not any(isinstance(h, _ProtocolHandler) for h in log.handlers):
        log.addHandler(_ProtocolHandler())
        log.setLevel(logging.DEBUG)
        log.propagate = False
    return log


def working_dir() -> str:
    """The task's working directory."""
    return os.environ.get("WORKING_DIR", os.getcwd())


def output_dir() -> str:
    """The folder whose files become the task's output files."""
    return os.environ.get("OUTPUT_DIR", working_dir())
