"""Assets recorded at run time, end to end: a real Runtime (executor, worker, timers) on SQLite and PostgreSQL runs
flows declaring `assets` as Kestra's blueprints do; each successful task run records its assets, rendered with its
own variables (a ForEach's `taskrun.value`), with the lineage between them; a declaration that cannot be recorded
ends the task as its assetFailureBehavior says."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.services import pg_database

from legato.clock import utcnow
from legato.model.execution import Execution
from legato.model.state import State
from legato.server.compose import Runtime
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import AssetFilter
from legato.store.sql import SqlStore

PIPELINE = """\
id: pipeline
namespace: company.data
tasks:
  - id: staging
    type: io.kestra.plugin.core.log.Log
    message: building trips
    assets:
      inputs:
        - id: sample_data.nyc.taxi
      outputs:
        - id: trips
          namespace: "{{flow.namespace}}"
          type: io.kestra.plugin.ee.assets.Table
          displayName: Trips
          metadata:
            model_layer: staging
            rows: "{{ 5 * 2 }}"
  - id: for_each
    type: io.kestra.plugin.core.flow.ForEach
    values: [passenger_count, trip_distance]
    tasks:
      - id: mart
        type: io.kestra.plugin.core.log.Log
        message: "avg of {{taskrun.value}}"
        assets:
          inputs:
            - id: trips
          outputs:
            - id: avg_{{taskrun.value}}
              type: io.kestra.plugin.ee.assets.Table
              namespace: "{{flow.namespace}}"
              metadata:
                model_layer: mart
"""


def _broken(behavior: str) -> str:
    return f"""\
id: broken_{behavior.lower()}
namespace: company.data
tasks:
  - id: write
    type: io.kestra.plugin.core.log.Log
    message: hello
    assets:
      assetFailureBehavior: {behavior}
      outputs:
        - id: "{{{{ inputs.missing }}}}"
          type: custom
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: after
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path}/assets.db")
        store.migrate()
        yield store
        store.close()
        return
    for url in pg_database("legato_assets"):
        store = open_store(url)
        yield store
        store.close()


def run(store: SqlStore, tmp: Path, source: str, flow_id: str, namespace: str = "company.data") -> Execution:
    flow_service.deploy(store, source, now=utcnow(), by=SYSTEM)

    async def main() -> Execution:
        stopping = asyncio.Event()
        runtime = Runtime(store, poll_seconds=0.1, data_dir=tmp)
        served = asyncio.create_task(runtime.run(stopping))
        try:
            execution = execution_service.create_execution(store, namespace, flow_id, {}, now=utcnow(), by=SYSTEM)
            return await execution_service.wait_for_end(store, execution.id, timeout=120)
        finally:
            stopping.set()
            await served
    return asyncio.run(main())


def states(store: SqlStore, execution: Execution) -> dict[str, Any]:
    return {r.task_id: r.state for r in store.task_runs(execution.id)}


def test_a_pipeline_records_its_assets_and_their_lineage(store: SqlStore, tmp_path: Path) -> None:
    first = run(store, tmp_path, PIPELINE, "pipeline")
    assert first.state == State.SUCCESS
    trips = store.get_asset("trips")
    assert trips is not None
    assert (trips.namespace, trips.type, trips.display_name, trips.metadata) == (
        "company.data", "io.kestra.plugin.ee.assets.Table", "Trips", {"model_layer": "staging", "rows": 10})
    taxi = store.get_asset("sample_data.nyc.taxi")
    assert taxi is not None and taxi.type is None  # read only: known by its id
    lineage = store.asset_lineage("trips")
    assert (lineage.upstream, lineage.downstream) == (["sample_data.nyc.taxi"], ["avg_passenger_count",
                                                                                 "avg_trip_distance"])
    marts = [store.get_asset(f"avg_{c}") for c in ("passenger_count", "trip_distance")]
    assert all(m is not None and m.metadata == {"model_layer": "mart"} for m in marts)
    uses = store.asset_usages("trips")
    assert sorted((u.direction, u.task_id, u.execution_id) for u in uses) == [
        ("IN", "mart", first.id), ("IN", "mart", first.id), ("OUT", "staging", first.id)]
    second = run(store, tmp_path, PIPELINE, "pipeline")
    assert second.state == State.SUCCESS
    assert {u.execution_id for u in store.asset_usages("trips")} == {first.id, second.id}
    assert len(store.asset_usages("trips")) == 6


@pytest.mark.parametrize(("behavior", "task_state", "execution_state"), [
    ("WARN", State.WARNING, State.WARNING), ("FAIL", State.FAILED, State.FAILED), ("IGNORE", State.SUCCESS, State.SUCCESS),
])
def test_a_declaration_that_cannot_be_recorded_follows_its_behavior(
        store: SqlStore, tmp_path: Path, behavior: str, task_state: State, execution_state: State) -> None:
    execution = run(store, tmp_path, _broken(behavior), f"broken_{behavior.lower()}")
    assert execution.state == execution_state
    assert states(store, execution)["write"] == task_state
    messages = [(lg.level, lg.message) for lg in store.logs(execution.id) if lg.task_id == "write"]
    why = [m for m in messages if "assets could not be recorded" in m[1]]
    if behavior == "IGNORE":
        assert why == []
    else:
        assert len(why) == 1 and why[0][0] == ("WARN" if behavior == "WARN" else "ERROR")
        assert "missing" in why[0][1]  # says which expression failed
    assert store.search_assets(AssetFilter())[1] == 0  # nothing half-recorded


def test_the_example_flow_records_its_lineage(store: SqlStore, tmp_path: Path) -> None:
    source = (Path(__file__).resolve().parents[3] / "examples" / "assets.yaml").read_text()
    assert run(store, tmp_path, source, "orders_lineage", "tutorial").state == State.SUCCESS
    lineage = store.asset_lineage("orders_staging")
    assert (lineage.upstream, lineage.downstream) == (["raw_orders_csv"], ["avg_amount", "avg_quantity"])
    staging = store.get_asset("orders_staging")
    assert staging is not None and staging.metadata == {"model_layer": "staging", "source": "orders_lineage"}


SECRET = """\
id: secretive
namespace: company.data
tasks:
  - id: write
    type: io.kestra.plugin.core.log.Log
    message: hello
    assets:
      outputs:
        - id: warehouse
          type: custom
          metadata:
            token: "{{ secret('ASSET_TOKEN') }}"
            url: "https://loader:{{ secret('ASSET_TOKEN') }}@warehouse.example"
"""


def test_secrets_never_reach_an_asset(store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    value = "s3cr3t-warehouse-value"
    monkeypatch.setenv("SECRET_ASSET_TOKEN", base64.b64encode(value.encode()).decode())
    assert run(store, tmp_path, SECRET, "secretive").state == State.SUCCESS
    warehouse = store.get_asset("warehouse")
    assert warehouse is not None and value not in str(warehouse.metadata)
    assert warehouse.metadata["token"] == "******"
    assert warehouse.metadata["url"] == "https://loader:******@warehouse.example"
