"""gcp.bigquery tasks and trigger with the real google-cloud-bigquery client against the BigQuery emulator
(bigquery_emulator.py): datasets and tables, queries with every fetchType and a destination table, loads
from internal storage and from Cloud Storage, extracts, the polling trigger, and BigQuery's errors."""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import pytest
from tests.integration.gcp.bigquery_emulator import BigQueryEmulator
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.plugins.gcp.bigquery.trigger import Trigger
from legato.plugins.triggers.base import TriggerContext
from legato.storage import LocalStorage, ion
from legato.storage.uris import execution_prefix, join

BQ = "io.kestra.plugin.gcp.bigquery"


def _put(storage: LocalStorage, ctx: Any, name: str, data: bytes) -> str:
    """A file of the execution, as a FILE input would be."""
    e = ctx.execution
    return storage.put(join(execution_prefix(e.namespace, e.flow_id, e.id), f"inputs/{name}"), data)


def _task(kind: str, **props: Any) -> dict[str, Any]:
    return {"id": kind.lower(), "type": f"{BQ}.{kind}", "projectId": "test-project", **props}


def _orders(harness: Harness, ctx: Any = None) -> None:
    harness.run(_task("CreateDataset", name="shop", location="EU", friendlyName="Shop"), ctx)
    harness.run(_task("CreateTable", dataset="shop", table="orders", description="all orders", tableDefinition={
        "type": "TABLE", "schema": {"fields": [
            {"name": "id", "type": "INT64", "mode": "REQUIRED"}, {"name": "country", "type": "STRING"},
            {"name": "amount", "type": "NUMERIC"}, {"name": "paid", "type": "BOOL"}, {"name": "day", "type": "DATE"},
            {"name": "at", "type": "TIMESTAMP"}, {"name": "ratio", "type": "FLOAT64"}]}}), ctx)
    harness.run(_task("Query", sql="""
        INSERT INTO `test-project.shop.orders` (id, country, amount, paid, day, at, ratio) VALUES
          (1, 'FR', 12.5, TRUE, DATE '2026-01-02', TIMESTAMP '2026-01-02 10:00:00+00', 0.5),
          (2, 'FR', 7.25, FALSE, DATE '2026-01-03', TIMESTAMP '2026-01-03 11:30:00+00', 0.25),
          (3, 'DE', 30, TRUE, DATE '2026-01-03', NULL, NULL)"""), ctx)


def test_datasets_tables_and_queries_with_every_fetch_type(harness: Harness, storage: LocalStorage,
                                                           bigquery: BigQueryEmulator) -> None:
    ctx = harness.context(storage=storage)
    created = harness.run(_task("CreateDataset", name="shop", location="EU", friendlyName="Shop"), ctx)
    assert created == {"dataset": "shop", "project": "test-project", "friendlyName": "Shop", "description": None, "location": "EU"}
    with pytest.raises(TaskFailed, match="already exists"):
        harness.run(_task("CreateDataset", name="shop"), ctx)
    assert harness.run(_task("CreateDataset", name="shop", ifExists="SKIP"), ctx)["location"] == "EU"
    table = harness.run(_task("CreateTable", dataset="shop", table="orders", tableDefinition={"schema": {"fields": [
        {"name": "id", "type": "INT64", "mode": "REQUIRED"}, {"name": "country", "type": "STRING"},
        {"name": "amount", "type": "NUMERIC"}, {"name": "paid", "type": "BOOL"}, {"name": "day", "type": "DATE"},
        {"name": "at", "type": "TIMESTAMP"}, {"name": "ratio", "type": "FLOAT64"}]}}), ctx)
    assert table["table"] == "orders" and table["numRows"] == 0
    assert [f["name"] for f in table["definition"]["schema"]["fields"]][:2] == ["id", "country"]

    inserted = harness.run(_task("Query", sql="""
        INSERT INTO `test-project.shop.orders` (id, country, amount, paid, day, at, ratio) VALUES
          (1, 'FR', 12.5, TRUE, DATE '2026-01-02', TIMESTAMP '2026-01-02 10:00:00+00', 0.5),
          (2, 'FR', 7.25, FALSE, DATE '2026-01-03', TIMESTAMP '2026-01-03 11:30:00+00', 0.25),
          (3, 'DE', 30, TRUE, DATE '2026-01-03', NULL, NULL)"""), ctx)
    assert "rows" not in inserted and inserted["jobId"].startswith("company_team_")
    assert any(m["name"] == "num.dml.affected.rows" and m["value"] == 3 for m in ctx.effects.extra["metrics"])

    rows = harness.run(_task("Query", fetchType="FETCH", sql="SELECT * FROM shop.orders ORDER BY id"), ctx)
    assert rows["size"] == 3
    assert rows["rows"][0] == {"id": 1, "country": "FR", "amount": 12.5, "paid": True, "day": "2026-01-02",
                               "at": "2026-01-02T10:00:00+00:00", "ratio": 0.5}
    assert rows["rows"][2]["at"] is None
    assert rows["destinationTable"]["dataset"] == "_results"  # the job's anonymous table, as BigQuery's

    one = harness.run(_task("Query", fetchOne=True, sql="""
        SELECT country, COUNT(*) AS orders, SUM(amount) AS total
        FROM `test-project.shop.orders` WHERE paid GROUP BY country ORDER BY total DESC"""), ctx)
    assert one["row"] == {"country": "DE", "orders": 1, "total": 30} and one["size"] == 2
    assert 'GROUP BY "country"' in bigquery.statements[-1]  # GoogleSQL transpiled, then run on DuckDB

    stored = harness.run(_task("Query", fetchType="STORE", sql="SELECT id, country FROM shop.orders ORDER BY id"), ctx)
    assert stored["size"] == 3 and stored["uri"].endswith(".ion")
    assert list(ion.values(storage.open(stored["uri"]))) == [{"id": 1, "country": "FR"}, {"id": 2, "country": "FR"},
                                                             {"id": 3, "country": "DE"}]

    into = harness.run(_task("Query", sql="SELECT country, SUM(amount) AS total FROM shop.orders GROUP BY country",
                             destinationTable="shop.by_country", writeDisposition="WRITE_TRUNCATE"), ctx)
    assert into["destinationTable"] == {"project": "test-project", "dataset": "shop", "table": "by_country"}
    harness.run(_task("Query", sql="SELECT country, SUM(amount) AS total FROM shop.orders GROUP BY country",
                      destinationTable="shop.by_country", writeDisposition="WRITE_TRUNCATE"), ctx)
    again = harness.run(_task("Query", fetchType="FETCH_ONE", sql="SELECT COUNT(*) AS n FROM shop.by_country"), ctx)
    assert again["row"] == {"n": 2}  # truncated, not appended
    with pytest.raises(TaskFailed, match="WRITE_EMPTY"):
        harness.run(_task("Query", sql="SELECT 1 AS x", destinationTable="shop.by_country", writeDisposition="WRITE_EMPTY"), ctx)


def test_bad_sql_and_bad_properties_fail_with_bigquerys_message(harness: Harness, storage: LocalStorage,
                                                                bigquery: BigQueryEmulator) -> None:
    ctx = harness.context(storage=storage)
    with pytest.raises(TaskFailed, match=r"BigQuery query failed: .*(no_such_table|does not exist)"):
        harness.run(_task("Query", sql="SELECT * FROM shop.no_such_table", fetchType="FETCH"), ctx)
    with pytest.raises(TaskFailed, match=r"destinationTable' must be dataset\.table"):
        harness.run(_task("Query", sql="SELECT 1", destinationTable="nodataset"), ctx)
    with pytest.raises(TaskFailed, match="must be an internal storage URI"):
        harness.run(_task("Load", **{"from": "/etc/passwd"}, destinationTable="shop.x"), ctx)


def test_load_csv_and_json_from_internal_storage(harness: Harness, storage: LocalStorage, bigquery: BigQueryEmulator) -> None:
    ctx = harness.context(storage=storage)
    harness.run(_task("CreateDataset", name="raw"), ctx)
    csv_uri = _put(storage, ctx, "orders.csv", b"id;country;amount\n1;FR;12.5\n2;DE;30\n")
    loaded = harness.run(_task("Load", **{"from": csv_uri}, destinationTable="raw.orders", format="CSV", autodetect=True,
                               csvOptions={"fieldDelimiter": ";", "skipLeadingRows": 1}), ctx)
    assert loaded["rows"] == 2 and loaded["destinationTable"] == "test-project.raw.orders"
    json_uri = _put(storage, ctx, "events.jsonl", b'{"name": "signup", "n": 3}\n{"name": "login", "n": 5}\n')
    events = harness.run(_task("Load", **{"from": json_uri}, destinationTable="raw.events", format="JSON",
                               schema={"fields": [{"name": "name", "type": "STRING"}, {"name": "n", "type": "INT64"}]}), ctx)
    assert events["rows"] == 2
    total = harness.run(_task("Query", fetchType="FETCH_ONE", sql="SELECT SUM(n) AS n FROM raw.events"), ctx)
    assert total["row"] == {"n": 8}
    appended = harness.run(_task("Load", **{"from": json_uri}, destinationTable="raw.events", format="JSON"), ctx)
    assert appended["rows"] == 2  # WRITE_APPEND is a load's default
    empty = _put(storage, ctx, "empty.csv", b"")
    with pytest.raises(TaskFailed, match="empty file"):
        harness.run(_task("Load", **{"from": empty}, destinationTable="raw.orders", format="CSV"), ctx)
    assert harness.run(_task("Load", **{"from": empty}, destinationTable="raw.orders", failedOnEmpty=False), ctx) == {"rows": 0}


def test_extract_to_gcs_then_load_from_gcs(harness: Harness, storage: LocalStorage, bigquery: BigQueryEmulator) -> None:
    ctx = harness.context(storage=storage)
    _orders(harness, ctx)
    out = harness.run(_task("ExtractToGcs", sourceTable="test-project.shop.orders", format="CSV", printHeader=True,
                            destinationUris=["gs://exports/orders-*.csv"]), ctx)
    assert out["fileCounts"] == [1] and out["sourceTable"] == "test-project.shop.orders"
    written = bigquery.gcs_root / "exports" / "orders-000000000000.csv"
    assert written.read_text().splitlines()[0] == "id,country,amount,paid,day,at,ratio"
    harness.run(_task("ExtractToGcs", sourceTable="shop.orders", format="NEWLINE_DELIMITED_JSON", compression="GZIP",
                      destinationUris=["gs://exports/orders.json.gz"]), ctx)
    lines = gzip.decompress((bigquery.gcs_root / "exports" / "orders.json.gz").read_bytes()).decode().splitlines()
    assert json.loads(lines[0])["country"] == "FR"

    back = harness.run(_task("LoadFromGcs", **{"from": ["gs://exports/orders-*.csv"]}, destinationTable="shop.copy",
                             format="CSV", autodetect=True, csvOptions={"skipLeadingRows": 1}), ctx)
    assert back["rows"] == 3
    with pytest.raises(TaskFailed, match="Not found: URI gs://exports/nothing"):
        harness.run(_task("LoadFromGcs", **{"from": ["gs://exports/nothing*.csv"]}, destinationTable="shop.copy"), ctx)
    with pytest.raises(TaskFailed, match="must list gs:// URIs"):
        harness.run(_task("LoadFromGcs", **{"from": ["s3://bucket/x.csv"]}, destinationTable="shop.copy"), ctx)


def test_trigger_fires_when_the_query_returns_rows(harness: Harness, storage: LocalStorage, bigquery: BigQueryEmulator) -> None:
    _orders(harness, harness.context(storage=storage))

    def poll(sql: str, **props: Any) -> Any:
        trigger = Trigger.model_validate({"id": "watch", "type": f"{BQ}.Trigger", "projectId": "test-project",
                                          "interval": "PT1M", "sql": sql, **props})
        ctx = TriggerContext(namespace="company.team", flow_id="f", trigger_id="watch", render=lambda v: v, state={},
                             log=logging.getLogger("test"), storage=storage)
        import asyncio

        return asyncio.run(trigger.source().poll(ctx))

    assert poll("SELECT * FROM shop.orders WHERE country = 'IT'") is None
    fired = poll("SELECT id FROM shop.orders WHERE paid ORDER BY id", fetchType="FETCH")
    assert fired.variables["rows"] == [{"id": 1}, {"id": 3}] and fired.variables["size"] == 2
    stored = poll("SELECT id FROM shop.orders", fetchType="STORE")
    assert stored.variables["uri"].startswith("kestra:///company/team/f/") and stored.variables["size"] == 3
    assert set(poll("SELECT id FROM shop.orders").variables) == {"jobId", "size"}


def test_copy_metadata_and_deletes(harness: Harness, storage: LocalStorage, bigquery: BigQueryEmulator) -> None:
    ctx = harness.context(storage=storage)
    _orders(harness, ctx)
    harness.run(_task("CreateDataset", name="backup"), ctx)
    assert harness.run(_task("Copy", sourceTables=["shop.orders"], destinationTable="backup.orders"), ctx)["jobId"]
    meta = harness.run(_task("TableMetadata", dataset="backup", table="orders"), ctx)
    assert meta["numRows"] == 3 and meta["datasetId"] == "backup"
    assert harness.run(_task("TableMetadata", dataset="backup", table="nope", ifNotExists="SKIP"), ctx) == {}
    with pytest.raises(TaskFailed, match=r"Unable to find table 'test-project\.backup\.nope'"):
        harness.run(_task("TableMetadata", dataset="backup", table="nope"), ctx)
    with pytest.raises(TaskFailed, match="WRITE_EMPTY"):
        harness.run(_task("Copy", sourceTables=["shop.orders"], destinationTable="backup.orders"), ctx)
    updated = harness.run(_task("UpdateTable", dataset="backup", table="orders", description="a copy", expirationDuration="PT48H"), ctx)
    assert updated["description"] == "a copy" and updated["expirationTime"] is not None
    renamed = harness.run(_task("UpdateDataset", name="backup", friendlyName="Backups"), ctx)
    assert renamed["friendlyName"] == "Backups"
    with pytest.raises(TaskFailed, match="Unable to find dataset"):
        harness.run(_task("UpdateDataset", name="nope", friendlyName="x"), ctx)
    assert harness.run(_task("DeleteTable", dataset="shop", table="orders"), ctx) == {
        "projectId": "test-project", "datasetId": "shop", "table": "orders"}
    with pytest.raises(TaskFailed, match="Couldn't find table"):
        harness.run(_task("DeleteTable", dataset="shop", table="orders"), ctx)
    with pytest.raises(TaskFailed, match="still in use"):
        harness.run(_task("DeleteDataset", name="backup"), ctx)
    assert harness.run(_task("DeleteDataset", name="backup", deleteContents=True), ctx) == {"dataset": "backup"}
