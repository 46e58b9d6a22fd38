"""The JDBC types of databases that do not run here: Snowflake (run in the tests against fakesnow),
ClickHouse, Trino, Oracle, SQL Server, Redshift, Vertica, SAP HANA, Druid and Pinot (validated; they connect
once their server is reachable and their driver is installed).

Each database gets Kestra's kinds for it (`io.kestra.plugin.jdbc.<db>.Query`, `Queries`, `Batch`/`BulkInsert`,
`Trigger`), built from the shared kinds with the database's driver and connection properties.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, TRIGGERS, Frozen
from legato.plugins.context import RunContext
from legato.plugins.jdbc.batch import BatchTask
from legato.plugins.jdbc.drivers import Driver
from legato.plugins.jdbc.drivers_more import (
    AccessDriver,
    ActianVectorDriver,
    As400Driver,
    ClickHouseDriver,
    Db2Driver,
    DruidDriver,
    FlightSqlDriver,
    HanaDriver,
    OracleDriver,
    PinotDriver,
    RedshiftDriver,
    SnowflakeDriver,
    SqlServerDriver,
    SybaseDriver,
    TrinoDriver,
    VerticaDriver,
)
from legato.plugins.jdbc.embedded import EmbeddedDatabase
from legato.plugins.jdbc.tasks import QueriesTask, QueryTask
from legato.plugins.jdbc.trigger import JdbcTrigger
from legato.plugins.runnable import Expression

_KINDS: dict[str, tuple[type[Any], Any, str]] = {
    "Query": (QueryTask, TASKS, "Run one SQL statement on {db} and fetch its rows (FETCH, FETCH_ONE, STORE) or nothing."),
    "Queries": (QueriesTask, TASKS, "Run several SQL statements on {db}, in one transaction by default."),
    "Batch": (BatchTask, TASKS, "Insert the rows of a stored file into {db} with a prepared statement."),
    "BulkInsert": (BatchTask, TASKS, "Insert the rows of a stored file into {db} with a prepared statement."),
    "Trigger": (JdbcTrigger, TRIGGERS, "Start the flow when a {db} query returns rows."),
}


def _render_all(render: Callable[[Any], Any], model: Frozen, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: str(render(getattr(model, n))) for n in names if getattr(model, n) is not None}


class SnowflakeConnection(Frozen):
    DRIVER: ClassVar[Driver] = SnowflakeDriver()

    warehouse: str | None = Field(default=None, description="Virtual warehouse to use (rendered).")
    database: str | None = Field(default=None, description="Default database (rendered).")
    schema_: str | None = Field(default=None, alias="schema", description="Default schema (rendered).")
    role: str | None = Field(default=None, description="Access control role (rendered).")
    privateKey: str | None = Field(default=None, description="Key-pair authentication: the PEM private key (rendered).")
    privateKeyPassword: str | None = Field(default=None, description="Password of the private key (rendered).")
    queryTag: str | None = Field(default=None, description="QUERY_TAG of the session (rendered).")

    def connect_extra(self, render: Callable[[Any], Any]) -> dict[str, Any]:
        extra = _render_all(render, self, ("warehouse", "database", "role", "privateKey", "privateKeyPassword", "queryTag"))
        if self.schema_ is not None:
            extra["schema"] = str(render(self.schema_))
        return extra


class ClickHouseConnection(Frozen):
    DRIVER: ClassVar[Driver] = ClickHouseDriver()


class TrinoConnection(Frozen):
    DRIVER: ClassVar[Driver] = TrinoDriver()


class OracleConnection(Frozen):
    DRIVER: ClassVar[Driver] = OracleDriver()


class RedshiftConnection(Frozen):
    DRIVER: ClassVar[Driver] = RedshiftDriver()


class VerticaConnection(Frozen):
    DRIVER: ClassVar[Driver] = VerticaDriver()


class HanaConnection(Frozen):
    DRIVER: ClassVar[Driver] = HanaDriver()


class DruidConnection(Frozen):
    DRIVER: ClassVar[Driver] = DruidDriver()


class PinotConnection(Frozen):
    DRIVER: ClassVar[Driver] = PinotDriver()


class Db2Connection(Frozen):
    DRIVER: ClassVar[Driver] = Db2Driver()


class SybaseConnection(Frozen):
    DRIVER: ClassVar[Driver] = SybaseDriver()


class As400Connection(Frozen):
    DRIVER: ClassVar[Driver] = As400Driver()


class AccessConnection(Frozen):
    DRIVER: ClassVar[Driver] = AccessDriver()


class AccessFile(AccessConnection, EmbeddedDatabase):
    """An Access database file, from internal storage (`accessFile`) and back (`outputDbFile`)."""

    SUBPROTOCOL: ClassVar[str] = "ucanaccess"
    SUFFIX: ClassVar[str] = ".accdb"

    url: str = Field(default="jdbc:ucanaccess://", description="jdbc:ucanaccess://<file>; by default the `accessFile`.")
    accessFile: str | None = Field(default=None, description="URI of an Access database file in internal storage to run the SQL on.")

    def source_uri(self, ctx: RunContext) -> str | None:
        return None if self.accessFile is None else ctx.render_string(self.accessFile).strip()


class ActianVectorConnection(Frozen):
    DRIVER: ClassVar[Driver] = ActianVectorDriver()


class FlightSqlConnection(Frozen):
    DRIVER: ClassVar[Driver] = FlightSqlDriver()


class SqlServerConnection(Frozen):
    DRIVER: ClassVar[Driver] = SqlServerDriver()

    encrypt: Literal["FALSE", "TRUE", "STRICT", "OPTIONAL", "MANDATORY"] | Expression = Field(
        default="FALSE", description="Kestra compatibility: accepted; TLS follows the FreeTDS configuration of the worker.")
    trustServerCertificate: bool | Expression | None = Field(default=None, description="Kestra compatibility: accepted, see encrypt.")
    hostNameInCertificate: str | None = Field(default=None, description="Kestra compatibility: accepted, see encrypt.")
    trustStore: str | None = Field(default=None, description="Kestra compatibility: accepted, see encrypt.")
    trustStorePassword: str | None = Field(default=None, description="Kestra compatibility: accepted, see encrypt.")


def _family(module: str, db: str, connection: type[Frozen], kinds: tuple[str, ...], url: str,
            tasks: type[Frozen] | None = None) -> dict[str, type[Any]]:
    """Register `io.kestra.plugin.jdbc.<module>.<kind>` for each kind, on `connection` and the shared kind."""
    made: dict[str, type[Any]] = {}
    for kind in kinds:
        base, registry, doc = _KINDS[kind]
        if kind == "Trigger":
            example = (f"triggers:\n  - id: watch\n    type: io.kestra.plugin.jdbc.{module}.Trigger\n    url: {url}\n"  # noqa: S608 - a YAML example
                       "    username: \"{{ secret('DB_USERNAME') }}\"\n    password: \"{{ secret('DB_PASSWORD') }}\"\n"
                       "    sql: SELECT * FROM events WHERE processed = 0\n    interval: PT5M\n")
        elif base is BatchTask:
            example = (f"id: load\ntype: io.kestra.plugin.jdbc.{module}.{kind}\nurl: {url}\n"
                       "username: \"{{ secret('DB_USERNAME') }}\"\npassword: \"{{ secret('DB_PASSWORD') }}\"\n"
                       "from: \"{{ outputs.extract.uri }}\"\ntable: events\n")
        else:
            example = (f"id: query\ntype: io.kestra.plugin.jdbc.{module}.{kind}\nurl: {url}\n"  # noqa: S608 - a YAML example
                       "username: \"{{ secret('DB_USERNAME') }}\"\npassword: \"{{ secret('DB_PASSWORD') }}\"\n"
                       "sql: SELECT count(*) AS n FROM events\nfetchType: FETCH_ONE\n")
        mixin = connection if kind == "Trigger" or tasks is None else tasks
        cls = type(f"{connection.__name__.removesuffix('Connection')}{kind}", (mixin, base), {
            "__doc__": doc.format(db=db), "__module__": __name__,
            "TYPE": f"jdbc.{module}.{kind}", "ALIASES": (f"io.kestra.plugin.jdbc.{module}.{kind}",), "EXAMPLES": (example,),
        })
        made[kind] = registry.register(cls)
    return made


SNOWFLAKE = _family("snowflake", "Snowflake", SnowflakeConnection, ("Query", "Queries", "Trigger"),
                    "jdbc:snowflake://myaccount.snowflakecomputing.com")
CLICKHOUSE = _family("clickhouse", "ClickHouse", ClickHouseConnection, ("Query", "Queries", "BulkInsert", "Trigger"),
                     "jdbc:clickhouse://127.0.0.1:8123/default")
TRINO = _family("trino", "Trino", TrinoConnection, ("Query", "Trigger"), "jdbc:trino://127.0.0.1:8080/tpch/sf1")
ORACLE = _family("oracle", "Oracle", OracleConnection, ("Query", "Queries", "Batch", "Trigger"),
                 "jdbc:oracle:thin:@127.0.0.1:1521:XE")
SQLSERVER = _family("sqlserver", "SQL Server", SqlServerConnection, ("Query", "Queries", "Batch", "Trigger"),
                    "jdbc:sqlserver://127.0.0.1:1433;databaseName=sales")
REDSHIFT = _family("redshift", "Redshift", RedshiftConnection, ("Query", "Queries", "Trigger"),
                   "jdbc:redshift://example.eu-central-1.redshift.amazonaws.com:5439/dev")
VERTICA = _family("vertica", "Vertica", VerticaConnection, ("Query", "Queries", "Batch", "Trigger"),
                  "jdbc:vertica://127.0.0.1:5433/analytics")
HANA = _family("hana", "SAP HANA", HanaConnection, ("Query", "Queries", "Trigger"), "jdbc:sap://127.0.0.1:39015/?databaseName=HXE")
DRUID = _family("druid", "Druid", DruidConnection, ("Query", "Queries", "Trigger"),
                "jdbc:avatica:remote:url=http://127.0.0.1:8888/druid/v2/sql/avatica/")
PINOT = _family("pinot", "Pinot", PinotConnection, ("Query", "Queries", "Trigger"), "jdbc:pinot://127.0.0.1:8099")
DB2 = _family("db2", "DB2", Db2Connection, ("Query", "Queries", "Trigger"), "jdbc:db2://127.0.0.1:50000/sample")
SYBASE = _family("sybase", "Sybase", SybaseConnection, ("Query", "Queries", "Trigger"), "jdbc:sybase:Tds:127.0.0.1:5000/sales")
AS400 = _family("as400", "IBM i (AS400)", As400Connection, ("Query", "Queries", "Trigger"), "jdbc:as400://127.0.0.1/library")
ACCESS = _family("access", "Microsoft Access", AccessConnection, ("Query", "Queries", "Batch", "Trigger"),
                 "jdbc:ucanaccess:///data/shop.accdb", tasks=AccessFile)
ACTIAN = _family("actianvector", "Actian Vector", ActianVectorConnection, ("Query", "Queries", "Batch", "Trigger"),
                 "jdbc:vectorwise://127.0.0.1:VW7/sales")
ARROW_FLIGHT = _family("arrowflight", "Arrow Flight SQL", FlightSqlConnection, ("Query", "Queries", "Trigger"),
                       "jdbc:arrow-flight-sql://127.0.0.1:31010/?useEncryption=false")
DREMIO = _family("dremio", "Dremio", FlightSqlConnection, ("Query", "Queries", "Trigger"), "jdbc:dremio:direct=127.0.0.1:32010;ssl=false")
