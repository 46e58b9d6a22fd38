"""SQLite (`io.kestra.plugin.jdbc.sqlite.*`): Query, Queries, Batch and Trigger, with Python's sqlite3.
`sqliteFile` runs the SQL on a database file from internal storage; `outputDbFile` stores it back."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS, TRIGGERS, Frozen
from legato.plugins.context import RunContext
from legato.plugins.jdbc.batch import BatchTask
from legato.plugins.jdbc.drivers import Driver, SqliteDriver
from legato.plugins.jdbc.embedded import EmbeddedDatabase
from legato.plugins.jdbc.tasks import QueriesTask, QueryTask
from legato.plugins.jdbc.trigger import JdbcTrigger

_PREFIX = "io.kestra.plugin.jdbc.sqlite"


class SqliteConnection(Frozen):
    DRIVER: ClassVar[Driver] = SqliteDriver()
    EMBEDDED: ClassVar[bool] = True


class _SqliteFile(SqliteConnection, EmbeddedDatabase):
    SUBPROTOCOL: ClassVar[str] = "sqlite"
    SUFFIX: ClassVar[str] = ".sqlite"

    url: str = Field(default="jdbc:sqlite:", description="jdbc:sqlite:<file> (relative to the task's working "
                     "directory); the default, jdbc:sqlite:, is an in-memory database.")
    sqliteFile: str | None = Field(default=None, description="URI of a SQLite database file in internal storage to run the SQL on.")

    def source_uri(self, ctx: RunContext) -> str | None:
        return None if self.sqliteFile is None else ctx.render_string(self.sqliteFile).strip()


@TASKS.register
class Query(_SqliteFile, QueryTask):
    """Run one SQL statement on SQLite and fetch its rows (FETCH, FETCH_ONE, STORE) or nothing (NONE)."""

    TYPE: ClassVar[str] = "jdbc.sqlite.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: report\ntype: io.kestra.plugin.jdbc.sqlite.Query\nsqliteFile: \"{{ inputs.db }}\"\n"
        "sql: SELECT country, count(*) AS customers FROM customers GROUP BY country\nfetchType: FETCH\n",
        "id: build\ntype: io.kestra.plugin.jdbc.sqlite.Query\nurl: jdbc:sqlite:shop.db\noutputDbFile: true\n"
        "sql: CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)\n",
    )


@TASKS.register
class Queries(_SqliteFile, QueriesTask):
    """Run several SQL statements on SQLite, in one transaction by default."""

    TYPE: ClassVar[str] = "jdbc.sqlite.Queries"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Queries",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: setup\ntype: io.kestra.plugin.jdbc.sqlite.Queries\nurl: jdbc:sqlite:shop.db\noutputDbFile: true\nsql: |\n"
        "  CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);\n  INSERT INTO customers (name) VALUES ('Ada'), ('Linus');\n"
        "  SELECT count(*) AS n FROM customers;\nfetchType: FETCH_ONE\n",
    )


@TASKS.register
class Batch(SqliteConnection, BatchTask):
    """Insert the rows of a stored file into a SQLite database with a prepared statement."""

    TYPE: ClassVar[str] = "jdbc.sqlite.Batch"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Batch",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: load\ntype: io.kestra.plugin.jdbc.sqlite.Batch\nurl: jdbc:sqlite:/data/shop.db\n"
        "from: \"{{ outputs.extract.uri }}\"\ntable: orders\n",
    )


@TRIGGERS.register
class Trigger(SqliteConnection, JdbcTrigger):
    """Start the flow when a SQLite query returns rows."""

    TYPE: ClassVar[str] = "jdbc.sqlite.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Trigger",)
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
