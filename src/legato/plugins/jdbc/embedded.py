"""What SQLite and DuckDB tasks share: the database runs inside the worker, so it can read files staged in
the task's working directory and write files there, and its database file can come from and go back to
internal storage (`sqliteFile` / `databaseUri` in, `outputDbFile: true` out as `outputs.<id>.databaseUri`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.context import RunContext
from legato.plugins.jdbc import urls
from legato.plugins.jdbc.workspace import Workspace, put
from legato.plugins.runnable import Expression, render_as


class EmbeddedDatabase(Frozen):
    """`outputDbFile` and the database file of a run."""

    EMBEDDED: ClassVar[bool] = True
    SUBPROTOCOL: ClassVar[str]
    SUFFIX: ClassVar[str]

    outputDbFile: bool | Expression = Field(default=False, description="Store the database file after the run; its URI "
                                            "is `outputs.<id>.databaseUri`.")

    def source_uri(self, ctx: RunContext) -> str | None:
        """URI of a stored database file to run on (sqliteFile, databaseUri)."""
        return None

    def prepare(self, ctx: RunContext, ws: Workspace) -> str:
        url = ctx.render_string(self.url)  # type: ignore[attr-defined]
        parsed = urls.parse(url, (self.SUBPROTOCOL,))
        source = self.source_uri(ctx)
        wants_file = source is not None or bool(render_as(ctx, self.outputDbFile, bool, "outputDbFile"))
        database: Path | None = Path(parsed.path) if parsed.path and not parsed.path.startswith("md:") else None
        if wants_file:
            name = database.name if database is not None else ws.temp_name(self.SUFFIX).name
            database = ws.dir / name
            if source is not None:
                ws.stage_one(ctx, name, source)
        elif database is not None and not database.is_absolute():
            database = ws.dir / database
        if database is not None:
            ws.variables["dbFilePath"] = str(database)
            ws.variables["__db"] = database
            query = url.split("?", 1)[1] if "?" in url else ""
            return f"jdbc:{self.SUBPROTOCOL}:{database}" + (f"?{query}" if query else "")
        return url

    def finish(self, ctx: RunContext, ws: Workspace, url: str) -> dict[str, Any]:
        if not render_as(ctx, self.outputDbFile, bool, "outputDbFile"):
            return {}
        database: Path = ws.variables["__db"]
        return {"databaseUri": put(ctx, database, database.name)}
