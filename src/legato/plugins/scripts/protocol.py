"""Kestra's stdout protocol: a line `::{...}::` carries outputs, metrics or logs; every other line is a log
line. Also used for stderr, as Kestra does."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from legato.model.taskfield import deep_merge
from legato.plugins.context import TaskLogger

_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"}
_STDERR_TAIL = 10  # stderr lines quoted in the error of a failed command


@dataclass
class Collector:
    """Reads a command's lines as they come: protocol lines become outputs, metrics and logs; others are logged
    (stdout at INFO, stderr at WARN) and the last stderr lines are kept for the error message."""

    logger: TaskLogger
    vars: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stderr_lines: int = 0
    stdout_lines: int = 0  # every stdout line, protocol lines included (Kestra's stdOutLineCount)
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=_STDERR_TAIL))

    def __call__(self, line: str, is_stderr: bool) -> None:
        if not is_stderr:
            self.stdout_lines += 1
        message = parse(line)
        if message is not None:
            self._apply(message)
            return
        if is_stderr:
            self.stderr_lines += 1
            self.tail.append(line)
            self.logger.warn(line)
        else:
            self.logger.info(line)

    def _apply(self, message: dict[str, Any]) -> None:
        outputs = message.get("outputs")
        if isinstance(outputs, dict):
            self.vars = deep_merge(self.vars, outputs)
        for metric in _list(message.get("metrics")):
            if isinstance(metric, dict) and "name" in metric:
                self.metrics.append(metric)
                self.logger.debug(f"metric {metric.get('type', 'counter')} {metric['name']} = {metric.get('value')}")
        for entry in _list(message.get("logs")):
            if isinstance(entry, dict):
                self._log(str(entry.get("level", "INFO")).upper(), str(entry.get("message", "")))

    def _log(self, level: str, text: str) -> None:
        level = "WARN" if level == "WARNING" else level if level in _LEVELS else "INFO"
        match level:
            case "TRACE":
                self.logger.trace(text)
            case "DEBUG":
                self.logger.debug(text)
            case "WARN":
                self.logger.warn(text)
            case "ERROR":
                self.logger.error(text)
            case _:
                self.logger.info(text)


def parse(line: str) -> dict[str, Any] | None:
    """The JSON object of a `::{...}::` line, or None for an ordinary line (or one that is not valid JSON)."""
    text = line.strip()
    if not (text.startswith("::{") and text.endswith("}::")):
        return None
    try:
        value = json.loads(text[2:-2])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []
