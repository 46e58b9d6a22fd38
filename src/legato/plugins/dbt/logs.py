"""dbt's structured log lines (`--log-format json`): each becomes a log of its own level with dbt's message;
a `warn` line makes the task end in WARNING; the run's summary stats (pass, warn, error, skip, total) become
counters, as Kestra's dbt plugin reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from legato.plugins.scripts.protocol import Collector, parse


@dataclass
class DbtCollector(Collector):
    warning_seen: bool = False

    def __call__(self, line: str, is_stderr: bool) -> None:
        event = _event(line) if parse(line) is None else None
        if event is None:
            super().__call__(line, is_stderr)
            return
        nested = event.get("info")
        info: dict[str, Any] = nested if isinstance(nested, dict) else event
        level = str(info.get("level") or "info").lower()
        message = str(info.get("msg") or "").rstrip()
        data = event.get("data")
        stats = data.get("stats") if isinstance(data, dict) else None
        if isinstance(stats, dict):
            for name, value in stats.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    self.metrics.append({"name": str(name), "type": "counter", "value": value})
        if not message:
            return
        match level:
            case "debug":
                self.logger.debug(message)
            case "info":
                self.logger.info(message)
            case "warn" | "warning":
                self.warning_seen = True
                self.logger.warn(message)
            case _:
                self.logger.error(message)


def _event(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and ("info" in value or "msg" in value) else None
