"""Kestra's JDBC polling trigger: run `sql` every `interval` and start the flow when it returns rows.

It runs through the same engine as the Query task. `fetchType` says what the execution gets: FETCH (the
default, as in Kestra) → `trigger.rows`, FETCH_ONE → `trigger.row`, STORE → `trigger.uri` (a file in internal
storage, one row per line); every mode gives `trigger.size`, and NONE (older Kestra flows) only that. As in
Kestra the trigger fires at each poll that returns rows, never while its previous execution runs, so a flow
either consumes the rows (`afterSQL: UPDATE ... SET processed = true`, committed with the query) or keeps a
cursor, for example in the KV store:

    sql: "SELECT * FROM orders WHERE id > {{ kv('orders_cursor', errorOnMissing=false) ?? 0 }} ORDER BY id"
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.jdbc import engine, urls, values
from legato.plugins.jdbc.drivers import Connect, Driver
from legato.plugins.jdbc.engine import FetchType
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


class JdbcTriggerError(ValueError):
    """The trigger's URL or settings cannot work; the message says which property."""


class JdbcTrigger(PollingTrigger):
    """Properties of every JDBC polling trigger."""

    DRIVER: ClassVar[Driver]
    EMBEDDED: ClassVar[bool] = False

    url: str = Field(description="JDBC URL of the database (rendered), e.g. jdbc:postgresql://host:5432/db.")
    username: str | None = Field(default=None, description="User name (rendered).")
    password: str | None = Field(default=None, description="Password (rendered).")
    sql: str = Field(description="The query (rendered); the trigger fires when it returns rows.")
    afterSQL: str | None = Field(default=None, description="One statement run after `sql` in the same transaction "
                                 "when it returned rows (e.g. mark them processed).")
    parameters: dict[str, Any] | None = Field(default=None, description="Values of the `:name` placeholders of `sql`.")
    fetchType: FetchType = Field(default="FETCH", description="FETCH: rows in trigger.rows; FETCH_ONE: first row in "
                                 "trigger.row; STORE: rows in a file at trigger.uri; NONE: only trigger.size.")
    fetch: bool = Field(default=False, description="Deprecated: fetchType FETCH.")
    fetchOne: bool = Field(default=False, description="Deprecated: fetchType FETCH_ONE.")
    store: bool = Field(default=False, description="Deprecated: fetchType STORE.")
    fetchSize: int = Field(default=10000, ge=1, description="Rows read from the database per round trip.")
    timeZoneId: str | None = Field(default=None, description="Time zone of timestamps without one.")
    connectionPooling: bool = Field(default=True, description="Kestra compatibility: accepted; one connection per poll.")
    connectionPoolSize: int = Field(default=10, description="Kestra compatibility: accepted.")

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
        return _Source(self)

    def connect_extra(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        """Database-specific connection settings from the trigger's own properties (SSL, warehouse...)."""
        return {}

    def target(self, url: str) -> urls.JdbcUrl:
        """The parsed URL; an embedded database must be an existing file (an in-memory one is always empty)."""
        try:
            parsed = urls.parse(url, self.DRIVER.subprotocols)
        except urls.JdbcUrlError as exc:
            raise JdbcTriggerError(f"trigger '{self.id}': {exc}") from None
        if self.EMBEDDED and not parsed.path.startswith("md:"):
            if not parsed.path:
                raise JdbcTriggerError(f"trigger '{self.id}': url must name a database file (an in-memory database is always empty)")
            if not Path(parsed.path).exists():
                raise JdbcTriggerError(f"trigger '{self.id}': database file {parsed.path} does not exist")
        return parsed


class _Source:
    def __init__(self, trigger: JdbcTrigger):
        self.trigger = trigger

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        t = self.trigger
        rendered = [ctx.render(v) for v in (t.url, t.username, t.password, t.sql, t.afterSQL)]
        url, user, password, sql, after = (None if v is None else str(v) for v in rendered)
        assert url is not None and sql is not None
        parameters = None if t.parameters is None else dict(ctx.render(t.parameters))
        return await asyncio.to_thread(self._run, ctx, url, user, password, sql, after, parameters)

    def _run(self, ctx: TriggerContext, url: str, user: str | None, password: str | None, sql: str,
             after: str | None, parameters: dict[str, Any] | None) -> Poll | None:
        t = self.trigger
        mode = t.mode()
        fetch = engine.Fetch("FETCH" if mode == "NONE" else mode, t.fetchSize, values.zone(t.timeZoneId))
        session = t.DRIVER.open(t.target(url), Connect(username=user, password=password, extra=t.connect_extra(ctx.render)))
        try:
            found = engine.execute(session, sql, parameters, fetch, lambda path: self._store(ctx, path))
            if not found or not found.get("size"):
                session.rollback()
                return None
            if after and after.strip():
                engine.execute(session, after, parameters, engine.Fetch("NONE"), lambda path: "")
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        if mode == "NONE":
            found = {"size": found["size"]}
        return Poll(variables=found)

    def _store(self, ctx: TriggerContext, path: Path) -> str:
        if path.stat().st_size == 0:
            return ""
        if ctx.storage is None:
            raise JdbcTriggerError(f"trigger '{self.trigger.id}': fetchType STORE needs internal storage")
        return ctx.storage.put_file(ctx.file_uri("rows.ion"), path)
