"""SQL query triggers: run `sql` every `interval` and start the flow when it returns rows (PostgreSQL,
MySQL/MariaDB, SQLite), Kestra's JDBC triggers with their JDBC URLs.

`fetchType` says what the execution gets: FETCH → `trigger.rows` (every row as a map), FETCH_ONE →
`trigger.row`, STORE → `trigger.uri` (a file in internal storage, one JSON row per line), NONE → only
`trigger.size`, the number of rows, which every mode gives. As in Kestra, the trigger fires at each poll
that returns rows and never while its previous execution runs, so a flow either consumes the rows (delete
or mark them) or keeps its own cursor, for example in the KV store:

    sql: "SELECT * FROM orders WHERE id > {{ kv('orders_cursor', errorOnMissing=false) ?? 0 }} ORDER BY id"
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field

from legato.model.durations import format_duration
from legato.model.task import TRIGGERS
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]


class SqlTriggerError(ValueError):
    """The trigger's URL or settings cannot work; the message says which property."""


class _SqlTrigger(PollingTrigger):
    """Properties every SQL query trigger has."""

    SCHEMES: ClassVar[tuple[str, ...]] = ()

    url: str = Field(description="JDBC URL of the database (rendered), e.g. jdbc:postgresql://host:5432/db.")
    username: str | None = Field(default=None, description="User name (rendered).")
    password: str | None = Field(default=None, description="Password (rendered).")
    sql: str = Field(description="The query (rendered); the trigger fires when it returns rows.")
    fetchType: FetchType = Field(default="NONE", description="FETCH: rows in trigger.rows; FETCH_ONE: first row in trigger.row; STORE: rows in a file at trigger.uri; NONE: only trigger.size.")
    fetch: bool = Field(default=False, description="Deprecated: fetchType FETCH.")
    fetchOne: bool = Field(default=False, description="Deprecated: fetchType FETCH_ONE.")
    store: bool = Field(default=False, description="Deprecated: fetchType STORE.")
    fetchSize: int = Field(default=10000, ge=1, description="Rows read from the database per round trip.")
    timeZoneId: str | None = Field(default=None, description="Kestra compatibility: accepted; times are returned as the driver gives them.")

    def mode(self) -> FetchType:
        """fetchType, or what the deprecated booleans ask for."""
        if self.fetchOne:
            return "FETCH_ONE"
        if self.store:
            return "STORE"
        if self.fetch:
            return "FETCH"
        return self.fetchType

    def source(self) -> PollingSource:
        return _SqlSource(self)

    def connect(self, url: str, username: str | None, password: str | None) -> Any:
        """A DB-API connection (blocking)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement connect()")


@TRIGGERS.register
class PostgresTrigger(_SqlTrigger):
    """Start the flow when a PostgreSQL query returns rows."""

    TYPE: ClassVar[str] = "jdbc.postgresql.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jdbc.postgresql.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: new_orders
    type: io.kestra.plugin.jdbc.postgresql.Trigger
    url: jdbc:postgresql://127.0.0.1:5432/shop
    username: shop
    password: "{{ secret('SHOP_DB_PASSWORD') }}"
    sql: SELECT * FROM orders WHERE processed = false
    fetchType: FETCH
    interval: PT1M
""",
    )

    def connect(self, url: str, username: str | None, password: str | None) -> Any:
        import psycopg

        target = strip_jdbc(url, ("postgresql", "postgres"), self.id)
        extra: dict[str, Any] = {k: v for k, v in (("user", username), ("password", password)) if v is not None}
        return psycopg.connect(target, autocommit=True, connect_timeout=30, **extra)


@TRIGGERS.register
class MySqlTrigger(_SqlTrigger):
    """Start the flow when a MySQL or MariaDB query returns rows."""

    TYPE: ClassVar[str] = "jdbc.mysql.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jdbc.mysql.Trigger", "io.kestra.plugin.jdbc.mariadb.Trigger")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: new_rows
    type: io.kestra.plugin.jdbc.mysql.Trigger
    url: jdbc:mysql://127.0.0.1:3306/shop
    username: shop
    password: "{{ secret('SHOP_DB_PASSWORD') }}"
    sql: SELECT * FROM orders WHERE id > {{ kv('orders_cursor', errorOnMissing=false) ?? 0 }} ORDER BY id
    fetchType: FETCH
""",
    )

    def connect(self, url: str, username: str | None, password: str | None) -> Any:
        import pymysql

        parts = urlsplit(strip_jdbc(url, ("mysql", "mariadb"), self.id))
        query = dict(parse_qsl(parts.query))
        return pymysql.connect(
            host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
            user=username or (unquote(parts.username) if parts.username else None) or query.get("user"),
            password=password or (unquote(parts.password) if parts.password else None) or query.get("password") or "",
            database=parts.path.lstrip("/") or None, connect_timeout=30, autocommit=True,
        )


@TRIGGERS.register
class SqliteTrigger(_SqlTrigger):
    """Start the flow when a SQLite query returns rows."""

    TYPE: ClassVar[str] = "jdbc.sqlite.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.jdbc.sqlite.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: pending
    type: io.kestra.plugin.jdbc.sqlite.Trigger
    url: jdbc:sqlite:/data/app.db
    sql: SELECT * FROM jobs WHERE state = 'PENDING'
    fetchType: FETCH_ONE
    interval: PT30S
""",
    )

    def connect(self, url: str, username: str | None, password: str | None) -> Any:
        text = url.strip()
        for prefix in ("jdbc:sqlite:", "sqlite:///", "sqlite:"):
            if text.startswith(prefix):
                text = text[len(prefix):]
                break
        else:
            raise SqlTriggerError(f"trigger '{self.id}': url must start with jdbc:sqlite: (got {url!r})")
        if not text or text == ":memory:":
            raise SqlTriggerError(f"trigger '{self.id}': url must name a database file (an in-memory database is always empty)")
        path = Path(text)
        if not path.exists():
            raise SqlTriggerError(f"trigger '{self.id}': database file {path} does not exist")
        return sqlite3.connect(path, timeout=30)


class _SqlSource:
    def __init__(self, trigger: _SqlTrigger):
        self.trigger = trigger

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        url, user, password, sql = (ctx.render(v) for v in (t.url, t.username, t.password, t.sql))
        return await asyncio.to_thread(self._run, ctx, str(url), _opt(user), _opt(password), str(sql))

    def _run(self, ctx: TriggerContext, url: str, user: str | None, password: str | None, sql: str) -> Poll | None:
        mode = self.trigger.mode()
        connection = self.trigger.connect(url, user, password)
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql)
                if cursor.description is None:
                    return None  # not a query
                columns = _column_names(cursor.description)
                if mode == "STORE":
                    return self._stored(ctx, columns, cursor)
                rows = [_row(columns, r) for r in _batches(cursor, self.trigger.fetchSize)]
            finally:
                cursor.close()
        finally:
            connection.close()
        if not rows:
            return None
        variables: dict[str, Any] = {"size": len(rows)}
        if mode == "FETCH":
            variables["rows"] = rows
        elif mode == "FETCH_ONE":
            variables["row"] = rows[0]
        return Poll(variables=variables)

    def _stored(self, ctx: TriggerContext, columns: list[str], cursor: Any) -> Poll | None:
        lines = [json.dumps(_row(columns, r), separators=(",", ":")) for r in _batches(cursor, self.trigger.fetchSize)]
        if not lines:
            return None
        if ctx.storage is None:
            raise SqlTriggerError(f"trigger '{self.trigger.id}': fetchType STORE needs internal storage")
        uri = ctx.storage.put(ctx.file_uri("rows.ion"), ("\n".join(lines) + "\n").encode())
        return Poll(variables={"size": len(lines), "uri": uri})


def strip_jdbc(url: str, schemes: Sequence[str], trigger_id: str) -> str:
    """`jdbc:<scheme>://…` (or `<scheme>://…`) → `<scheme>://…`; SqlTriggerError for another database."""
    text = url.strip().removeprefix("jdbc:")
    scheme = text.split(":", 1)[0].lower()
    if scheme not in schemes or "://" not in text:
        wanted = " or ".join(f"jdbc:{s}://host:port/database" for s in schemes)
        raise SqlTriggerError(f"trigger '{trigger_id}': url must look like {wanted} (got {url!r})")
    return text


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _column_names(description: Sequence[Any]) -> list[str]:
    names: list[str] = []
    for column in description:
        name = str(column[0])
        names.append(name if name not in names else f"{name}_{len(names)}")
    return names


def _batches(cursor: Any, size: int) -> Iterator[Sequence[Any]]:
    while True:
        batch = cursor.fetchmany(size)
        if not batch:
            return
        yield from batch


def _row(columns: list[str], values: Sequence[Any]) -> dict[str, Any]:
    return {c: _jsonable(v) for c, v in zip(columns, values, strict=True)}


def _jsonable(value: Any) -> Any:
    """A database value as JSON-safe data (dates as ISO text, decimals as numbers, bytes as base64)."""
    match value:
        case None | bool() | int() | float() | str():
            return value
        case Decimal():
            return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
        case dt.datetime() | dt.date() | dt.time():
            return value.isoformat()
        case dt.timedelta():
            return format_duration(value)
        case bytes() | bytearray() | memoryview():
            return base64.b64encode(bytes(value)).decode()
        case uuid.UUID():
            return str(value)
        case list() | tuple():
            return [_jsonable(v) for v in value]
        case dict():
            return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
