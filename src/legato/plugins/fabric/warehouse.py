"""io.kestra.plugin.microsoft.fabric.warehouse.Query: one SQL statement on a Fabric Warehouse's SQL endpoint
(`<sqlEndpointId>.datawarehouse.fabric.microsoft.com:1433`, database `warehouseId`), signed in with the service
principal's token for the SQL audience, and Kestra's fetch types (STORE by default: one row per line in internal
storage; FETCH `rows`, FETCH_ONE `row`, NONE), run by the JDBC tasks' engine.

The connection is TDS with an access token, which only Microsoft's ODBC driver (msodbcsql18, through pyodbc)
offers in Python: the task fails with what to install when either is missing."""

from __future__ import annotations

import struct
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.fabric.connection import SQL_SCOPE, FabricTask
from legato.plugins.jdbc import engine
from legato.plugins.jdbc.drivers import Driver, DriverError, Session, load
from legato.plugins.jdbc.urls import JdbcUrl
from legato.plugins.runnable import Expression, render_as, render_text

SQL_COPT_SS_ACCESS_TOKEN = 1256  # the ODBC driver's connection attribute taking an Entra ID token
ODBC_DRIVER = "ODBC Driver 18 for SQL Server"


class WarehouseDriver(Driver):
    """A Fabric Warehouse over Microsoft's ODBC driver, signed in with a token."""

    name = "Microsoft Fabric Warehouse"
    subprotocols = ()
    marker = "?"

    def __init__(self, token: str) -> None:
        self.token = token

    def open(self, url: JdbcUrl, how: Any) -> Session:
        pyodbc = load("pyodbc", "pyodbc")
        # the token as the driver wants it: its UTF-16-LE bytes after their length
        raw_token = self.token.encode("utf-16-le")
        attrs = {SQL_COPT_SS_ACCESS_TOKEN: struct.pack(f"<I{len(raw_token)}s", len(raw_token), raw_token)}
        dsn = (f"Driver={{{ODBC_DRIVER}}};Server=tcp:{url.host},{url.port or 1433};Database={url.database};"
               "Encrypt=yes;TrustServerCertificate=no;Connection Timeout=30")
        try:
            raw = pyodbc.connect(dsn, attrs_before=attrs, autocommit=True)
        except Exception as exc:
            hint = f" (install Microsoft's '{ODBC_DRIVER}', msodbcsql18)" if "Can't open lib" in str(exc) or "IM002" in str(exc) else ""
            raise DriverError(f"cannot connect to the Fabric Warehouse at {url.host}: {exc}{hint}") from None
        return Session(self, raw, raw.cancel if hasattr(raw, "cancel") else lambda: None)

    def commit(self, raw: Any) -> None:
        pass  # autocommit: one statement, as Kestra's task runs it

    def rollback(self, raw: Any) -> None:
        pass


@TASKS.register
class Query(FabricTask):
    """Run a SQL statement on a Fabric Warehouse; outputs `uri` (STORE), `rows` (FETCH) or `row` (FETCH_ONE), and
    `size`, the number of rows."""

    TYPE: ClassVar[str] = "io.kestra.plugin.microsoft.fabric.warehouse.Query"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: query_warehouse
type: io.kestra.plugin.microsoft.fabric.warehouse.Query
tenantId: "{{ secret('FABRIC_TENANT_ID') }}"
clientId: "{{ secret('FABRIC_CLIENT_ID') }}"
clientSecret: "{{ secret('FABRIC_CLIENT_SECRET') }}"
sqlEndpointId: "{{ vars.sql_endpoint_id }}"
warehouseId: "{{ vars.warehouse_id }}"
fetchType: FETCH_ONE
sql: SELECT COUNT(*) AS row_count FROM silver.fact_orders
""",
    )

    sqlEndpointId: str = Field(description="The Warehouse's SQL endpoint id: the host `<sqlEndpointId>.datawarehouse.fabric.microsoft.com` (from the Warehouse's SQL connection string).")
    warehouseId: str = Field(description="The Warehouse item's id, the database connected to.")
    sql: str = Field(description="The SQL statement (rendered).")
    fetchType: engine.FetchType | Expression = Field(default="STORE", description="STORE: rows to a file of internal storage (`uri`); FETCH: every row (`rows`); FETCH_ONE: the first (`row`); NONE: nothing.")
    host: str | None = Field(default=None, description="Legato: the SQL endpoint's host, when not `<sqlEndpointId>.datawarehouse.fabric.microsoft.com`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        endpoint, warehouse = render_text(ctx, self.sqlEndpointId), render_text(ctx, self.warehouseId)
        sql = render_text(ctx, self.sql)
        fetch = engine.Fetch(render_as(ctx, self.fetchType, engine.FetchType, "fetchType"))
        host = render_text(ctx, self.host) if self.host else f"{endpoint}.datawarehouse.fabric.microsoft.com"
        driver = WarehouseDriver(await self.token(ctx, SQL_SCOPE))
        url = JdbcUrl("sqlserver", host=host, port=1433, database=warehouse)
        ctx.logger.info(f"Running a query on Fabric Warehouse {warehouse} at {host}")

        def work(cancel: engine.Cancel) -> dict[str, Any]:
            try:
                session = driver.open(url, None)
            except DriverError as exc:
                raise TaskFailed(str(exc)) from None
            cancel.session = session
            try:
                out = engine.execute(session, sql, None, fetch, lambda path: ctx.storage.put_file(output_uri(ctx, "result.ion"), path))
            except engine.SqlFailed as exc:
                raise TaskFailed(f"Fabric Warehouse: {exc}") from None
            finally:
                session.close()
            return out or {"size": 0}

        out = await engine.in_thread(work)
        ctx.effects.extra.setdefault("metrics", []).append({"name": "rows", "type": "counter", "value": out.get("size", 0)})
        return out
