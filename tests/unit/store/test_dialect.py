"""Store URLs and the column types that hide SQLite/PostgreSQL differences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from legato.store.dialect import PostgresDialect, SqliteDialect, StoreURLError, UtcDateTime, for_url
from legato.store.logs import levels_at_least


def test_sqlite_url_resolves_to_an_absolute_file(tmp_path: Path) -> None:
    dialect = for_url(f"sqlite:///{tmp_path}/a/b.db")
    assert isinstance(dialect, SqliteDialect)
    assert dialect.path == tmp_path / "a" / "b.db"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "nonsense"])
def test_unusable_urls_are_refused_with_a_clear_message(url: str) -> None:
    with pytest.raises(StoreURLError):
        for_url(url)


@pytest.mark.parametrize("url", ["postgresql://u@h:5433/db", "postgres://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"])
def test_postgres_urls_use_psycopg(url: str) -> None:
    dialect = for_url(url)
    assert isinstance(dialect, PostgresDialect)
    assert dialect.url == "postgresql+psycopg://u@h:5433/db"


def test_sqlite_timestamps_are_sortable_microseconds_and_come_back_aware_utc() -> None:
    column = UtcDateTime()
    paris = timezone(timedelta(hours=1))
    moment = datetime(2025, 3, 1, 13, 0, 0, 123456, tzinfo=paris)
    stored = column.process_bind_param(moment, sqlite.dialect())
    assert stored == 1740830400123456
    back = column.process_result_value(stored, sqlite.dialect())
    assert back == moment and back is not None and back.tzinfo == UTC
    earlier = column.process_bind_param(moment - timedelta(microseconds=1), sqlite.dialect())
    assert earlier < stored


def test_postgres_timestamps_come_back_in_utc() -> None:
    column = UtcDateTime()
    moment = datetime(2025, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=-5)))
    back = column.process_result_value(moment, postgresql.dialect())
    assert back == moment and back is not None and back.tzinfo == UTC


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        UtcDateTime().process_bind_param(datetime(2025, 1, 1), sqlite.dialect())


def test_log_levels_order_and_aliases() -> None:
    assert levels_at_least("warn") == ["ERROR", "WARN", "WARNING"]
    assert levels_at_least("TRACE") == ["DEBUG", "ERROR", "INFO", "TRACE", "WARN", "WARNING"]
    with pytest.raises(ValueError, match="unknown log level"):
        levels_at_least("FATAL")
