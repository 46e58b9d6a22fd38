"""One driver per database: how to open a DB-API connection from a JDBC URL, the driver's placeholder, a
cursor that streams (server-side) for fetchType STORE, and how to cancel a running statement.

Drivers import their client library only when they connect; a missing one fails with the line to run
(`pip install 'legato[snowflake]'`, `'legato[mysql]'`). PostgreSQL, SQLite and DuckDB ship with Legato.
"""

from __future__ import annotations

import importlib
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from legato.plugins.jdbc import sqltext
from legato.plugins.jdbc.urls import JdbcUrl


class DriverError(RuntimeError):
    """The database cannot be reached or its client library is missing; the message says what to do."""


@dataclass(frozen=True)
class Connect:
    """What a driver needs besides the URL."""

    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    workdir: Path | None = None  # embedded databases: relative file names resolve here
    extra: dict[str, Any] = field(default_factory=dict)  # per-database task properties (ssl, warehouse...)


@dataclass
class Session:
    """An open connection in a transaction, with what the engine needs of its driver."""

    driver: Driver
    raw: Any
    cancel: Callable[[], None]
    stopped: Callable[[], bool] = lambda: False  # the task was killed or timed out: start no statement

    def cursor(self, stream: bool = False) -> Any:
        return self.driver.cursor(self.raw, stream)

    def commit(self) -> None:
        self.driver.commit(self.raw)

    def rollback(self) -> None:
        self.driver.rollback(self.raw)

    def close(self) -> None:
        self.raw.close()


def load(module: str, package: str) -> Any:
    """Import a driver's client library, or say which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DriverError(f"the database driver {module!r} is not installed: run pip install '{package}'") from None


class Driver(ABC):
    """Base of the drivers; subclasses set the class attributes and `open`."""

    name: ClassVar[str]
    subprotocols: ClassVar[tuple[str, ...]]
    marker: ClassVar[str] = "%s"  # positional placeholder of the DB-API paramstyle
    package: ClassVar[str] = "legato"

    @abstractmethod
    def open(self, url: JdbcUrl, how: Connect) -> Session:
        """A session on the database `url` names."""

    def cursor(self, raw: Any, stream: bool) -> Any:
        return raw.cursor()

    def commit(self, raw: Any) -> None:
        raw.commit()

    def rollback(self, raw: Any) -> None:
        raw.rollback()

    def has_result(self, cursor: Any, statement: str) -> bool:
        """Whether the statement just executed returned rows to read (a query, or DML with RETURNING)."""
        return cursor.description is not None

    def json_lines(self, raw: Any, query: str, args: list[Any] | None) -> Iterator[tuple[bytes, int]] | None:
        """The rows of a query as blocks of JSON lines (with their count) made by the database itself, or
        None when it cannot."""
        return None


class PostgresDriver(Driver):
    name = "PostgreSQL"
    subprotocols = ("postgresql",)
    PORT: ClassVar[int] = 5432
    SSL_MODES: ClassVar[dict[str, str]] = {"DISABLE": "disable", "ALLOW": "allow", "PREFER": "prefer",
                                            "REQUIRE": "require", "VERIFY_CA": "verify-ca", "VERIFY_FULL": "verify-full"}
    _PASSED = ("sslmode", "sslrootcert", "sslcert", "sslkey", "application_name", "options", "target_session_attrs")

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        psycopg = load("psycopg", "psycopg[binary]")
        user, password = url.credentials(how.username, how.password)
        args: dict[str, Any] = {k: v for k, v in url.params.items() if k in self._PASSED}
        if url.params.get("ssl", "").lower() == "true" or how.extra.get("ssl"):
            args.setdefault("sslmode", "require")
        if how.extra.get("sslMode"):
            args["sslmode"] = self.SSL_MODES[str(how.extra["sslMode"])]
        if schema := url.params.get("currentSchema"):
            args["options"] = f"{args.get('options', '')} -c search_path={schema}".strip()
        with tempfile.TemporaryDirectory(prefix="legato-pgssl-") as certs:
            # libpq reads certificates from files, Kestra's properties hold their PEM text.
            for prop, key in (("sslRootCert", "sslrootcert"), ("sslCert", "sslcert"), ("sslKey", "sslkey")):
                if how.extra.get(prop):
                    path = Path(certs) / key
                    path.write_text(str(how.extra[prop]))
                    path.chmod(0o600)
                    args[key] = str(path)
            if how.extra.get("sslKeyPassword"):
                args["sslpassword"] = str(how.extra["sslKeyPassword"])
            try:
                raw = psycopg.connect(host=url.host, port=url.port or self.PORT, dbname=url.database or user or "postgres",
                                      user=user, password=password, connect_timeout=max(1, int(how.timeout)),
                                      autocommit=False, **args)
            except psycopg.Error as exc:
                raise DriverError(f"cannot connect to {self.name} at {url.host}:{url.port or self.PORT}: {_first_line(exc)}") from None
        return Session(self, raw, lambda: raw.cancel_safe(timeout=5))

    def json_lines(self, raw: Any, query: str, args: list[Any] | None) -> Iterator[tuple[bytes, int]]:
        # The server encodes each row (row_to_json) and streams them with COPY: the Python side only moves
        # bytes. Intervals come as ISO-8601 durations, as the Python conversion gives them.
        from psycopg import ClientCursor

        from legato.plugins.jdbc import pgcopy

        with raw.cursor() as cursor:
            cursor.execute("SET LOCAL IntervalStyle = 'iso_8601'")
        statement = f"COPY (SELECT row_to_json(legato_row) FROM ({query}) AS legato_row) TO STDOUT"  # noqa: S608 - the flow's own query, as with Query
        text = ClientCursor(raw).mogrify(statement, args) if args else statement
        for block, count in pgcopy.rows(raw, text.encode()):
            # COPY's text format doubles backslashes; JSON text has no other character it would escape.
            yield b"".join(block).replace(b"\\\\", b"\\"), count

    def cursor(self, raw: Any, stream: bool) -> Any:
        # A named cursor is a server-side one: rows come fetchSize at a time, never all in memory.
        return raw.cursor(name="legato_store") if stream else raw.cursor()


class MySqlDriver(Driver):
    name = "MySQL/MariaDB"
    subprotocols = ("mysql", "mariadb")

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        pymysql = load("pymysql", "legato[mysql]")
        user, password = url.credentials(how.username, how.password)
        settings: dict[str, Any] = {"host": url.host, "port": url.port or 3306, "user": user, "password": password or "",
                                    "database": url.database, "connect_timeout": how.timeout, "charset": "utf8mb4",
                                    "local_infile": bool(how.extra.get("local_infile"))}
        try:
            raw = pymysql.connect(autocommit=False, **settings)
        except pymysql.MySQLError as exc:
            raise DriverError(f"cannot connect to MySQL at {url.host}:{url.port or 3306}: {_first_line(exc)}") from None
        thread = raw.thread_id()

        def cancel() -> None:
            # MySQL stops a statement only from another connection.
            other = pymysql.connect(**settings)
            try:
                with other.cursor() as cur:
                    cur.execute("KILL QUERY %s", (thread,))
            finally:
                other.close()

        return Session(self, raw, cancel)

    def cursor(self, raw: Any, stream: bool) -> Any:
        if stream:
            import pymysql.cursors

            return raw.cursor(pymysql.cursors.SSCursor)
        return raw.cursor()


def _embedded_path(url: JdbcUrl, how: Connect) -> str:
    if not url.path or url.path.startswith(("md:", "motherduck:")):
        return url.path
    path = Path(url.path)
    if not path.is_absolute() and how.workdir is not None:
        path = how.workdir / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


class SqliteDriver(Driver):
    name = "SQLite"
    subprotocols = ("sqlite",)
    marker = "?"

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        import sqlite3

        target = _embedded_path(url, how) or ":memory:"
        # Transactions are ours (BEGIN/COMMIT), so DDL is transactional too.
        raw = sqlite3.connect(target, timeout=how.timeout, isolation_level=None, check_same_thread=False)
        raw.execute("BEGIN")
        return Session(self, raw, raw.interrupt)

    def commit(self, raw: Any) -> None:
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute("BEGIN")

    def rollback(self, raw: Any) -> None:
        if raw.in_transaction:
            raw.execute("ROLLBACK")


class DuckDbDriver(Driver):
    name = "DuckDB"
    subprotocols = ("duckdb",)
    marker = "?"
    _COUNTED = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "CREATE"})

    def open(self, url: JdbcUrl, how: Connect) -> Session:
        duckdb = load("duckdb", "duckdb")
        target = _embedded_path(url, how) or ":memory:"
        config = {k: v for k, v in url.params.items()}
        try:
            raw = duckdb.connect(target, config=config)
        except duckdb.Error as exc:
            raise DriverError(f"cannot open DuckDB database {target!r}: {_first_line(exc)}") from None
        if how.workdir is not None:
            # Relative file names in the SQL (read_csv('data.csv')) are those of the task's working directory.
            raw.execute("SET file_search_path = ?", [str(how.workdir)])
        raw.begin()
        return Session(self, raw, raw.interrupt)

    def cursor(self, raw: Any, stream: bool) -> Any:
        return _DuckCursor(raw)

    def commit(self, raw: Any) -> None:
        raw.commit()
        raw.begin()

    def has_result(self, cursor: Any, statement: str) -> bool:
        # DuckDB answers DML with one row `Count`; JDBC (and so Kestra) sees an update count, no rows.
        if cursor.description is None:
            return False
        return not (sqltext.first_keyword(statement) in self._COUNTED and len(cursor.description) == 1
                    and cursor.description[0][0] == "Count" and "RETURNING" not in statement.upper())


class _DuckCursor:
    """The connection itself (a DuckDB cursor would be another connection, outside our transaction)."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def execute(self, sql: str, params: Any = None) -> None:
        self._raw.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> None:
        self._raw.executemany(sql, rows)

    @property
    def description(self) -> Any:
        return self._raw.description

    @property
    def rowcount(self) -> int:
        return -1

    def fetchone(self) -> Any:
        return self._raw.fetchone()

    def fetchmany(self, size: int) -> Any:
        return self._raw.fetchmany(size)

    def close(self) -> None:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
