"""PostgreSQL's COPY as Kestra's `CopyIn` (a stored file into a table) and `CopyOut` (a table or a query to a
stored file), streamed in 1 MiB blocks through psycopg: neither side is ever held in memory.

The COPY options map one to one onto Kestra's properties: `format` (TEXT, CSV, BINARY), `header`,
`delimiter`, `nullString`, `quote`, `escape`, `forceQuote`, `forceNotNull`, `forceNull`, `encoding`, `freeze`,
`oids`. Values are passed as SQL literals; `table` and `columns` are SQL, like `sql`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import source_uri
from legato.plugins.jdbc import engine, pgcopy
from legato.plugins.jdbc.drivers import Session
from legato.plugins.jdbc.tasks import JdbcConnection, session
from legato.plugins.runnable import Expression, render_as

Format = Literal["TEXT", "CSV", "BINARY"]
BLOCK = 1 << 20


class CopyTask(JdbcConnection):
    """COPY options shared by CopyIn and CopyOut."""

    table: str | None = Field(default=None, description="The table (optionally schema-qualified).")
    columns: list[str] | None = Field(default=None, description="Columns to copy; all of them when unset.")
    format: Format | Expression = Field(default="TEXT", description="TEXT (tab-separated), CSV or BINARY.")
    oids: bool | Expression | None = Field(default=None, description="Copy OIDs (old PostgreSQL servers only).")
    freeze: bool | Expression | None = Field(default=None, description="COPY FREEZE: rows frozen as after VACUUM FREEZE.")
    delimiter: str | None = Field(default=None, description="Column separator (one character); tab in TEXT, comma in CSV.")
    nullString: str | None = Field(default=None, description="Text of a NULL value (\\N in TEXT, empty in CSV).")
    header: bool | Expression | None = Field(default=None, description="CSV: a first line of column names.")
    quote: str | None = Field(default=None, description="CSV: the quoting character (default \").")
    escape: str | None = Field(default=None, description="CSV: the escape character (default: the quote).")
    forceQuote: list[str] | None = Field(default=None, description="CopyOut, CSV: columns always quoted (`*`: all).")
    forceNotNull: list[str] | None = Field(default=None, description="CopyIn, CSV: columns never matched against the null string.")
    forceNull: list[str] | None = Field(default=None, description="CopyIn, CSV: columns whose quoted null string is NULL.")
    encoding: str | None = Field(default=None, description="Encoding of the file (default: the client encoding).")
    socketTimeout: int | Expression | None = Field(default=None, description="Kestra compatibility: accepted; "
                                                   "use the task's `timeout` to bound the copy.")

    def copy_sql(self, ctx: RunContext, source: str | None, direction: str) -> Any:
        """COPY <table (columns) | (query)> <direction> WITH (options), as a psycopg SQL object."""
        from psycopg import sql

        if source is None:
            if self.table is None:
                raise TaskFailed("property 'table' is required" + (" (or 'sql')" if direction == "TO STDOUT" else ""))
            target = ctx.render_string(self.table)
            if self.columns:
                target += " (" + ", ".join(ctx.render_string(c) for c in self.columns) + ")"
        else:
            target = f"({source})"
        options = self._options(ctx)
        # The flow's own SQL, as in Kestra; its braces are doubled so that only the options are formatted in.
        target = target.replace("{", "{{").replace("}", "}}")
        text = f"COPY {target} {direction}" + (f" WITH ({', '.join(['{}'] * len(options))})" if options else "")
        return sql.SQL(text).format(*options)

    def _options(self, ctx: RunContext) -> list[Any]:
        from psycopg import sql

        options: list[Any] = []
        fmt = render_as(ctx, self.format, Format, "format")
        if fmt != "TEXT":
            options.append(sql.SQL(f"FORMAT {fmt}"))
        for prop, keyword in (("oids", "OIDS"), ("freeze", "FREEZE"), ("header", "HEADER")):
            value = getattr(self, prop)
            if value is not None:
                on = bool(render_as(ctx, value, bool, prop))
                options.append(sql.SQL(f"{keyword} {'TRUE' if on else 'FALSE'}"))
        for prop, keyword, single in (("delimiter", "DELIMITER", True), ("nullString", "NULL", False),
                                      ("quote", "QUOTE", True), ("escape", "ESCAPE", True), ("encoding", "ENCODING", False)):
            value = getattr(self, prop)
            if value is not None:
                text = _unescape(ctx.render_string(value))
                if single and len(text.encode()) != 1:
                    raise TaskFailed(f"property '{prop}' must be one single-byte character, not {text!r}")
                options.append(sql.SQL(keyword + " {}").format(sql.Literal(text)))
        for prop, keyword in (("forceQuote", "FORCE_QUOTE"), ("forceNotNull", "FORCE_NOT_NULL"), ("forceNull", "FORCE_NULL")):
            names = getattr(self, prop)
            if names:
                rendered = [ctx.render_string(n) for n in names]
                columns = "*" if rendered == ["*"] else "(" + ", ".join(rendered) + ")"
                options.append(sql.SQL(f"{keyword} {columns}"))
        return options


def _unescape(text: str) -> str:
    # Kestra's examples write `delimiter: "\\t"` (a backslash and a t in YAML) for a tab.
    return {"\\t": "\t", "\\n": "\n", "\\r": "\r"}.get(text, text)


class CopyInTask(CopyTask):
    """Load a stored file into a PostgreSQL table with COPY ... FROM STDIN."""

    from_: str = Field(alias="from", description="URI of the file in internal storage.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        statement = self.copy_sql(ctx, None, "FROM STDIN")
        with self.opened(ctx) as (_ws, url, how), stream.opened(ctx, uri) as source:

            def work(cancel: engine.Cancel) -> int:
                with session(self.DRIVER, url, how, cancel) as s:
                    return _copy_in(s, statement, source)

            rows = await engine.in_thread(work)
        ctx.logger.info(f"Copied {rows} rows in")
        return {"rowCount": rows}


def _copy_in(s: Session, statement: Any, source: Any) -> int:
    try:
        with s.raw.cursor() as cursor:
            with cursor.copy(statement) as copy:
                while block := source.read(BLOCK):
                    copy.write(block)
            rows = int(cursor.rowcount)
        s.commit()
        return rows
    except Exception as exc:
        s.rollback()
        raise engine.SqlFailed(f"COPY failed: {str(exc).strip()}") from None


class CopyOutTask(CopyTask):
    """Write a PostgreSQL table or query to a stored file with COPY ... TO STDOUT."""

    sql: str | None = Field(default=None, description="A query (SELECT, VALUES, or INSERT/UPDATE/DELETE with "
                            "RETURNING) whose rows to copy instead of `table`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        query = None if self.sql is None else ctx.render_string(self.sql).strip().rstrip(";")
        statement = self.copy_sql(ctx, query, "TO STDOUT")
        with self.opened(ctx) as (_ws, url, how), stream.Output(ctx, f"{ctx.task_run.task_id}.csv") as out:

            def work(cancel: engine.Cancel) -> int:
                with session(self.DRIVER, url, how, cancel) as s:
                    return _copy_out(s, statement, out)

            rows = await engine.in_thread(work)
            uri = out.save()
        ctx.logger.info(f"Copied {rows} rows out")
        return {"uri": uri, "rowCount": rows}


def _copy_out(s: Session, statement: Any, out: stream.Output) -> int:
    try:
        lines = pgcopy.rows(s.raw, statement.as_bytes(s.raw))
        for block, _count in lines:
            out.write(b"".join(block))
        s.commit()
        return lines.row_count
    except Exception as exc:
        s.rollback()
        raise engine.SqlFailed(f"COPY failed: {str(exc).strip()}") from None
