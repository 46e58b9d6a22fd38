"""PostgreSQL (`io.kestra.plugin.jdbc.postgresql.*`): Query, Queries, Batch, CopyIn, CopyOut and Trigger,
through psycopg 3. SSL: `ssl`, `sslMode`, and the PEM text of `sslRootCert`, `sslCert`, `sslKey`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, TRIGGERS, Frozen
from legato.plugins.jdbc.batch import BatchTask
from legato.plugins.jdbc.copy import CopyInTask, CopyOutTask
from legato.plugins.jdbc.drivers import Driver, PostgresDriver
from legato.plugins.jdbc.tasks import QueriesTask, QueryTask
from legato.plugins.jdbc.trigger import JdbcTrigger
from legato.plugins.runnable import Expression

_PREFIX = "io.kestra.plugin.jdbc.postgresql"
SslMode = Literal["DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL"]


class PostgresConnection(Frozen):
    """PostgreSQL's SSL properties."""

    DRIVER: ClassVar[Driver] = PostgresDriver()

    ssl: bool | Expression = Field(default=False, description="Connect with SSL (sslmode require unless sslMode says otherwise).")
    sslMode: SslMode | Expression | None = Field(default=None, description="libpq's SSL mode: DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL.")
    sslRootCert: str | None = Field(default=None, description="PEM text of the CA certificate (rendered).")
    sslCert: str | None = Field(default=None, description="PEM text of the client certificate (rendered).")
    sslKey: str | None = Field(default=None, description="PEM text of the client key (rendered).")
    sslKeyPassword: str | None = Field(default=None, description="Password of the client key (rendered).")

    def connect_extra(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        extra: dict[str, Any] = {"ssl": str(render(self.ssl)).lower() == "true"}
        if self.sslMode is not None:
            mode = str(render(self.sslMode)).upper()
            if mode not in PostgresDriver.SSL_MODES:
                raise ValueError(f"property 'sslMode': {mode!r} is not one of {', '.join(PostgresDriver.SSL_MODES)}")
            extra["sslMode"] = mode
        for prop in ("sslRootCert", "sslCert", "sslKey", "sslKeyPassword"):
            value = getattr(self, prop)
            if value is not None:
                extra[prop] = str(render(value))
        return extra


_CONNECTION = """\
url: jdbc:postgresql://127.0.0.1:5432/shop
username: shop
password: "{{ secret('SHOP_DB_PASSWORD') }}"
"""


def _example(head: str, *body: str) -> str:
    """A task example: its id and type, the connection, then the rest."""
    return head + _CONNECTION + "".join(body)


@TASKS.register
class Query(PostgresConnection, QueryTask):
    """Run one SQL statement on PostgreSQL and fetch its rows (FETCH, FETCH_ONE, STORE) or nothing (NONE)."""

    TYPE: ClassVar[str] = "jdbc.postgresql.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: orders\ntype: io.kestra.plugin.jdbc.postgresql.Query\n",
        "sql: SELECT id, total FROM orders WHERE created_at >= :since\nparameters:\n  since: \"{{ trigger.date ?? now() }}\"\n"
        "fetchType: FETCH\n"),
        _example("id: export\ntype: io.kestra.plugin.jdbc.postgresql.Query\n",
        "sql: SELECT * FROM events\nfetchType: STORE  # rows streamed to a file: outputs.export.uri\n"),
    )


@TASKS.register
class Queries(PostgresConnection, QueriesTask):
    """Run several SQL statements on PostgreSQL, in one transaction by default."""

    TYPE: ClassVar[str] = "jdbc.postgresql.Queries"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Queries",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: refresh\ntype: io.kestra.plugin.jdbc.postgresql.Queries\n",
        "sql: |\n  DELETE FROM daily_totals WHERE day = current_date;\n"
        "  INSERT INTO daily_totals SELECT current_date, sum(total) FROM orders WHERE created_at >= current_date;\n"
        "  SELECT * FROM daily_totals WHERE day = current_date;\nfetchType: FETCH_ONE\n"),
    )


@TASKS.register
class Batch(PostgresConnection, BatchTask):
    """Insert the rows of a stored file into PostgreSQL with a prepared statement."""

    TYPE: ClassVar[str] = "jdbc.postgresql.Batch"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Batch",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: load\ntype: io.kestra.plugin.jdbc.postgresql.Batch\n",
        "from: \"{{ outputs.extract.uri }}\"\ntable: orders_copy\n"),
    )


@TRIGGERS.register
class Trigger(PostgresConnection, JdbcTrigger):
    """Start the flow when a PostgreSQL query returns rows."""

    TYPE: ClassVar[str] = "jdbc.postgresql.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.Trigger",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: new_orders
    type: io.kestra.plugin.jdbc.postgresql.Trigger
    url: jdbc:postgresql://127.0.0.1:5432/shop
    username: shop
    password: "{{ secret('SHOP_DB_PASSWORD') }}"
    sql: SELECT * FROM orders WHERE processed = false
    afterSQL: UPDATE orders SET processed = true WHERE processed = false
    fetchType: FETCH
    interval: PT1M
""",
    )




@TASKS.register
class CopyIn(PostgresConnection, CopyInTask):
    """Load a stored CSV, text or binary file into a PostgreSQL table (COPY FROM STDIN)."""

    TYPE: ClassVar[str] = "jdbc.postgresql.CopyIn"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.CopyIn",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: load_products\ntype: io.kestra.plugin.jdbc.postgresql.CopyIn\n",
        "from: \"{{ outputs.download.uri }}\"\ntable: products\nformat: CSV\nheader: true\ndelimiter: \",\"\n"),
    )


@TASKS.register
class CopyOut(PostgresConnection, CopyOutTask):
    """Write a PostgreSQL table or query to a stored CSV, text or binary file (COPY TO STDOUT)."""

    TYPE: ClassVar[str] = "jdbc.postgresql.CopyOut"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{_PREFIX}.CopyOut",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        _example("id: export\ntype: io.kestra.plugin.jdbc.postgresql.CopyOut\n",
        "sql: SELECT * FROM orders WHERE created_at >= current_date\nformat: CSV\nheader: true\n"),
    )
