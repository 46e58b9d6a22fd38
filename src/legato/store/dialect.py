"""Everything that differs between SQLite and PostgreSQL, and nothing else: URLs and connection set-up,
column types (timestamps, JSON), upserts, row locking, write serialisation and NOTIFY.

The rest of the store builds portable SQLAlchemy Core statements and asks this module for the few
pieces that cannot be portable.
"""

from __future__ import annotations

import abc
import contextlib
import fcntl
import functools
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Engine,
    Float,
    Insert,
    Select,
    Text,
    cast,
    create_engine,
    event,
    exists,
    func,
    literal,
    select,
    text,
    type_coerce,
)
from sqlalchemy import Table as SaTable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect as SaDialect
from sqlalchemy.engine import make_url
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_BUCKETS = {"hour": 3600, "day": 86_400, "week": 7 * 86_400}  # seconds


class StoreURLError(ValueError):
    """The store URL names a database Legato cannot use."""


# Column types --------------------------------------------------------------------------------------


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime: TIMESTAMPTZ on PostgreSQL, epoch microseconds (sortable) on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: SaDialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: SaDialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; pass an aware UTC datetime")
        if dialect.name == "sqlite":
            return (value - _EPOCH) // timedelta(microseconds=1)
        return value

    def process_result_value(self, value: Any, dialect: SaDialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return _EPOCH + timedelta(microseconds=value)
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Json(TypeDecorator[Any]):
    """Any JSON value: JSONB on PostgreSQL, compact JSON text on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: SaDialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Text())
        return dialect.type_descriptor(postgresql.JSONB(none_as_null=False))

    def process_bind_param(self, value: Any, dialect: SaDialect) -> Any:
        if dialect.name == "sqlite":
            return _dumps(value)
        return value

    def process_result_value(self, value: Any, dialect: SaDialect) -> Any:
        if dialect.name == "sqlite" and value is not None:
            return json.loads(value)
        return value


class ModelJson(TypeDecorator[Any]):
    """A pydantic record stored as its JSON form; read back through `load_json` / `load_python`.

    Same column type as `Json`. The record goes to and from JSON text through pydantic's own (fast) codec
    instead of a dict round trip: on PostgreSQL it is sent as text for the JSONB column (`JsonText`, which the
    engine's JSON serializer passes through) and selected back cast to text.
    """

    impl = Text
    cache_ok = True

    def __init__(self, load_json: Callable[[str | bytes], Any], load_python: Callable[[Any], Any]):
        super().__init__()
        self.load_json = load_json
        self.load_python = load_python

    def load_dialect_impl(self, dialect: SaDialect) -> TypeEngine[Any]:
        return Json().load_dialect_impl(dialect)

    def process_bind_param(self, value: BaseModel | None, dialect: SaDialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return value.model_dump_json()
        return JsonText(value.model_dump_json())

    def column_expression(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return type_coerce(cast(column, Text), self)  # JSONB comes back as its text (already text on SQLite)

    def process_result_value(self, value: Any, dialect: SaDialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes):
            return self.load_json(value)
        return self.load_python(value)


class JsonText(str):
    """JSON already serialised, for a JSONB parameter (see `ModelJson`)."""


def _pg_json_dumps(value: Any) -> str:
    """PostgreSQL's JSON serializer: JSON text given as such, anything else through the standard codec."""
    return value if isinstance(value, JsonText) else json.dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# Dialects ------------------------------------------------------------------------------------------


class Dialect(abc.ABC):
    """The SQL a backend needs that portable Core cannot express."""

    name: str
    # Several processes may write at once: locked rows must be re-read after the lock is taken.
    concurrent_writers: bool
    # Each thread may keep its connections between transactions (cheap, local database files).
    keep_connections: bool = False
    # INSERT ... RETURNING inside a WITH feeds another INSERT in the same statement (one round trip for both).
    dml_in_cte: bool = False

    @abc.abstractmethod
    def create_engine(self, pool_size: int) -> Engine:
        """A pooled engine for this database."""

    def upsert(self, table: SaTable, keys: Sequence[str], update: Sequence[str]) -> Insert:
        """INSERT ... ON CONFLICT (keys) DO UPDATE SET update = excluded.update."""
        ins = self._insert(table)
        statement: Insert = ins.on_conflict_do_update(
            index_elements=list(keys), set_={c: getattr(ins.excluded, c) for c in update}
        )
        return statement

    def upsert_add(self, table: SaTable, keys: Sequence[str], add: Sequence[str]) -> Insert:
        """INSERT ... ON CONFLICT (keys) DO UPDATE SET c = table.c + excluded.c for each column c of `add`."""
        ins = self._insert(table)
        statement: Insert = ins.on_conflict_do_update(
            index_elements=list(keys), set_={c: table.c[c] + getattr(ins.excluded, c) for c in add}
        )
        return statement

    def insert_ignore(self, table: SaTable, keys: Sequence[str]) -> Insert:
        """INSERT ... ON CONFLICT (keys) DO NOTHING."""
        statement: Insert = self._insert(table).on_conflict_do_nothing(index_elements=list(keys))
        return statement

    @abc.abstractmethod
    def _insert(self, table: SaTable) -> Any:
        """The dialect's INSERT construct (with ON CONFLICT support)."""

    def skip_locked(self, select: Select[Any], of: Column[Any] | SaTable | None = None) -> Select[Any]:
        """Lock the selected rows, skipping rows another transaction holds (no-op on a single-writer DB)."""
        return select

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Serialise this process's write transactions where the database allows only one writer."""
        yield

    def write_options(self) -> dict[str, Any]:
        """Execution options of connections used for write transactions."""
        return {}

    def read_options(self) -> dict[str, Any]:
        """Execution options of connections used for reads."""
        return {}

    def notify(self, conn: Connection, channels: Sequence[str]) -> None:
        """Announce `channels` to other processes when the transaction commits."""
        return None  # by default only this process listens, and it is told in memory

    def snapshot_options(self) -> dict[str, Any]:
        """Execution options of a read transaction that sees every table as of one moment (a backup)."""
        return {}  # SQLite in WAL mode: a read transaction already reads one snapshot

    def reset_serial(self, conn: Connection, table: str, column: str) -> None:
        """After rows were inserted with explicit ids, make the next generated id follow the largest."""
        return None  # SQLite's INTEGER PRIMARY KEY takes the largest rowid + 1 by itself

    def lock_key(self, conn: Connection, key: str) -> None:
        """Hold a transaction-scoped lock on `key` (e.g. one flow id) until commit."""
        return None  # by default the write transaction is already exclusive (a single writer)

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        """Keep two processes from migrating the same database at once."""
        yield

    def database_now(self, conn: Connection) -> datetime:
        """The database server's clock, so that leases between hosts do not depend on their clocks."""
        return datetime.now(UTC)  # an embedded database shares this host's clock

    @abc.abstractmethod
    def has_label(self, data: Column[Any], key: str, value: str, n: int) -> ColumnElement[bool]:
        """The record JSON in `data` has the label key=value (`n` keeps bind names apart in one query)."""

    @abc.abstractmethod
    def quarter_hour(self, column: Column[Any]) -> ColumnElement[int]:
        """The quarter hour of a UtcDateTime column: Unix seconds // 900."""

    @abc.abstractmethod
    def seconds_between(self, start: Column[Any], end: Column[Any]) -> ColumnElement[float]:
        """`end - start` of two UtcDateTime columns, in seconds."""

    @abc.abstractmethod
    def micros_between(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
        """`end - start` of two UtcDateTime columns, in whole microseconds (exact: sums of it are too)."""

    @abc.abstractmethod
    def label_value(self, data: Column[Any], key: str) -> ColumnElement[str]:
        """The value of the label `key` in the record JSON in `data` (NULL when it has none)."""

    @abc.abstractmethod
    def date_bucket(self, column: ColumnElement[Any], unit: str) -> ColumnElement[datetime]:
        """A UtcDateTime truncated to the start of its `unit`: 'hour', 'day' or 'week' (weeks start on Monday)."""

    @abc.abstractmethod
    def json_elements(self, data: Column[Any], key: str, name: str) -> Any:
        """The elements of the JSON array `key` of `data` as a table `name` (column `value`), to join (ON true)
        after the table of `data`."""

    @abc.abstractmethod
    def json_text(self, element: Any, key: str) -> ColumnElement[str]:
        """The property `key` of a JSON object (an element of `json_elements`), as text."""


class SqliteDialect(Dialect):
    name = "sqlite"
    concurrent_writers = False
    keep_connections = True
    _locks: dict[str, threading.Lock] = {}
    _locks_guard = threading.Lock()

    def __init__(self, path: Path):
        self.path = path
        with self._locks_guard:
            self._lock = self._locks.setdefault(str(path), threading.Lock())

    def create_engine(self, pool_size: int) -> Engine:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            f"sqlite+pysqlite:///{self.path}",
            pool_size=pool_size, max_overflow=pool_size * 2,
            # Every transaction ends in an explicit commit or rollback; the pool need not roll back again.
            pool_reset_on_return=None,
            connect_args={"check_same_thread": False, "timeout": 30.0},
        )
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _insert(self, table: SaTable) -> Any:
        return sqlite.insert(table)

    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        # Threads queue here rather than in SQLite's sleeping busy handler (which waits up to 100 ms).
        with self._lock:
            yield

    def write_options(self) -> dict[str, Any]:
        return {"sqlite_begin": "BEGIN IMMEDIATE"}

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        with open(f"{self.path}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


    def has_label(self, data: Column[Any], key: str, value: str, n: int) -> ColumnElement[bool]:
        labels = func.json_each(data, "$.labels").table_valued("value").alias(f"lb{n}")
        return exists().where(func.json_extract(labels.c.value, "$.key") == key,
                              func.json_extract(labels.c.value, "$.value") == value)

    def quarter_hour(self, column: Column[Any]) -> ColumnElement[int]:
        # epoch microseconds (see UtcDateTime); integer division
        return type_coerce(column, BigInteger()) // 900_000_000

    def seconds_between(self, start: Column[Any], end: Column[Any]) -> ColumnElement[float]:
        micros = type_coerce(end, BigInteger()) - type_coerce(start, BigInteger())
        return cast(micros, Float()) / 1_000_000.0

    def micros_between(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
        return type_coerce(end, BigInteger()) - type_coerce(start, BigInteger())

    def label_value(self, data: Column[Any], key: str) -> ColumnElement[str]:
        labels = func.json_each(data, "$.labels").table_valued("value").alias("lbv")
        return (select(func.json_extract(labels.c.value, "$.value"))
                .where(func.json_extract(labels.c.value, "$.key") == key).limit(1).scalar_subquery())

    def date_bucket(self, column: ColumnElement[Any], unit: str) -> ColumnElement[datetime]:
        size = _BUCKETS[unit] * 1_000_000
        micros = type_coerce(column, BigInteger())
        # epoch microseconds; weeks are shifted so that they start on Monday (1970-01-01 was a Thursday)
        shift = 3 * 86_400_000_000 if unit == "week" else 0
        return type_coerce(((micros + shift) // size) * size - shift, UtcDateTime())

    def json_elements(self, data: Column[Any], key: str, name: str) -> Any:
        return func.json_each(data, f"$.{key}").table_valued("value").alias(name)

    def json_text(self, element: Any, key: str) -> ColumnElement[str]:
        return cast(func.json_extract(element, f"$.{key}"), Text())


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off: _sqlite_begin issues the right BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=OFF")
    # Big executions (a 10,000-item ForEach) outgrow SQLite's 2 MB default page cache; reading their
    # rows back from the OS then costs more per row as they grow. Memory is only used as pages are read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    # Checkpoint the WAL every ~40 MB instead of every 4 MB: bounded on disk, and a commit pays for a
    # checkpoint ten times less often. Never turning it off: an unbounded WAL slows every read as it grows.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # Straight to the driver: this runs for every transaction, and needs none of SQLAlchemy's processing.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


class PostgresDialect(Dialect):
    name = "postgresql"
    concurrent_writers = True
    dml_in_cte = True

    def __init__(self, url: str):
        self.url = url

    def create_engine(self, pool_size: int) -> Engine:
        return create_engine(
            self.url, pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=1800,
            connect_args={"options": "-c timezone=UTC"}, json_serializer=_pg_json_dumps,
        )

    def _insert(self, table: SaTable) -> Any:
        return postgresql.insert(table)

    def skip_locked(self, select: Select[Any], of: Column[Any] | SaTable | None = None) -> Select[Any]:
        return select.with_for_update(skip_locked=True, of=of)

    def read_options(self) -> dict[str, Any]:
        # Under READ COMMITTED every statement takes its own snapshot, so a read transaction gives no more
        # consistency than autocommit statements; it would only cost a ROLLBACK round trip at the end.
        return {"isolation_level": "AUTOCOMMIT"}

    def snapshot_options(self) -> dict[str, Any]:
        # One snapshot for the whole transaction (READ COMMITTED takes one per statement).
        return {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}

    def reset_serial(self, conn: Connection, table: str, column: str) -> None:
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:t, :c), "  # noqa: S608 - names from the schema
                          f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"), {"t": table, "c": column})

    def notify(self, conn: Connection, channels: Sequence[str]) -> None:
        if channels:  # one round trip for all of them
            conn.execute(_notify(len(channels)), {f"c{i}": pg_channel(c) for i, c in enumerate(channels)})

    def lock_key(self, conn: Connection, key: str) -> None:
        conn.execute(_XACT_LOCK, {"key": key})

    @contextlib.contextmanager
    def migration_lock(self, conn: Connection) -> Iterator[None]:
        conn.execute(_MIGRATION_LOCK)
        conn.commit()
        try:
            yield
        finally:
            conn.execute(_MIGRATION_UNLOCK)
            conn.commit()


    def database_now(self, conn: Connection) -> datetime:
        value: datetime = conn.execute(_CLOCK).scalar_one()
        return value.astimezone(UTC)

    def has_label(self, data: Column[Any], key: str, value: str, n: int) -> ColumnElement[bool]:
        wanted = _dumps({"labels": [{"key": key, "value": value}]})
        return data.op("@>")(cast(literal(wanted), postgresql.JSONB()))

    def quarter_hour(self, column: Column[Any]) -> ColumnElement[int]:
        return cast(func.floor(func.extract("epoch", column) / 900), BigInteger())

    def seconds_between(self, start: Column[Any], end: Column[Any]) -> ColumnElement[float]:
        return cast(func.extract("epoch", end - start), Float())

    def micros_between(self, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[int]:
        return cast(func.extract("epoch", end - start) * 1_000_000, BigInteger())

    def label_value(self, data: Column[Any], key: str) -> ColumnElement[str]:
        found = func.jsonb_path_query_first(data, literal("$.labels[*] ? (@.key == $k)", postgresql.JSONPATH()),
                                            func.jsonb_build_object("k", key))
        return func.jsonb_extract_path_text(found, "value")

    def date_bucket(self, column: ColumnElement[Any], unit: str) -> ColumnElement[datetime]:
        return type_coerce(func.date_trunc(unit, column), UtcDateTime())

    def json_elements(self, data: Column[Any], key: str, name: str) -> Any:
        return func.jsonb_array_elements(func.jsonb_extract_path(data, key)).table_valued("value").lateral(name)

    def json_text(self, element: Any, key: str) -> ColumnElement[str]:
        return func.jsonb_extract_path_text(element, key)


@functools.cache
def _notify(n: int) -> Any:
    return text("SELECT " + ", ".join(f"pg_notify(:c{i}, '')" for i in range(n)))


_CLOCK = text("SELECT clock_timestamp()")
_XACT_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
_MIGRATION_LOCK = text("SELECT pg_advisory_lock(hashtext('legato:migrate'))")
_MIGRATION_UNLOCK = text("SELECT pg_advisory_unlock(hashtext('legato:migrate'))")


def pg_channel(channel: str) -> str:
    """The PostgreSQL NOTIFY channel for a Wakeups channel."""
    return f"legato_{channel}"


def for_url(url: str) -> Dialect:
    """The dialect for a store URL: sqlite:///path/to.db or postgresql://user@host:port/db."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise StoreURLError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
            raise StoreURLError(f"SQLite store needs a file path (sqlite:////abs/path.db), got {url!r}")
        return SqliteDialect(Path(parsed.database).expanduser().resolve())
    if backend in ("postgresql", "postgres"):
        return PostgresDialect(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    raise StoreURLError(f"unsupported store URL {url!r}: use sqlite:///path or postgresql://user@host/db")
