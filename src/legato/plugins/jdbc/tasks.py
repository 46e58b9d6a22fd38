"""The JDBC task kinds every database shares, with Kestra's property names and defaults: `Query` (one
statement, `afterSQL` in the same transaction), `Queries` (several, one transaction by default) and `Batch`
(rows of a stored file inserted with a prepared statement). Each database module subclasses them with its
driver, its type names and its own properties (legato.plugins.jdbc.postgresql, .mysql, .sqlite, .duckdb, ...).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.jdbc import engine, urls, values
from legato.plugins.jdbc.drivers import Connect, Driver, DriverError, Session
from legato.plugins.jdbc.engine import FetchType
from legato.plugins.jdbc.workspace import Workspace, put
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional

_FAILURES = (engine.SqlFailed, DriverError, urls.JdbcUrlError, ValueError)


class JdbcConnection(RunnableTask):
    """Connection properties of every JDBC task."""

    DRIVER: ClassVar[Driver]
    EMBEDDED: ClassVar[bool] = False  # the database runs in the worker (SQLite, DuckDB): a working directory

    url: str = Field(description="JDBC URL of the database (rendered), e.g. jdbc:postgresql://127.0.0.1:5432/db.")
    username: str | None = Field(default=None, description="User name (rendered); else the one in the URL.")
    password: str | None = Field(default=None, description="Password (rendered); else the one in the URL.")
    timeZoneId: str | None = Field(default=None, description="Time zone of timestamps without one (e.g. Europe/Paris); "
                                   "timestamps are given in it.")
    connectionPooling: bool | Expression = Field(default=True, description="Kestra compatibility: accepted; "
                                                 "Legato opens one connection per task run and closes it.")
    connectionPoolSize: int | Expression = Field(default=10, description="Kestra compatibility: accepted, see connectionPooling.")

    def connect_extra(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        """Database-specific connection settings from the task's own properties (SSL, warehouse...)."""
        return {}

    def prepare(self, ctx: RunContext, ws: Workspace) -> str:
        """Stage files the SQL needs and return the JDBC URL to open (rendered)."""
        return ctx.render_string(self.url)

    def finish(self, ctx: RunContext, ws: Workspace, url: str) -> dict[str, Any]:
        """Outputs beyond the query's own (stored database file, output files)."""
        return {}

    def tz(self, ctx: RunContext) -> Any:
        return values.zone(ctx.render_string(self.timeZoneId) if self.timeZoneId else None)

    @contextlib.contextmanager
    def opened(self, ctx: RunContext) -> Iterator[tuple[Workspace, urls.JdbcUrl, Connect]]:
        """The workspace, the parsed URL and the connection settings, with every failure as TaskFailed."""
        ws = Workspace.open(ctx)
        try:
            with failures():
                url_text = self.prepare(ctx, ws)
                parsed = urls.parse(url_text, self.DRIVER.subprotocols)
                how = Connect(username=_opt(ctx, self.username), password=_opt(ctx, self.password), timeout=30.0,
                              workdir=ws.dir if self.EMBEDDED else None, extra=self.connect_extra(ctx.render))
                ws.variables["__url"] = url_text
                yield ws, parsed, how
        finally:
            ws.close()


@contextlib.contextmanager
def failures() -> Iterator[None]:
    """Database, URL and setting errors as TaskFailed with their message."""
    try:
        yield
    except _FAILURES as exc:
        raise TaskFailed(str(exc)) from None


def _opt(ctx: RunContext, value: str | None) -> str | None:
    return None if value is None else ctx.render_string(value)


class _Fetching(JdbcConnection):
    """What Query and Queries share."""

    sql: str = Field(description="The SQL (rendered); `:name` placeholders take their value from `parameters`.")
    parameters: dict[str, Any] | Expression | None = Field(
        default=None, description="Values bound to the `:name` placeholders of `sql` as prepared-statement parameters "
        "(never spliced into the SQL text).")
    fetchType: FetchType | Expression = Field(default="NONE", description="FETCH: every row in `rows`; FETCH_ONE: the "
                                              "first in `row`; STORE: a file of rows at `uri` (one per line); NONE: nothing.")
    fetch: bool = Field(default=False, description="Deprecated: fetchType FETCH.")
    fetchOne: bool = Field(default=False, description="Deprecated: fetchType FETCH_ONE.")
    store: bool = Field(default=False, description="Deprecated: fetchType STORE.")
    fetchSize: int | Expression = Field(default=10_000, description="Rows read per round trip (STORE reads with a "
                                        "server-side cursor, this many at a time).")
    outputFiles: list[str] | None = Field(default=None, description="SQLite and DuckDB: files the SQL writes "
                                          "(`{{ outputFiles.<name> }}` is each one's path), stored after the run.")

    @model_validator(mode="after")
    def _output_files_embedded(self) -> _Fetching:
        if self.outputFiles and not self.EMBEDDED:
            raise ValueError("outputFiles is only for databases running in the worker (SQLite, DuckDB): "
                             "a database server cannot write to the worker's files")
        return self

    def fetch_settings(self, ctx: RunContext) -> engine.Fetch:
        mode: FetchType
        if self.fetch:
            mode = "FETCH"
        elif self.fetchOne:
            mode = "FETCH_ONE"
        elif self.store:
            mode = "STORE"
        else:
            mode = render_as(ctx, self.fetchType, FetchType, "fetchType")
        size = int(render_as(ctx, self.fetchSize, int, "fetchSize"))
        if size < 1:
            raise TaskFailed("property 'fetchSize' must be at least 1")
        with failures():
            return engine.Fetch(mode, size, self.tz(ctx))

    def bound(self, ctx: RunContext) -> dict[str, Any] | None:
        rendered = render_optional(ctx, self.parameters, dict[str, Any], "parameters")
        return None if rendered is None else dict(rendered)

    def sql_text(self, ctx: RunContext, ws: Workspace, value: str) -> str:
        variables = {k: v for k, v in ws.variables.items() if not k.startswith("__")}
        return str(ctx.render_string(value) if not variables else _render_text(ctx, value, variables))

    def storer(self, ctx: RunContext) -> engine.Store:
        counter = itertools.count()

        def store(path: Path) -> str:
            n = next(counter)
            return put(ctx, path, f"{ctx.task_run.task_id}{'' if n == 0 else f'-{n}'}.ion")

        return store


def _render_text(ctx: RunContext, value: str, variables: dict[str, Any]) -> str:
    rendered = ctx.render_with(value, variables)
    return rendered if isinstance(rendered, str) else str(rendered)


class QueryTask(_Fetching):
    """Run one SQL statement; with `afterSQL`, run that one next in the same transaction."""

    afterSQL: str | None = Field(default=None, description="One statement run after `sql` in the same transaction "
                                 "(e.g. mark the fetched rows as processed); both commit together or neither does.")
    autoCommit: bool | Expression = Field(default=True, description="Deprecated in Kestra (0.22), still accepted: "
                                          "false opens the connection without auto-commit and closes it without a "
                                          "commit, so what `sql` and `afterSQL` change is rolled back (a read-only "
                                          "query is unaffected); a STORE fetch ignores it and commits.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        fetch = self.fetch_settings(ctx)
        parameters = self.bound(ctx)
        commit = fetch.mode == "STORE" or bool(render_as(ctx, self.autoCommit, bool, "autoCommit"))
        with self.opened(ctx) as (ws, url, how):
            if self.outputFiles:
                ws.declare_outputs([ctx.render_string(n) for n in self.outputFiles])
            sql = self.sql_text(ctx, ws, self.sql)
            after = None if self.afterSQL is None else self.sql_text(ctx, ws, self.afterSQL)
            store = self.storer(ctx)
            ctx.logger.debug(f"Starting query: {sql}")

            def work(cancel: engine.Cancel) -> dict[str, Any]:
                with session(self.DRIVER, url, how, cancel) as s:
                    return engine.run_query(s, sql, after, parameters, fetch, store, commit)

            outputs = await engine.in_thread(work)
            if ws.outputs:
                outputs["outputFiles"] = ws.upload_outputs(ctx)
            outputs.update(self.finish(ctx, ws, ws.variables["__url"]))
        return outputs


class QueriesTask(_Fetching):
    """Run several SQL statements separated by `;`, in one transaction unless `transaction` is false."""

    transaction: bool | Expression = Field(default=True, description="Run every statement in one transaction: all "
                                           "commit or, at the first failure, none does. False: each commits on its own.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        fetch = self.fetch_settings(ctx)
        parameters = self.bound(ctx)
        transaction = bool(render_as(ctx, self.transaction, bool, "transaction"))
        with self.opened(ctx) as (ws, url, how):
            if self.outputFiles:
                ws.declare_outputs([ctx.render_string(n) for n in self.outputFiles])
            sql = self.sql_text(ctx, ws, self.sql)
            store = self.storer(ctx)

            def work(cancel: engine.Cancel) -> list[dict[str, Any]]:
                with session(self.DRIVER, url, how, cancel) as s:
                    return engine.run_queries(s, sql, parameters, fetch, store, transaction, cancel)

            results = await engine.in_thread(work)
            outputs: dict[str, Any] = {"outputs": results}
            if ws.outputs:
                outputs["outputFiles"] = ws.upload_outputs(ctx)
            outputs.update(self.finish(ctx, ws, ws.variables["__url"]))
        return outputs


@contextlib.contextmanager
def session(driver: Driver, url: urls.JdbcUrl, how: Connect, cancel: engine.Cancel) -> Iterator[Session]:
    """A session whose statement `cancel` can stop; closed at the end."""
    opened = driver.open(url, how)
    opened.stopped = cancel
    cancel.session = opened
    try:
        yield opened
    finally:
        cancel.session = None
        opened.close()
