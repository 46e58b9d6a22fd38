"""MySQL and MariaDB (`io.kestra.plugin.jdbc.mysql.*`, `io.kestra.plugin.jdbc.mariadb.*`): Query, Queries,
Batch and Trigger through PyMySQL. `inputFile` stages a stored file for `LOAD DATA LOCAL INFILE '{{ inputFile }}'`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, TRIGGERS, Frozen
from legato.plugins.context import RunContext
from legato.plugins.jdbc.batch import BatchTask
from legato.plugins.jdbc.drivers import Driver, MySqlDriver
from legato.plugins.jdbc.tasks import QueriesTask, QueryTask
from legato.plugins.jdbc.trigger import JdbcTrigger
from legato.plugins.jdbc.workspace import Workspace

_PREFIXES = ("io.kestra.plugin.jdbc.mysql", "io.kestra.plugin.jdbc.mariadb")
_CONNECTION = """\
url: jdbc:mysql://127.0.0.1:3306/shop
username: shop
password: "{{ secret('SHOP_DB_PASSWORD') }}"
"""


def _aliases(name: str) -> tuple[str, ...]:
    return tuple(f"{p}.{name}" for p in _PREFIXES)


class MySqlConnection(Frozen):
    REQUIRES: ClassVar[tuple[str, ...]] = ("pymysql",)
    EXTRA: ClassVar[str] = "mysql"
    DRIVER: ClassVar[Driver] = MySqlDriver()


class _InputFile(MySqlConnection):
    inputFile: str | None = Field(default=None, description="URI of a stored file staged for the SQL as "
                                  "`{{ inputFile }}` (e.g. LOAD DATA LOCAL INFILE '{{ inputFile }}').")

    def connect_extra(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        return {"local_infile": self.inputFile is not None}

    def prepare(self, ctx: RunContext, ws: Workspace) -> str:
        if self.inputFile is not None:
            path = ws.stage_one(ctx, "inputFile", ctx.render_string(self.inputFile).strip())
            ws.variables["inputFile"] = str(path)
        return ctx.render_string(self.url)  # type: ignore[attr-defined]


def _example(head: str, *body: str) -> str:
    """A task example: its id and type, the connection, then the rest."""
    return head + _CONNECTION + "".join(body)


@TASKS.register
class Query(_InputFile, QueryTask):
    """Run one SQL statement on MySQL or MariaDB and fetch its rows (FETCH, FETCH_ONE, STORE) or nothing."""

    TYPE: ClassVar[str] = "jdbc.mysql.Query"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Query")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: top_customers\ntype: io.kestra.plugin.jdbc.mysql.Query\n",
        "sql: SELECT name, total FROM customers ORDER BY total DESC LIMIT :n\nparameters:\n  n: 10\nfetchType: FETCH\n"),
        _example("id: load\ntype: io.kestra.plugin.jdbc.mysql.Query\n",
        "inputFile: \"{{ outputs.download.uri }}\"\nsql: |\n  LOAD DATA LOCAL INFILE '{{ inputFile }}' INTO TABLE products\n"
        "  FIELDS TERMINATED BY ',' IGNORE 1 LINES\n"),
    )


@TASKS.register
class Queries(_InputFile, QueriesTask):
    """Run several SQL statements on MySQL or MariaDB, in one transaction by default."""

    TYPE: ClassVar[str] = "jdbc.mysql.Queries"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Queries")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: rebuild\ntype: io.kestra.plugin.jdbc.mysql.Queries\n",
        "sql: |\n  DELETE FROM stats;\n  INSERT INTO stats SELECT country, count(*) FROM customers GROUP BY country;\n"
        "  SELECT * FROM stats;\nfetchType: FETCH\n"),
    )


@TASKS.register
class Batch(MySqlConnection, BatchTask):
    """Insert the rows of a stored file into MySQL or MariaDB with a prepared statement."""

    TYPE: ClassVar[str] = "jdbc.mysql.Batch"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Batch")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: load\ntype: io.kestra.plugin.jdbc.mysql.Batch\n",
        "from: \"{{ outputs.extract.uri }}\"\nsql: INSERT INTO orders (id, total) VALUES (?, ?)\ncolumns: [id, total]\n"),
    )


@TRIGGERS.register
class Trigger(MySqlConnection, JdbcTrigger):
    """Start the flow when a MySQL or MariaDB query returns rows."""

    TYPE: ClassVar[str] = "jdbc.mysql.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Trigger")
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
