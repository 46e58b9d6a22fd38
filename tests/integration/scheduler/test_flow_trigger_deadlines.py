"""Kestra 2.0 Flow trigger `onMiss` on a real SQLite store: a missed deadline is recorded as a FAILED execution
once per day, whatever the number of checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from legato.clock import utcnow
from legato.flows import Flows
from legato.model.execution import Execution
from legato.model.state import State
from legato.scheduler.flow_triggers import FlowTriggers
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.ports import ExecutionFilter, Store

LISTENER = """id: report
namespace: dl.down
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: both staging flows are in
triggers:
  - id: after_staging
    type: io.kestra.plugin.core.trigger.Flow
    labels: {team: data}
    dependsOn:
      - {namespace: dl.up, flowId: stg_sales}
      - {namespace: dl.up, flowId: stg_marketing}
    window:
      deadline: "09:00:00"
    onMiss:
      behavior: FAIL
      labels: {sla: miss}
"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path}/dl.db")
    store.migrate()
    flow_service.deploy(store, LISTENER, now=utcnow() - timedelta(days=2), by=SYSTEM)
    yield store
    store.close()


def _executions(store: Store) -> list[Execution]:
    found, _ = store.search_executions(ExecutionFilter(namespace="dl.down", flow_id="report"))
    return found


def test_a_missed_deadline_is_one_failed_execution(store: Store) -> None:
    triggers = FlowTriggers(store, flows=Flows())
    before = datetime.combine(utcnow().date(), datetime.min.time(), UTC) + timedelta(hours=8)
    assert triggers.check_deadlines(before) == 0  # not due yet
    after = before + timedelta(hours=2)
    assert triggers.check_deadlines(after) == 1
    assert triggers.check_deadlines(after + timedelta(minutes=5)) == 0  # once a day
    [execution] = _executions(store)
    assert {lb.key: lb.value for lb in execution.labels} == {
        "team": "data", "sla": "miss", "system.correlationId": execution.id}
    assert "not all satisfied by the deadline 09:00:00" in execution.scratch["failure"]
    assert execution.state == State.CREATED  # the executor ends it FAILED with that error
    assert triggers.check_deadlines(after + timedelta(days=1)) == 1  # the next day is another miss
