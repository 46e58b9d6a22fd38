"""Triggers per tenant through the API, on SQLite and PostgreSQL: the same flow (namespace and id) with a Schedule
trigger in `main` and in another tenant fires in each, by a real Scheduler with a driven clock; each execution
lands in its flow's tenant and sees that tenant in `flow.tenantId`; each tenant's triggers API shows and acts on
its own trigger state and backfills only, and a trigger of another tenant answers 404 on every route."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from legato.scheduler.service import Scheduler

YAML = {"Content-Type": "application/x-yaml"}
TICKING = """id: scheduled
namespace: {ns}
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ flow.tenantId }}}} {{{{ trigger.date }}}}"
triggers:
  - id: tick
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
"""
YEARLY = """id: {flow_id}
namespace: {ns}
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ flow.tenantId }}}} {{{{ trigger.date }}}}"
triggers:
  - id: yearly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 0 1 1 *"
"""
BACKFILL = {"start": "2020-01-01T00:00:00Z", "end": "2021-06-01T00:00:00Z"}


def _tenant(client: httpx.Client) -> str:
    tenant = f"acme{secrets.token_hex(3)}"
    assert client.post("/api/v1/tenants", json={"id": tenant, "name": "Acme"}).status_code == 200
    return tenant


def _deploy(client: httpx.Client, tenant: str, source: str) -> None:
    reply = client.post(f"/api/v1/{tenant}/flows", content=source, headers=YAML)
    assert reply.status_code == 200, reply.text


def _executions(client: httpx.Client, tenant: str, ns: str) -> list[dict[str, Any]]:
    reply = client.get(f"/api/v1/{tenant}/executions/search", params={"namespace": ns, "size": 100})
    assert reply.status_code == 200, reply.text
    return list(reply.json()["results"])


def _ended(client: httpx.Client, tenant: str, ns: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _executions(client, tenant, ns)
        if len(found) == count and all(e["state"]["current"] == "SUCCESS" for e in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} ended executions in {tenant}, got {_executions(client, tenant, ns)}")


def _value(client: httpx.Client, tenant: str, execution_id: str) -> str:
    body = client.get(f"/api/v1/{tenant}/executions/{execution_id}").json()
    return str(body["taskRunList"][0]["outputs"]["value"])


def _state(client: httpx.Client, tenant: str, ns: str, flow_id: str = "scheduled") -> dict[str, Any]:
    reply = client.get(f"/api/v1/{tenant}/triggers/{ns}/{flow_id}")
    assert reply.status_code == 200, reply.text
    results: list[dict[str, Any]] = reply.json()["results"]
    assert len(results) == 1
    return results[0]


def test_each_tenant_fires_its_own_schedule(client: httpx.Client, server: Any, ns: str) -> None:
    acme = _tenant(client)
    for tenant in ("main", acme):
        _deploy(client, tenant, TICKING.format(ns=ns))
    scheduler = Scheduler(server.store)
    assert scheduler.tick(datetime.now(UTC) + timedelta(seconds=2)) == 2  # one fire per tenant
    mine, theirs = _ended(client, "main", ns, 1)[0], _ended(client, acme, ns, 1)[0]
    assert _value(client, "main", mine["id"]).startswith("main ")
    assert _value(client, acme, theirs["id"]).startswith(f"{acme} ")
    assert client.get(f"/api/v1/main/executions/{theirs['id']}").status_code == 404
    main_state, acme_state = _state(client, "main", ns), _state(client, acme, ns)
    assert main_state["executionId"] == mine["id"] and acme_state["executionId"] == theirs["id"]
    assert (main_state["tenantId"], acme_state["tenantId"]) == ("main", acme)

    # disabling the trigger in one tenant leaves the other's alone; the next tick fires main's only
    key = {"namespace": ns, "flowId": "scheduled", "triggerId": "tick"}
    assert client.put(f"/api/v1/{acme}/triggers", json={**key, "disabled": True}).json()["disabled"] is True
    assert _state(client, "main", ns)["disabled"] is False
    assert scheduler.tick(datetime.now(UTC) + timedelta(seconds=4)) == 1
    assert len(_ended(client, "main", ns, 2)) == 2 and len(_executions(client, acme, ns)) == 1
    unlocked = client.post(f"/api/v1/{acme}/triggers/unlock/by-triggers", json=[key])
    assert unlocked.json() == {"count": 1}  # acme's lock, on its first execution
    assert _state(client, "main", ns)["executionId"] != mine["id"]  # main's moved on to its second
    for tenant in ("main", acme):  # quiet for other tests
        client.put(f"/api/v1/{tenant}/triggers", json={**key, "disabled": True})


def test_another_tenants_trigger_answers_404(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    _deploy(client, "main", YEARLY.format(ns=ns, flow_id="only_main"))
    _deploy(client, acme, YEARLY.format(ns=ns, flow_id="only_acme"))
    key = {"namespace": ns, "flowId": "only_main", "triggerId": "yearly"}
    api = f"/api/v1/{acme}/triggers"
    assert client.get(f"{api}/{ns}/only_main").status_code == 404
    probes = [
        client.put(api, json={**key, "disabled": True}),
        client.put(api, json={**key, "backfill": BACKFILL}),
        client.post(f"{api}/{ns}/only_main/yearly/unlock"),
        client.post(f"{api}/{ns}/only_main/yearly/restart"),
        client.put(f"{api}/backfill/pause", json=key),
        client.put(f"{api}/backfill/unpause", json=key),
        client.post(f"{api}/backfill/delete", json=key),
    ]
    assert [p.status_code for p in probes] == [404] * len(probes), [p.text for p in probes]
    assert client.post(f"{api}/set-disabled/by-triggers", json={"triggers": [key], "disabled": True}).json() == {"count": 0}
    assert client.post(f"{api}/unlock/by-triggers", json=[key]).json() == {"count": 0}
    assert client.post(f"{api}/backfill/delete/by-triggers", json=[key]).json() == {"count": 0}
    found = client.get(f"{api}/search", params={"namespace": ns}).json()
    assert [r["triggerContext"]["flowId"] for r in found["results"]] == ["only_acme"]
    mains = client.get("/api/v1/main/triggers/search", params={"namespace": ns}).json()
    assert [r["triggerContext"]["flowId"] for r in mains["results"]] == ["only_main"]
    # nothing of the probes reached main's trigger
    state = _state(client, "main", ns, "only_main")
    assert state["disabled"] is False and state["backfill"] is None and state["updatedDate"] is None
    assert client.get(f"/api/v1/main/triggers/{ns}/only_acme").status_code == 404


def test_a_backfill_replays_in_its_own_tenant(client: httpx.Client, server: Any, ns: str) -> None:
    acme = _tenant(client)
    for tenant in ("main", acme):
        _deploy(client, tenant, YEARLY.format(ns=ns, flow_id="yearly_flow"))
    key = {"namespace": ns, "flowId": "yearly_flow", "triggerId": "yearly"}
    created = client.put(f"/api/v1/{acme}/triggers", json={**key, "backfill": BACKFILL})
    assert created.status_code == 200, created.text
    assert created.json()["backfill"]["paused"] is False
    assert _state(client, "main", ns, "yearly_flow")["backfill"] is None
    assert client.put("/api/v1/main/triggers/backfill/pause", json=key).status_code == 404  # main has none
    scheduler = Scheduler(server.store)
    deadline = time.monotonic() + 30
    while _state(client, acme, ns, "yearly_flow")["backfill"] is not None:
        assert time.monotonic() < deadline, "the backfill did not finish"
        scheduler.tick()
        time.sleep(0.05)
    replayed = _ended(client, acme, ns, 2)
    assert sorted(_value(client, acme, e["id"]) for e in replayed) == [
        f"{acme} 2020-01-01T00:00:00+00:00", f"{acme} 2021-01-01T00:00:00+00:00"]
    assert all({"key": "backfill", "value": "true"} in e["labels"] for e in replayed)
    assert _executions(client, "main", ns) == []


TOGGLER = """id: toggler
namespace: {ns}
tasks:
  - id: off
    type: io.kestra.plugin.core.trigger.Toggle
    flowId: yearly_flow
    trigger: yearly
    enabled: false
"""


def test_the_toggle_task_switches_its_own_tenants_trigger(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    for tenant in ("main", acme):
        _deploy(client, tenant, YEARLY.format(ns=ns, flow_id="yearly_flow"))
    _deploy(client, acme, TOGGLER.format(ns=ns))
    reply = client.post(f"/api/v1/{acme}/executions/{ns}/toggler", params={"wait": True})
    assert reply.status_code == 200 and reply.json()["state"]["current"] == "SUCCESS", reply.text
    assert _state(client, acme, ns, "yearly_flow")["disabled"] is True
    assert _state(client, "main", ns, "yearly_flow")["disabled"] is False
    # a flow that exists only in main cannot be toggled from acme
    _deploy(client, "main", YEARLY.format(ns=ns, flow_id="main_flow"))
    _deploy(client, acme, TOGGLER.format(ns=ns).replace("yearly_flow", "main_flow").replace("id: toggler", "id: probe"))
    failed = client.post(f"/api/v1/{acme}/executions/{ns}/probe", params={"wait": True}).json()
    assert failed["state"]["current"] == "FAILED"
    assert _state(client, "main", ns, "main_flow")["disabled"] is False
