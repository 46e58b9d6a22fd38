"""The JDBC types of databases that do not run here: Snowflake runs against fakesnow's server (the real
Snowflake connector over HTTP, fakesnow executing the SQL on DuckDB); ClickHouse, Trino, Oracle and SQL Server
validate, and their drivers fail to connect with a message naming the database and the address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.jdbc.conftest import Tasks

from legato.flows import parse_flow
from legato.plugins.context import TaskFailed


@pytest.fixture(scope="module")
def fakesnow_url() -> Iterator[str]:
    fakesnow = pytest.importorskip("fakesnow")
    with fakesnow.server() as kw:
        yield f"jdbc:snowflake://{kw['host']}:{kw['port']}/?account={kw['account']}&ssl=off"


def test_snowflake_query_queries_against_fakesnow(tasks: Tasks, fakesnow_url: str) -> None:
    head = f"id: task\nurl: \"{fakesnow_url}\"\nusername: fake\npassword: snow\nwarehouse: wh\nrole: analyst\n"
    out = tasks.run(head + "type: io.kestra.plugin.jdbc.snowflake.Queries\nsql: |\n  CREATE DATABASE IF NOT EXISTS shop;\n"
                           "  CREATE SCHEMA IF NOT EXISTS shop.sales;\n  CREATE OR REPLACE TABLE shop.sales.orders (id INT, total NUMBER(8,2));\n"
                           "  INSERT INTO shop.sales.orders VALUES (1, 12.5), (2, 3);\n  SELECT count(*) AS n FROM shop.sales.orders;\nfetchType: FETCH_ONE\n")
    assert out["outputs"][-1]["row"] == {"N": 2}
    got = tasks.run(head + "type: io.kestra.plugin.jdbc.snowflake.Query\ndatabase: shop\nschema: sales\n"
                           "sql: SELECT id, total FROM orders WHERE total > :min ORDER BY id\nparameters:\n  min: 5\nfetchType: FETCH\n")
    assert got == {"rows": [{"ID": 1, "TOTAL": 12.5}], "size": 1}
    stored = tasks.run(head + "type: io.kestra.plugin.jdbc.snowflake.Query\nsql: SELECT id FROM shop.sales.orders ORDER BY id\nfetchType: STORE\n")
    assert tasks.rows(stored["uri"]) == [{"ID": 1}, {"ID": 2}]


@pytest.mark.parametrize(("db", "url", "message"), [
    ("clickhouse", "jdbc:clickhouse://127.0.0.1:1/default", "cannot connect to ClickHouse at 127.0.0.1:1"),
    ("trino", "jdbc:trino://127.0.0.1:1/tpch/sf1", "cannot connect to Trino at 127.0.0.1:1"),
    ("oracle", "jdbc:oracle:thin:@127.0.0.1:1:XE", "cannot connect to Oracle at 127.0.0.1:1"),
    ("sqlserver", "jdbc:sqlserver://127.0.0.1:1;databaseName=sales", "cannot connect to SQL Server at 127.0.0.1:1"),
])
def test_other_warehouses_validate_and_say_where_they_cannot_connect(tasks: Tasks, db: str, url: str, message: str) -> None:
    flow = parse_flow(f"id: f\nnamespace: n\ntasks:\n  - id: q\n    type: io.kestra.plugin.jdbc.{db}.Query\n    url: \"{url}\"\n"
                      "    sql: SELECT 1\n    fetchType: FETCH_ONE\n"
                      f"triggers:\n  - id: t\n    type: io.kestra.plugin.jdbc.{db}.Trigger\n    url: \"{url}\"\n    sql: SELECT 1\n")
    assert flow.tasks[0].type == f"io.kestra.plugin.jdbc.{db}.Query"
    with pytest.raises(TaskFailed, match=message):
        tasks.run(f"id: task\ntype: io.kestra.plugin.jdbc.{db}.Query\nurl: \"{url}\"\nusername: u\npassword: p\nsql: SELECT 1\nfetchType: FETCH\n")


def test_redshift_speaks_postgresql_and_stores_rows_in_python(tasks: Tasks, pg_url: str) -> None:
    url = pg_url.replace("jdbc:postgresql://", "jdbc:redshift://")
    head = f"id: task\nurl: {url}\nusername: postgres\n"
    tasks.run(head + "type: io.kestra.plugin.jdbc.redshift.Queries\nsql: CREATE TABLE r (id int, at timestamp); INSERT INTO r VALUES (1, '2024-05-01 10:00')\n")
    stored = tasks.run(head + "type: io.kestra.plugin.jdbc.redshift.Query\nsql: SELECT * FROM r\nfetchType: STORE\n")
    assert tasks.rows(stored["uri"]) == [{"id": 1, "at": "2024-05-01T10:00:00"}]


@pytest.mark.parametrize(("db", "url", "package"), [
    ("vertica", "jdbc:vertica://127.0.0.1:5433/analytics", "vertica-python"),
    ("hana", "jdbc:sap://127.0.0.1:39015/?databaseName=HXE", "hdbcli"),
    ("druid", "jdbc:avatica:remote:url=http://127.0.0.1:8888/druid/v2/sql/avatica/;transparent_reconnection=true", "pydruid"),
    ("pinot", "jdbc:pinot://127.0.0.1:8099", "pinotdb"),
])
def test_a_missing_driver_names_the_package_to_install(tasks: Tasks, db: str, url: str, package: str) -> None:
    with pytest.raises(TaskFailed, match=f"run pip install '{package}'"):
        tasks.run(f"id: task\ntype: io.kestra.plugin.jdbc.{db}.Query\nurl: \"{url}\"\nsql: SELECT 1\n")


def test_snowflake_stage_upload(tasks: Tasks, fakesnow_url: str) -> None:
    uri = tasks.put("orders.csv", b"id,total\n1,12.5\n")
    head = f"id: task\nurl: \"{fakesnow_url}\"\nusername: fake\npassword: snow\n"
    tasks.run(head + "type: io.kestra.plugin.jdbc.snowflake.Queries\nsql: CREATE DATABASE IF NOT EXISTS st; CREATE SCHEMA IF NOT EXISTS st.s; CREATE STAGE IF NOT EXISTS st.s.landing\n")
    out = tasks.run(head + f"type: io.kestra.plugin.jdbc.snowflake.Upload\ndatabase: st\nschema: s\nfrom: {uri}\nstageName: \"@landing\"\nprefix: raw/\nfileName: orders.csv\n")
    assert out == {"uri": "raw/orders.csv.gz"}
    # fakesnow has no GET: Download is checked up to the statement it sends
    with pytest.raises(TaskFailed, match=r"GET @landing/raw/orders\.csv\.gz file:///"):
        tasks.run(head + "type: io.kestra.plugin.jdbc.snowflake.Download\ndatabase: st\nschema: s\nstageName: \"@landing\"\nfileName: raw/orders.csv.gz\n")
