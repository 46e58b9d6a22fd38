"""Contract: execution logs."""

from __future__ import annotations

import pytest

from legato.model.execution import LogRecord
from legato.store.sql import SqlStore

from .helpers import NOW, at


def line(level: str, message: str, task_run_id: str | None = None, execution_id: str = "e1") -> LogRecord:
    return LogRecord(execution_id=execution_id, task_run_id=task_run_id, task_id=task_run_id and "task",
                     attempt=task_run_id and 1, level=level, message=message, timestamp=at(len(message)))


class LogContract:
    def test_logs_come_back_in_insertion_order_and_filter_by_run_and_level(self, store: SqlStore) -> None:
        lines = [
            line("INFO", "start"), line("DEBUG", "detail", "tr1"), line("ERROR", "boom", "tr1"),
            line("TRACE", "noise", "tr2"), line("WARN", "careful", "tr2"), line("WARNING", "also careful"),
        ]
        store.append_logs(lines[:3])
        store.append_logs(lines[3:])
        store.append_logs([line("INFO", "elsewhere", execution_id="e2")])
        store.append_logs([])
        assert store.logs("e1") == lines
        assert store.logs("e1", task_run_id="tr1") == lines[1:3]
        assert store.logs("e1", min_level="WARN") == [lines[2], lines[4], lines[5]]
        assert store.logs("e1", min_level="info") == [lines[0], lines[2], lines[4], lines[5]]
        assert store.logs("e1", task_run_id="tr2", min_level="TRACE") == lines[3:5]
        assert store.logs("e1", min_level="ERROR")[0].timestamp == at(4)
        assert store.logs("nobody") == []

    def test_unknown_level_filter_is_a_clear_error(self, store: SqlStore) -> None:
        with pytest.raises(ValueError, match="unknown log level"):
            store.logs("e1", min_level="LOUD")

    def test_naive_datetimes_are_refused(self, store: SqlStore) -> None:
        naive = LogRecord(execution_id="e", level="INFO", message="m", timestamp=NOW.replace(tzinfo=None))
        with pytest.raises(Exception, match="naive datetime"):
            store.append_logs([naive])
        assert store.logs("e") == []
