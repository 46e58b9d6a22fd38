"""DuckDB (`io.kestra.plugin.jdbc.duckdb.*`): Query, Queries and Trigger, in the worker. `inputFiles` are
staged in the task's working directory, where relative file names in the SQL resolve
(`read_csv_auto('data.csv')`, or `'{{ workingDir }}/data.csv'`); `outputFiles` are stored after the run;
`databaseUri` runs on a stored database file and `outputDbFile` stores it back."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS, TRIGGERS, Frozen
from legato.plugins.context import RunContext
from legato.plugins.jdbc.drivers import Driver, DuckDbDriver
from legato.plugins.jdbc.embedded import EmbeddedDatabase
from legato.plugins.jdbc.tasks import QueriesTask, QueryTask
from legato.plugins.jdbc.trigger import JdbcTrigger
from legato.plugins.jdbc.workspace import Workspace
from legato.plugins.scripts import files

_PREFIX = "io.kestra.plugin.jdbc.duckdb"


class DuckDbConnection(Frozen):
    DRIVER: ClassVar[Driver] = DuckDbDriver()
    EMBEDDED: ClassVar[bool] = True


class _DuckDbFiles(DuckDbConnection, EmbeddedDatabase):
    SUBPROTOCOL: ClassVar[str] = "duckdb"
    SUFFIX: ClassVar[str] = ".duckdb"

    url: str = Field(default="jdbc:duckdb:", description="jdbc:duckdb:<file>, or jdbc:duckdb:md:<db>?motherduck_token=... "
                     "(MotherDuck); the default, jdbc:duckdb:, is an in-memory database.")
    inputFiles: dict[str, str] | str | None = Field(default=None, description="Files staged in the working directory "
                                                    "for the SQL to read: name → content or internal-storage URI.")
    databaseUri: str | None = Field(default=None, description="URI of a DuckDB database file in internal storage to run the SQL on.")
    communityExtensions: list[str] | None = Field(default=None, description="Kestra compatibility: accepted; load "
                                                  "extensions in the SQL itself (INSTALL x; LOAD x).")

    def source_uri(self, ctx: RunContext) -> str | None:
        return None if self.databaseUri is None else ctx.render_string(self.databaseUri).strip()

    def prepare(self, ctx: RunContext, ws: Workspace) -> str:
        if self.inputFiles is not None:
            ws.stage(ctx, files.input_files_map(ctx.render(self.inputFiles)))
        return EmbeddedDatabase.prepare(self, ctx, ws)


_READ_CSV = """\
id: csv_report
type: io.kestra.plugin.jdbc.duckdb.Query
inputFiles:
  orders.csv: "{{ outputs.download.uri }}"
sql: |
  SELECT product, sum(quantity * price) AS revenue
  FROM read_csv_auto('{{ workingDir }}/orders.csv')
  GROUP BY product ORDER BY revenue DESC
fetchType: STORE
"""


@TASKS.register
class Query(_DuckDbFiles, QueryTask):
    """Run one SQL statement on DuckDB (files, Parquet, CSV, JSON) and fetch its rows or nothing."""

    TYPE: ClassVar[str] = "jdbc.duckdb.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _READ_CSV,
        "id: to_parquet\ntype: io.kestra.plugin.jdbc.duckdb.Query\ninputFiles:\n  data.csv: \"{{ outputs.extract.uri }}\"\n"
        "outputFiles: [out.parquet]\nsql: COPY (SELECT * FROM read_csv_auto('data.csv')) TO '{{ outputFiles[\"out.parquet\"] }}' (FORMAT parquet)\n",
    )


@TASKS.register
class Queries(_DuckDbFiles, QueriesTask):
    """Run several SQL statements on DuckDB, in one transaction by default."""

    TYPE: ClassVar[str] = "jdbc.duckdb.Queries"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Queries",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: model\ntype: io.kestra.plugin.jdbc.duckdb.Queries\nurl: jdbc:duckdb:warehouse.duckdb\noutputDbFile: true\nsql: |\n"
        "  CREATE TABLE sales AS SELECT * FROM range(10) t(id);\n  SELECT count(*) AS n FROM sales;\nfetchType: FETCH_ONE\n",
    )


@TRIGGERS.register
class Trigger(DuckDbConnection, JdbcTrigger):
    """Start the flow when a DuckDB query returns rows."""

    TYPE: ClassVar[str] = "jdbc.duckdb.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "triggers:\n  - id: new_files\n    type: io.kestra.plugin.jdbc.duckdb.Trigger\n    url: jdbc:duckdb:/data/lake.duckdb\n"
        "    sql: SELECT * FROM arrivals WHERE loaded = false\n    fetchType: FETCH\n",
    )


