"""Kestra's JDBC `Batch`: insert the rows of a stored file (one row per line, as `fetchType: STORE` and the
serdes tasks write them) with one prepared statement, `chunk` rows per round trip, each chunk committed.

The statement is `sql` with JDBC's `?` placeholders, or, without `sql`, an INSERT into `table` of `columns`
(when `columns` is also missing, every column of the table, read from the database). A map row gives its
values in `columns` order (or its own key order), a list row its items in order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import source_uri
from legato.plugins.jdbc import engine, sqltext
from legato.plugins.jdbc.drivers import Session
from legato.plugins.jdbc.tasks import JdbcConnection, session
from legato.plugins.runnable import Expression, render_as


class BatchTask(JdbcConnection):
    """Insert the rows of a stored file with a prepared statement, `chunk` rows per round trip."""

    from_: str = Field(alias="from", description="URI of the rows file in internal storage (one row per line).")
    sql: str | None = Field(default=None, description="INSERT with one `?` per value, e.g. INSERT INTO t VALUES (?, ?, ?).")
    chunk: int | Expression = Field(default=1000, description="Rows sent and committed together.")
    columns: list[str] | None = Field(default=None, description="Columns to take from each row, in placeholder order; "
                                      "with `table` and no `sql`, the columns of the generated INSERT.")
    table: str | None = Field(default=None, description="Without `sql`: the table to insert into (its columns are "
                              "read from the database when `columns` is missing).")
    maxRetries: int | Expression = Field(default=3, description="Kestra compatibility: accepted; use the task's `retry` "
                                         "to retry a failed run.")
    retryBackoff: Duration | Expression = Field(default="PT1S", description="Kestra compatibility: accepted, see maxRetries.")
    inputHandling: Literal["AUTO", "STREAM", "LOCAL"] | Expression = Field(
        default="AUTO", description="Kestra compatibility: accepted; Legato always streams the file.")
    localBufferMaxBytes: int | Expression = Field(default=100 * 1024 * 1024, description="Kestra compatibility: accepted.")
    resumeOnRetry: bool | Expression = Field(default=True, description="Kestra compatibility: accepted.")
    retryScope: Literal["INPUT", "ALL"] | Expression = Field(default="INPUT", description="Kestra compatibility: accepted.")

    @model_validator(mode="after")
    def _statement(self) -> BatchTask:
        if self.sql is None and self.table is None:
            raise ValueError("Batch needs `sql` (an INSERT with ? placeholders) or `table`")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        chunk = int(render_as(ctx, self.chunk, int, "chunk"))
        if chunk < 1:
            raise TaskFailed("property 'chunk' must be at least 1")
        sql = None if self.sql is None else ctx.render_string(self.sql)
        table = None if self.table is None else ctx.render_string(self.table)
        columns = None if self.columns is None else [ctx.render_string(c) for c in self.columns]
        with self.opened(ctx) as (_ws, url, how), stream.opened(ctx, uri) as source:

            def work(cancel: engine.Cancel) -> dict[str, Any]:
                with session(self.DRIVER, url, how, cancel) as s:
                    return _insert(s, stream.items(source), sql, table, columns, chunk, cancel)

            outputs = await engine.in_thread(work)
        ctx.logger.info(f"Inserted {outputs['rowCount']} rows ({outputs['updatedCount']} updated)")
        return outputs


def _insert(s: Session, rows: Iterator[Any], sql: str | None, table: str | None, columns: list[str] | None,
            chunk: int, cancel: engine.Cancel) -> dict[str, Any]:
    if sql is None:
        assert table is not None
        columns = columns or _table_columns(s, table)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - the flow's own table, as Kestra
    expected = sqltext.placeholders(sql)
    statement = sqltext.positional(sql, s.driver.marker)
    read = updated = 0
    cursor = s.cursor()
    try:
        batch: list[list[Any]] = []
        for row in rows:
            values = _values(row, columns, read + 1)
            if len(values) != expected:
                raise engine.SqlFailed(f"row {read + 1} has {len(values)} values but the statement has {expected} "
                                       f"placeholders; set `columns` to choose them")
            batch.append(values)
            read += 1
            if len(batch) >= chunk:
                updated += _flush(s, cursor, statement, batch, cancel)
                batch = []
        if batch:
            updated += _flush(s, cursor, statement, batch, cancel)
    except engine.SqlFailed:
        s.rollback()
        raise
    finally:
        cursor.close()
    return {"rowCount": read, "updatedCount": updated}


def _flush(s: Session, cursor: Any, statement: str, batch: list[list[Any]], cancel: engine.Cancel) -> int:
    if cancel():
        raise engine.SqlFailed("cancelled")
    try:
        cursor.executemany(statement, batch)
        s.commit()
    except Exception as exc:
        raise engine.SqlFailed(f"batch insert failed: {str(exc).strip().splitlines()[0]}") from None
    count = cursor.rowcount
    return count if isinstance(count, int) and count >= 0 else len(batch)


def _values(row: Any, columns: list[str] | None, number: int) -> list[Any]:
    if isinstance(row, dict):
        if columns:
            missing = [c for c in columns if c not in row]
            if missing:
                raise engine.SqlFailed(f"row {number} has no field {missing[0]!r} (it has {', '.join(row)})")
            return [_bindable(row[c]) for c in columns]
        return [_bindable(v) for v in row.values()]
    if isinstance(row, list):
        return [_bindable(v) for v in row]
    return [_bindable(row)]


def _bindable(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def _table_columns(s: Session, table: str) -> list[str]:
    cursor = s.cursor()
    try:
        try:
            cursor.execute(f"SELECT * FROM {table} WHERE 1 = 0")  # noqa: S608 - the flow's own table name, as Kestra
            names = [str(c[0]) for c in cursor.description or ()]
            cursor.fetchall()
        except Exception as exc:
            raise engine.SqlFailed(f"cannot read the columns of table {table!r}: {str(exc).strip().splitlines()[0]}") from None
    finally:
        cursor.close()
    if not names:
        raise engine.SqlFailed(f"table {table!r} has no columns")
    return names
