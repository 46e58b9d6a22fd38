"""Triggers through the API on a running server (SQLite and PostgreSQL): state listing and search, enable and
disable, unlock, restart, and backfills (create, validate, pause, resume, delete) replayed by real
Scheduler instances ticking with a driven clock, exactly once per date even with two schedulers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from click.testing import CliRunner

from legato.cli.main import cli
from legato.scheduler.service import Scheduler

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"
SCHEDULED = """id: scheduled
namespace: {ns}
inputs:
  - id: size
    type: INT
    defaults: 1
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ trigger.date }}}} {{{{ inputs.size }}}}"
triggers:
  - id: yearly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 0 1 1 *"
    labels:
      from: schedule
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    disabled: {second_disabled}
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: some-key-123
"""
BACKFILL = {"start": "2020-01-01T00:00:00Z", "end": "2023-06-01T00:00:00Z", "inputs": {"size": 7},
            "labels": [{"key": "reason", "value": "outage"}]}
YEARS = ["2020-01-01T00:00:00+00:00", "2021-01-01T00:00:00+00:00", "2022-01-01T00:00:00+00:00",
         "2023-01-01T00:00:00+00:00"]


def _deploy(client: httpx.Client, ns: str, second_disabled: bool = True) -> None:
    source = SCHEDULED.format(ns=ns, second_disabled=str(second_disabled).lower())
    response = client.post(f"{API}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def _key(ns: str, trigger: str = "yearly") -> dict[str, str]:
    return {"namespace": ns, "flowId": "scheduled", "triggerId": trigger}


def _executions(client: httpx.Client, ns: str) -> list[dict[str, Any]]:
    body = client.get(f"{API}/executions/search", params={"namespace": ns, "size": 100}).json()
    return list(body["results"])


def _wait_all_ended(client: httpx.Client, ns: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = _executions(client, ns)
        if len(found) >= count and all(e["state"]["current"] == "SUCCESS" for e in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} ended executions, got {_executions(client, ns)}")


def test_list_and_search_triggers_with_their_state(client: httpx.Client, ns: str) -> None:
    _deploy(client, ns)
    listed = client.get(f"{API}/triggers/{ns}/scheduled")
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 3
    by_id = {t["triggerId"]: t for t in body["results"]}
    assert by_id["yearly"]["disabled"] is False and by_id["yearly"]["date"] is None
    assert by_id["every_second"]["disabled"] is True and by_id["every_second"]["disabledInSource"] is True
    assert by_id["hook"]["type"] == "io.kestra.plugin.core.trigger.Webhook"
    search = client.get(f"{API}/triggers/search", params={"namespace": ns, "q": "year", "sort": "triggerId:asc"})
    assert search.status_code == 200
    results = search.json()["results"]
    assert [r["triggerContext"]["triggerId"] for r in results] == ["yearly"]
    assert results[0]["abstractTrigger"]["cron"] == "0 0 1 1 *"
    paged = client.get(f"{API}/triggers/search", params={"namespace": ns, "size": 2, "page": 2}).json()
    assert paged["total"] == 3 and len(paged["results"]) == 1
    assert client.get(f"{API}/triggers/{ns}/missing").status_code == 404
    assert client.get(f"{API}/triggers/search", params={"sort": "bogus"}).status_code == 400


def test_disable_enable_unlock_restart(client: httpx.Client, server: Any, ns: str) -> None:
    _deploy(client, ns, second_disabled=False)
    off = client.put(f"{API}/triggers", json={**_key(ns), "disabled": True})
    assert off.status_code == 200 and off.json()["disabled"] is True
    bulk = client.post(f"{API}/triggers/set-disabled/by-triggers",
                       json={"triggers": [_key(ns), _key(ns, "hook"), _key(ns, "nope")], "disabled": False})
    assert bulk.json() == {"count": 2}
    assert client.put(f"{API}/triggers", json={**_key(ns, "nope"), "disabled": True}).status_code == 404
    assert client.put(f"{API}/triggers", json=_key(ns)).status_code == 400

    # Not locked yet: 409. A scheduler tick fires the every-second trigger, which then waits for its execution.
    assert client.post(f"{API}/triggers/{ns}/scheduled/every_second/unlock").status_code == 409
    scheduler = Scheduler(server.store)
    assert scheduler.tick(datetime.now(UTC) + timedelta(seconds=2)) >= 1
    state = client.get(f"{API}/triggers/{ns}/scheduled").json()["results"]
    locked = next(t for t in state if t["triggerId"] == "every_second")
    assert locked["executionId"] and locked["date"]
    unlocked = client.post(f"{API}/triggers/{ns}/scheduled/every_second/unlock")
    assert unlocked.status_code == 200 and unlocked.json()["executionId"] is None
    assert client.post(f"{API}/triggers/unlock/by-triggers", json=[_key(ns, "every_second")]).json() == {"count": 0}

    before = datetime.now(UTC)
    restarted = client.post(f"{API}/triggers/{ns}/scheduled/every_second/restart")
    assert restarted.status_code == 200
    assert datetime.fromisoformat(restarted.json()["date"]) >= before - timedelta(seconds=1)
    assert restarted.json()["nextExecutionDate"] is None
    assert client.post(f"{API}/triggers/{ns}/scheduled/nope/restart").status_code == 404
    client.put(f"{API}/triggers", json={**_key(ns, "every_second"), "disabled": True})  # quiet for other tests


def test_backfill_validation(client: httpx.Client, ns: str) -> None:
    _deploy(client, ns)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    cases = [
        ({**_key(ns, "hook"), "backfill": BACKFILL}, 400, "only Schedule"),
        ({**_key(ns), "backfill": {**BACKFILL, "end": future}}, 400, "future"),
        ({**_key(ns), "backfill": {**BACKFILL, "start": "2024-01-01T00:00:00Z", "end": "2023-01-01T00:00:00Z"}}, 400,
         "after the end"),
        ({**_key(ns), "backfill": {**BACKFILL, "inputs": {"size": "many"}}}, 422, "size"),
        ({**_key(ns, "nope"), "backfill": BACKFILL}, 404, "nope"),
        ({**_key(ns), "backfill": {"end": "2023-01-01T00:00:00Z"}}, 422, "start"),
    ]
    for body, status, text in cases:
        response = client.put(f"{API}/triggers", json=body)
        assert response.status_code == status, (body, response.text)
        assert text in response.text
    assert client.post(f"{API}/triggers/backfill/delete", json=_key(ns)).status_code == 404
    assert client.put(f"{API}/triggers/backfill/pause", json=_key(ns)).status_code == 404


def test_backfill_fires_each_date_once_paused_resumed(client: httpx.Client, server: Any, ns: str) -> None:
    _deploy(client, ns)
    created = client.put(f"{API}/triggers", json={**_key(ns), "backfill": BACKFILL})
    assert created.status_code == 200, created.text
    backfill = created.json()["backfill"]
    assert backfill["start"] == "2020-01-01T00:00:00+00:00" and backfill["paused"] is False
    assert backfill["labels"] == [{"key": "reason", "value": "outage"}]
    assert client.put(f"{API}/triggers", json={**_key(ns), "backfill": BACKFILL}).status_code == 409

    paused = client.put(f"{API}/triggers/backfill/pause", json=_key(ns))
    assert paused.status_code == 200 and paused.json()["backfill"]["paused"] is True
    schedulers = [Scheduler(server.store), Scheduler(server.store)]
    schedulers[0].tick()
    assert _executions(client, ns) == []  # paused: nothing fires
    assert client.put(f"{API}/triggers/backfill/unpause", json=_key(ns)).json()["backfill"]["paused"] is False

    # Two schedulers tick at the same time until the backfill is done: one execution at a time, once per date.
    deadline = time.monotonic() + 30
    while client.get(f"{API}/triggers/{ns}/scheduled").json()["results"][0]["backfill"] is not None:
        assert time.monotonic() < deadline, "backfill did not finish"
        threads = [threading.Thread(target=s.tick) for s in schedulers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        running = [e for e in _executions(client, ns) if e["state"]["current"] not in ("SUCCESS", "FAILED")]
        assert len(running) <= 1  # without allowConcurrent the next date waits for the previous execution
        time.sleep(0.02)
    found = _wait_all_ended(client, ns, 4)
    assert sorted(e["trigger"]["date"] for e in found) == YEARS
    for execution in found:
        labels = {lb["key"]: lb["value"] for lb in execution["labels"]}
        assert labels["backfill"] == "true" and labels["reason"] == "outage" and labels["from"] == "schedule"
        assert execution["inputs"]["size"] == 7
    # The trigger's own dates were not moved by the backfill; its executions held the trigger one at a time.
    yearly = next(t for t in client.get(f"{API}/triggers/{ns}/scheduled").json()["results"]
                  if t["triggerId"] == "yearly")
    assert yearly["date"] is None or yearly["date"] > YEARS[-1]
    assert yearly["executionId"] in {e["id"] for e in found}
    # A second backfill over the same dates fires nothing again: each date is one execution.
    client.put(f"{API}/triggers", json={**_key(ns), "backfill": BACKFILL})
    for _ in range(6):
        schedulers[1].tick()
    assert len(_executions(client, ns)) == 4


def test_backfill_delete_and_bulk_actions(client: httpx.Client, server: Any, ns: str) -> None:
    _deploy(client, ns)
    client.put(f"{API}/triggers", json={**_key(ns), "backfill": BACKFILL})
    keys = [_key(ns), _key(ns, "hook")]
    assert client.post(f"{API}/triggers/backfill/pause/by-triggers", json=keys).json() == {"count": 1}
    assert client.post(f"{API}/triggers/backfill/unpause/by-triggers", json=keys).json() == {"count": 1}
    assert client.post(f"{API}/triggers/backfill/bogus/by-triggers", json=keys).status_code == 422
    deleted = client.post(f"{API}/triggers/backfill/delete", json=_key(ns))
    assert deleted.status_code == 200 and deleted.json()["backfill"] is None
    Scheduler(server.store).tick()
    assert _executions(client, ns) == []


def test_cli_backfill_unlock_restart(server: Any, ns: str) -> None:
    with server.client() as client:
        _deploy(client, ns)
    runner = CliRunner()
    url = ["--database-url", _url(server)]
    base = [ns, "scheduled", "yearly"]
    out = runner.invoke(cli, ["trigger", "backfill", *base, "--start", "2021-01-01", "--end", "2022-06-01",
                              "--input", "size=3", "--label", "reason=cli", *url])
    assert out.exit_code == 0, out.output
    assert "backfill of trigger yearly" in out.output
    again = runner.invoke(cli, ["trigger", "backfill", *base, "--start", "2021-01-01", *url])
    assert again.exit_code == 1 and "already has a backfill" in again.output
    listed = runner.invoke(cli, ["trigger", "backfills", "--namespace", ns, *url])
    assert "2021-01-01" in listed.output and "0 executions" in listed.output
    assert runner.invoke(cli, ["trigger", "backfill-pause", *base, *url]).exit_code == 0
    assert "PAUSED" in runner.invoke(cli, ["trigger", "backfills", "--namespace", ns, *url]).output
    assert runner.invoke(cli, ["trigger", "backfill-resume", *base, *url]).exit_code == 0
    assert runner.invoke(cli, ["trigger", "backfill-delete", *base, *url]).exit_code == 0
    missing = runner.invoke(cli, ["trigger", "backfill-delete", *base, *url])
    assert missing.exit_code == 1 and "has no backfill" in missing.output
    not_locked = runner.invoke(cli, ["trigger", "unlock", *base, *url])
    assert not_locked.exit_code == 1 and "not locked" in not_locked.output
    assert runner.invoke(cli, ["trigger", "restart", *base, *url]).exit_code == 0
    bad = runner.invoke(cli, ["trigger", "backfill", ns, "scheduled", "hook", "--start", "2021-01-01", *url])
    assert bad.exit_code == 1 and "only Schedule" in bad.output


def _url(server: Any) -> str:
    if server.backend == "sqlite":
        return f"sqlite:///{server.data_dir / 'legato.db'}"
    return str(server.store.database.dialect.url)


def test_a_trigger_that_fails_to_evaluate_shows_its_error_until_restarted(client: httpx.Client, server: Any,
                                                                          ns: str) -> None:
    source = f"""id: broken
namespace: {ns}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: every_second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "* * * * * *"
    withSeconds: true
    when: "{{{{ trigger.nothing }}}}"
"""
    assert client.post(f"{API}/flows", content=source, headers=YAML).status_code == 200
    Scheduler(server.store).tick(datetime.now(UTC) + timedelta(seconds=2))
    state = client.get(f"{API}/triggers/{ns}/broken").json()["results"][0]
    assert "Undefined variable 'trigger.nothing'" in state["error"] and state["errorDate"]
    assert _executions(client, ns) == []
    restarted = client.post(f"{API}/triggers/{ns}/broken/every_second/restart").json()
    assert restarted["error"] is None and restarted["errorDate"] is None
    client.put(f"{API}/triggers", json={"namespace": ns, "flowId": "broken", "triggerId": "every_second",
                                        "disabled": True})


def test_a_schedule_lists_its_next_three_fire_times(client: httpx.Client, ns: str) -> None:
    _deploy(client, ns)
    by_id = {t["triggerId"]: t for t in client.get(f"{API}/triggers/{ns}/scheduled").json()["results"]}
    upcoming = [datetime.fromisoformat(d) for d in by_id["yearly"]["nextDates"]]
    this_year = datetime.now(UTC).year
    assert upcoming == [datetime(this_year + n, 1, 1, tzinfo=UTC) for n in (1, 2, 3)]
    assert by_id["yearly"]["nextExecutionDate"] in (None, by_id["yearly"]["nextDates"][0])
    assert by_id["every_second"]["nextDates"] == []  # disabled: it fires never
    assert by_id["hook"]["nextDates"] == []  # no schedule
