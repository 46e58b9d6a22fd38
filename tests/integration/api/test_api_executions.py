"""Executions through the API: create (inputs, files, labels, wait, scheduleDate), get, search, kill,
restart, resume, task-run state, and following them with Server-Sent Events."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from tests.integration.api.executions_support import (
    API,
    FAILS_AT_ONCE,
    THREE_TASKS,
    deploy,
    start,
    task_run,
    until_state,
)

from legato.storage import LocalStorage

WITH_FILE = """id: upload
namespace: {ns}
inputs:
  - id: doc
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.doc }}}}"
"""

PAUSED = """id: approval
namespace: {ns}
tasks:
  - id: ask
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOL
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.ask.onResume.approved }}}}"
"""

SLEEPY = """id: sleepy
namespace: {ns}
tasks:
  - id: first
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
  - id: second
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
"""


def test_create_with_wait_returns_the_final_execution(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    response = start(client, ns, "three", params={"wait": True, "labels": ["env:prod", "owner:me"]},
                     files={"name": (None, "Ada"), "count": (None, "5")})
    assert response.status_code == 200
    body = response.json()
    assert body["state"]["current"] == "SUCCESS"
    assert (body["namespace"], body["flowId"], body["flowRevision"]) == (ns, "three", 1)
    assert body["inputs"] == {"name": "Ada", "count": 5}
    assert [r["taskId"] for r in body["taskRunList"]] == ["a", "b", "c"]
    assert task_run(body, "a")["outputs"] == {"value": "hello Ada"}
    assert task_run(body, "c")["outputs"] == {"value": "10"}
    labels = {lb["key"]: lb["value"] for lb in body["labels"]}
    assert labels == {"team": "data", "env": "prod", "owner": "me", "system.correlationId": body["id"]}
    assert client.get(f"{API}/executions/{body['id']}").json()["state"]["current"] == "SUCCESS"


def test_create_without_wait_answers_at_once_and_runs(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    response = start(client, ns, "three", json={"name": "Bo"})
    assert response.status_code == 200
    assert response.json()["state"]["current"] == "CREATED"
    final = until_state(client, response.json()["id"], "SUCCESS")
    assert task_run(final, "a")["outputs"] == {"value": "hello Bo"}


def test_invalid_inputs_are_422_naming_them_and_create_nothing(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    response = start(client, ns, "three", files={"count": (None, "many")})
    assert response.status_code == 422
    paths = {d["path"] for d in response.json()["details"]}
    assert paths == {"name", "count"}
    found = client.get(f"{API}/executions/search", params={"namespace": ns}).json()
    assert found["total"] == 0


def test_unknown_flow_404_bad_label_400_bad_body_415(client: httpx.Client, ns: str) -> None:
    assert start(client, ns, "ghost").status_code == 404
    deploy(client, THREE_TASKS, ns)
    assert start(client, ns, "three", params={"labels": "nocolon"}, json={"name": "x"}).status_code == 400
    response = start(client, ns, "three", content=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert start(client, ns, "three", content=b"[1]", headers={"Content-Type": "application/json"}).status_code == 400
    assert client.get(f"{API}/executions/nope").status_code == 404


def test_disabled_flow_cannot_start(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS.replace("tasks:", "disabled: true\ntasks:", 1), ns)
    response = start(client, ns, "three", json={"name": "x"})
    assert response.status_code == 409
    assert "disabled" in response.json()["message"]


def test_file_input_is_stored_in_internal_storage_under_the_execution(client: httpx.Client, server, ns: str) -> None:  # type: ignore[no-untyped-def]
    deploy(client, WITH_FILE, ns)
    response = start(client, ns, "upload", params={"wait": True},
                     files={"doc": ("../../etc/evil name.txt", b"line one\nline two\n", "text/plain")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"]["current"] == "SUCCESS"
    uri = body["inputs"]["doc"]
    assert uri == f"kestra:///{ns.replace('.', '/')}/upload/executions/{body['id']}/inputs/doc/evil_name.txt"
    assert task_run(body, "show")["outputs"] == {"value": uri}
    download = client.get(f"{API}/executions/{body['id']}/file", params={"path": uri})
    assert download.status_code == 200 and download.content == b"line one\nline two\n"
    assert not any((server.data_dir / "uploads").rglob("*.txt"))  # the request's spool is gone


def test_invalid_inputs_keep_no_uploaded_file(client: httpx.Client, server, ns: str) -> None:  # type: ignore[no-untyped-def]
    deploy(client, WITH_FILE.replace("tasks:", "  - id: n\n    type: INT\ntasks:", 1), ns)
    response = start(client, ns, "upload", data={"n": "not a number"}, files={"doc": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 422, response.text
    storage = LocalStorage(server.data_dir / "storage")
    assert storage.list(f"kestra:///{ns.replace('.', '/')}/upload") == []
    assert not any((server.data_dir / "uploads").rglob("*.txt"))


def test_schedule_date_delays_the_start(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    body = start(client, ns, "three", params={"scheduleDate": later}, json={"name": "x"}).json()
    assert datetime.fromisoformat(body["scheduleDate"]) == datetime.fromisoformat(later)
    time.sleep(0.5)
    still = client.get(f"{API}/executions/{body['id']}").json()
    assert still["state"]["current"] == "CREATED" and still["taskRunList"] == []
    assert client.delete(f"{API}/executions/{body['id']}/kill").status_code == 202
    until_state(client, body["id"], "KILLED")
    naive = (datetime.now(UTC) - timedelta(seconds=1)).replace(tzinfo=None).isoformat()  # no zone: UTC, past: now
    done = start(client, ns, "three", params={"scheduleDate": naive, "wait": True}, json={"name": "y"}).json()
    assert done["state"]["current"] == "SUCCESS"


def test_several_scheduled_executions_each_start_at_their_date(client: httpx.Client, ns: str) -> None:
    """Each execution keeps its own start timer (and kill deadline): none is lost to another's."""
    deploy(client, THREE_TASKS, ns)
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    ids = [start(client, ns, "three", params={"scheduleDate": soon}, json={"name": str(i)}).json()["id"] for i in range(3)]
    for execution_id in ids:
        until_state(client, execution_id, "SUCCESS")


CHECKED = """id: checked
namespace: {ns}
inputs:
  - id: name
    type: STRING
checks:
  - condition: "{{{{ (inputs.name | upper) == 'KESTRA' }}}}"
    message: "Sorry, only 'Kestra'"
    style: ERROR
  - condition: "{{{{ (inputs.name | lower) == inputs.name }}}}"
    message: lower case, please
    style: WARNING
    behavior: CREATE_EXECUTION
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: "hi {{{{ inputs.name }}}}"
"""


def test_flow_checks_block_or_warn_before_the_execution_is_created(client: httpx.Client, ns: str) -> None:
    deploy(client, CHECKED, ns)
    blocked = start(client, ns, "checked", data={"name": "Airflow"})
    assert blocked.status_code == 422
    assert blocked.json()["message"] == "the flow's checks do not hold: Sorry, only 'Kestra'"
    assert client.get(f"{API}/executions/search", params={"namespace": ns}).json()["total"] == 0
    validated = client.post(f"{API}/executions/{ns}/checked/validate", data={"name": "kestra"}).json()
    assert validated["inputs"] == {"name": "kestra"} and validated["checks"] == []
    assert client.post(f"{API}/executions/{ns}/checked/validate", data={"name": "Prefect"}).status_code == 422
    loud = client.post(f"{API}/executions/{ns}/checked/validate", data={"name": "KESTRA"}).json()
    assert loud["checks"] == [{"message": "lower case, please", "style": "WARNING"}]
    warned = start(client, ns, "checked", data={"name": "KESTRA"}, params={"wait": True}).json()
    assert warned["state"]["current"] == "SUCCESS"
    logs = client.get(f"{API}/logs/{warned['id']}").json()
    assert any(line["level"] == "WARN" and line["message"] == "check: lower case, please" for line in logs)


def test_search_by_state_flow_labels_dates_with_paging(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    deploy(client, FAILS_AT_ONCE, ns)
    before = datetime.now(UTC)
    ok = [start(client, ns, "three", params={"wait": True, "labels": f"n:{i}"}, json={"name": "x"}).json() for i in range(3)]
    bad = start(client, ns, "failing", params={"wait": True}).json()
    assert bad["state"]["current"] == "FAILED"
    search = f"{API}/executions/search"
    everything = client.get(search, params={"namespace": ns, "size": 50}).json()
    assert everything["total"] == 4
    assert everything["results"][0]["id"] == bad["id"]  # newest first
    failed = client.get(search, params={"namespace": ns, "state": "FAILED"}).json()
    assert [x["id"] for x in failed["results"]] == [bad["id"]]
    several = client.get(search, params={"namespace": ns, "state": ["FAILED", "SUCCESS"]}).json()
    assert several["total"] == 4
    flow_only = client.get(search, params={"namespace": ns, "flowId": "three"}).json()
    assert flow_only["total"] == 3
    labelled = client.get(search, params={"namespace": ns, "labels": "n:1"}).json()
    assert [x["id"] for x in labelled["results"]] == [ok[1]["id"]]
    parent = client.get(search, params={"namespace": ns.rsplit(".", 1)[0], "flowId": "three", "size": 1}).json()
    assert parent["total"] == 0  # flowId narrows to the exact namespace
    page = client.get(search, params={"namespace": ns, "size": 2, "page": 2, "sort": "startDate:asc"}).json()
    assert [x["id"] for x in page["results"]] == [ok[2]["id"], bad["id"]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert client.get(search, params={"namespace": ns, "startDate": future}).json()["total"] == 0
    window = client.get(search, params={"namespace": ns, "startDate": before.isoformat(), "endDate": future}).json()
    assert window["total"] == 4
    assert client.get(search, params={"state": "NOPE"}).status_code == 422
    naive = before.replace(tzinfo=None).isoformat()  # no zone: UTC
    assert client.get(search, params={"namespace": ns, "startDate": naive}).json()["total"] == 4


def test_kill_a_paused_execution(client: httpx.Client, ns: str) -> None:
    deploy(client, PAUSED, ns)
    created = start(client, ns, "approval").json()
    until_state(client, created["id"], "PAUSED")
    assert client.delete(f"{API}/executions/{created['id']}/kill").status_code == 202
    until_state(client, created["id"], "KILLED")
    again = client.delete(f"{API}/executions/{created['id']}/kill")
    assert again.status_code == 409
    assert client.delete(f"{API}/executions/missing/kill").status_code == 404


def test_resume_validates_on_resume_inputs(client: httpx.Client, ns: str) -> None:
    deploy(client, PAUSED, ns)
    created = start(client, ns, "approval").json()
    until_state(client, created["id"], "PAUSED")
    bad = client.post(f"{API}/executions/{created['id']}/resume", files={"approved": (None, "maybe")})
    assert bad.status_code == 422
    assert bad.json()["details"][0]["path"] == "approved"
    assert client.get(f"{API}/executions/{created['id']}").json()["state"]["current"] == "PAUSED"
    good = client.post(f"{API}/executions/{created['id']}/resume", files={"approved": (None, "true")})
    assert good.status_code == 204
    final = until_state(client, created["id"], "SUCCESS")
    assert task_run(final, "after")["outputs"] == {"value": "true"}
    assert client.post(f"{API}/executions/{created['id']}/resume").status_code == 409


def test_restart_a_failed_execution(client: httpx.Client, ns: str) -> None:
    deploy(client, FAILS_AT_ONCE, ns)
    failed = start(client, ns, "failing", params={"wait": True}).json()
    assert failed["state"]["current"] == "FAILED"
    response = client.post(f"{API}/executions/{failed['id']}/restart")
    assert response.status_code == 200
    deadline = time.monotonic() + 20
    while True:
        body = client.get(f"{API}/executions/{failed['id']}").json()
        states = [h["state"] for h in body["state"]["histories"]]
        if "RESTARTED" in states and body["state"]["current"] == "FAILED":
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.05)
    ok = start(client, ns, "failing", params={"wait": True}).json()
    assert client.post(f"{API}/executions/{ok['id']}/restart").status_code == 200  # FAILED again: allowed
    deploy(client, THREE_TASKS, ns)
    done = start(client, ns, "three", params={"wait": True}, json={"name": "x"}).json()
    assert client.post(f"{API}/executions/{done['id']}/restart").status_code == 409


def test_change_task_run_state_lets_the_execution_go_on(client: httpx.Client, ns: str) -> None:
    deploy(client, FAILS_AT_ONCE, ns)
    failed = start(client, ns, "failing", params={"wait": True}).json()
    boom = task_run(failed, "boom")
    assert boom["state"]["current"] == "FAILED"
    bad = client.post(f"{API}/executions/{failed['id']}/state", json={"taskRunId": boom["id"], "state": "NOPE"})
    assert bad.status_code == 422
    missing = client.post(f"{API}/executions/{failed['id']}/state", json={"taskRunId": "nope", "state": "SUCCESS"})
    assert missing.status_code == 404
    changed = client.post(f"{API}/executions/{failed['id']}/state", json={"taskRunId": boom["id"], "state": "SUCCESS"})
    assert changed.status_code == 200
    final = until_state(client, failed["id"], "SUCCESS")
    assert task_run(final, "boom")["state"]["current"] == "SUCCESS"
    assert task_run(final, "after")["outputs"] == {"value": "done"}


def read_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
    return events


def test_follow_streams_changes_and_ends_with_the_execution(client: httpx.Client, ns: str) -> None:
    deploy(client, SLEEPY, ns)
    created = start(client, ns, "sleepy").json()
    with client.stream("GET", f"{API}/executions/{created['id']}/follow") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = read_events(response)
    assert len(events) >= 2
    assert all(name == "progress" for name, _ in events[:-1])
    name, last = events[-1]
    assert name == "end" and last["state"]["current"] == "SUCCESS"
    seen = [e["state"]["current"] for _, e in events]
    assert "RUNNING" in seen
    texts = [json.dumps(e, sort_keys=True) for _, e in events]
    assert len(set(texts)) == len(texts)  # only changes are sent


def test_follow_a_slow_client_still_gets_the_end(client: httpx.Client, ns: str) -> None:
    deploy(client, SLEEPY, ns)
    created = start(client, ns, "sleepy").json()
    with client.stream("GET", f"{API}/executions/{created['id']}/follow") as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        assert json.loads(first[6:])["id"] == created["id"]
        time.sleep(1.0)  # a client that stops reading for a while
        rest = [json.loads(line[6:]) for line in lines if line.startswith("data: ")]
    assert rest[-1]["state"]["current"] == "SUCCESS"
    texts = [json.dumps(e, sort_keys=True) for e in rest]
    assert len(set(texts)) == len(texts)


def test_follow_an_ended_execution_sends_one_end_event(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done = start(client, ns, "three", params={"wait": True}, json={"name": "x"}).json()
    with client.stream("GET", f"{API}/executions/{done['id']}/follow") as response:
        events = read_events(response)
    assert [(n, e["state"]["current"]) for n, e in events] == [("end", "SUCCESS")]
    assert client.get(f"{API}/executions/unknown/follow").status_code == 404


@pytest.mark.parametrize("route", ["restart", "resume"])
def test_actions_on_unknown_executions_are_404(client: httpx.Client, route: str) -> None:
    assert client.post(f"{API}/executions/unknown-id/{route}").status_code == 404
