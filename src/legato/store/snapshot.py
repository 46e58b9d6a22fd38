"""A consistent, backend-neutral copy of the store's rows: what `legato sys backup` writes and `restore` loads.

Every table is read in ONE read-only transaction (PostgreSQL: REPEATABLE READ, so all tables come from the
same snapshot while executions keep running; SQLite: one WAL read transaction, the same guarantee). Values are
written in a portable form (times as ISO-8601 UTC text, JSON columns as JSON), so a SQLite backup loads into
PostgreSQL and back. Loading goes into a store migrated to this version's newest schema: migrations only add
(tables, nullable or defaulted columns), so rows of an older schema's columns insert as they are."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, func, inspect, select

from legato.store import schema
from legato.store.database import Database
from legato.store.dialect import Json, ModelJson, UtcDateTime

# The live server registry describes processes, not data: a restored installation registers its own. The
# executions' daily roll-up is derived: the triggers of `executions` rebuild it as the rows are deleted and loaded.
SKIPPED = frozenset({"servers", "execution_days", "execution_day_deltas"})
BATCH = 500


@dataclass(frozen=True)
class TableRows:
    """One table's rows in portable form, streamed."""

    name: str
    columns: tuple[str, ...]
    rows: Iterator[list[Any]]


class SnapshotError(Exception):
    """The store cannot be read or loaded as asked; the message says why."""


def _portable_metadata() -> MetaData:
    """The schema with pydantic-record columns read and written as plain JSON."""
    portable = MetaData()
    for table in schema.metadata.sorted_tables:
        copy = table.to_metadata(portable)
        for column in copy.columns:
            if isinstance(column.type, ModelJson):
                column.type = Json()
    return portable


PORTABLE = _portable_metadata()


def tables() -> list[Table]:
    """The tables a backup holds, in creation order."""
    return [t for t in PORTABLE.sorted_tables if t.name not in SKIPPED]


def _encode(column: Column[Any], value: Any) -> Any:
    if value is not None and isinstance(column.type, UtcDateTime):
        return value.isoformat()
    return value


def _decode(column: Column[Any] | None, value: Any) -> Any:
    if value is not None and column is not None and isinstance(column.type, UtcDateTime):
        return datetime.fromisoformat(value)
    return value


def export(db: Database) -> Iterator[TableRows]:
    """Every table's rows, all read in one snapshot transaction (held open until the iterator is exhausted)."""
    with db.engine.connect() as raw:
        conn = raw.execution_options(**db.dialect.snapshot_options())
        with conn.begin():
            for table in tables():
                columns = list(table.columns)
                keys = list(table.primary_key.columns) or columns
                result = conn.execution_options(yield_per=BATCH).execute(select(*columns).order_by(*keys))
                yield TableRows(table.name, tuple(c.name for c in columns),
                                ([_encode(c, v) for c, v in zip(columns, row, strict=True)] for row in result))


def counts(db: Database) -> dict[str, int]:
    """Rows per backed-up table."""
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables()}


def is_empty(db: Database) -> bool:
    """Whether no backed-up table holds a row (a freshly migrated store)."""
    return not any(counts(db).values())


def clear(db: Database) -> None:
    """Delete every row of every backed-up table, in one transaction."""
    with db.write() as tx:
        for table in reversed(tables()):
            tx.conn.execute(delete(table))


def load(db: Database, dumps: Iterable[tuple[str, tuple[str, ...], Iterable[list[Any]]]]) -> dict[str, int]:
    """Insert the rows of each (table, columns, rows) in ONE transaction; rows per table. The store must be at
    this version's newest schema; a column it does not know is an error (a backup of a newer schema)."""
    by_name = {t.name: t for t in tables()}
    loaded: dict[str, int] = {}
    with db.write() as tx:
        existing = set(inspect(tx.conn).get_table_names())
        for name, columns, rows in dumps:
            table = by_name.get(name)
            if table is None or name not in existing:
                raise SnapshotError(f"the backup has a table {name!r} this version of Legato does not know")
            unknown = [c for c in columns if c not in table.c]
            if unknown:
                raise SnapshotError(f"table {name!r} of the backup has columns this version does not know: "
                                    + ", ".join(unknown))
            typed = [table.c[c] for c in columns]
            loaded[name] = 0
            for batch in _batches(rows):
                tx.conn.execute(table.insert(), [
                    {c.name: _decode(c, v) for c, v in zip(typed, row, strict=True)} for row in batch])
                loaded[name] += len(batch)
            for column in table.primary_key.columns:
                if column.autoincrement is True:
                    db.dialect.reset_serial(tx.conn, name, column.name)
    return loaded


def _batches(rows: Iterable[list[Any]]) -> Iterator[list[list[Any]]]:
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
