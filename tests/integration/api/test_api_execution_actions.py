"""Executions through the API, second part: delete, labels, replay, force-run/unqueue, evaluating expressions,
validating inputs, flow export, log deletion, secrets masked, and the execution's files (download, preview)."""

from __future__ import annotations

import base64
import io
import json
import time
import zipfile
from typing import Any

import httpx
from tests.integration.api.executions_support import (
    API,
    FAILS_SECOND,
    THREE_TASKS,
    deploy,
    run,
    start,
    task_run,
    until_state,
)

from legato.storage import LocalStorage
from legato.storage.uris import execution_prefix, join

QUEUED = """id: one_at_a_time
namespace: {ns}
concurrency:
  limit: 1
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT2S
"""

SECRET = """id: secretive
namespace: {ns}
inputs:
  - id: token
    type: SECRET
  - id: user
    type: STRING
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "token={{{{ inputs.token }}}} user={{{{ inputs.user }}}}"
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "using {{{{ inputs.token }}}}"
"""


def test_delete_execution_removes_it_its_logs_and_files(client: httpx.Client, server: Any, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done, kept = run(client, ns), run(client, ns)
    storage = LocalStorage(server.data_dir / "storage")
    uri = join(execution_prefix(ns, "three", done["id"]), "tasks/a/out.txt")
    storage.put(uri, b"data")
    assert client.get(f"{API}/logs/{done['id']}").json() != []
    assert client.delete(f"{API}/executions/{done['id']}").status_code == 204
    assert client.get(f"{API}/executions/{done['id']}").status_code == 404
    assert client.get(f"{API}/logs/{done['id']}").status_code == 404
    assert not storage.exists(uri)
    assert client.delete(f"{API}/executions/{done['id']}").status_code == 404
    assert client.get(f"{API}/executions/{kept['id']}").status_code == 200
    found = client.get(f"{API}/executions/search", params={"namespace": ns}).json()
    assert [x["id"] for x in found["results"]] == [kept["id"]]


def test_labels_are_added_and_changed_by_the_executor(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done = run(client, ns)
    response = client.post(f"{API}/executions/{done['id']}/labels",
                           json=[{"key": "team", "value": "ops"}, {"key": "reviewed", "value": "yes"}])
    assert response.status_code == 200
    for _ in range(100):
        labels = {lb["key"]: lb["value"] for lb in client.get(f"{API}/executions/{done['id']}").json()["labels"]}
        if labels.get("reviewed"):
            break
        until_state(client, done["id"], "SUCCESS")
    assert labels == {"team": "ops", "reviewed": "yes", "system.correlationId": done["id"]}
    found = client.get(f"{API}/executions/search", params={"namespace": ns, "labels": "reviewed:yes"}).json()
    assert [x["id"] for x in found["results"]] == [done["id"]]
    assert client.post(f"{API}/executions/nope/labels", json=[{"key": "a", "value": "b"}]).status_code == 404
    assert client.post(f"{API}/executions/{done['id']}/labels", json=[{"key": "", "value": "b"}]).status_code == 400
    assert client.post(f"{API}/executions/{done['id']}/labels", json={"key": "a"}).status_code == 422


def test_replay_from_a_task_run_reuses_earlier_outputs(client: httpx.Client, ns: str) -> None:
    deploy(client, FAILS_SECOND, ns)
    failed = run(client, ns, "failing")
    assert failed["state"]["current"] == "FAILED"
    boom = task_run(failed, "boom")
    response = client.post(f"{API}/executions/{failed['id']}/replay", params={"taskRunId": boom["id"]})
    assert response.status_code == 200, response.text
    replayed = until_state(client, response.json()["id"], "FAILED", "SUCCESS")
    assert replayed["originalId"] == failed["id"] and replayed["id"] != failed["id"]
    assert client.post(f"{API}/executions/{failed['id']}/replay", params={"taskRunId": "nope"}).status_code == 404
    assert client.post(f"{API}/executions/{failed['id']}/replay", params={"revision": 99}).status_code == 404
    from_start = client.post(f"{API}/executions/{failed['id']}/replay")
    assert from_start.status_code == 200


def test_force_run_starts_a_queued_execution(client: httpx.Client, ns: str) -> None:
    deploy(client, QUEUED, ns)
    first = start(client, ns, "one_at_a_time").json()
    until_state(client, first["id"], "RUNNING")
    second = start(client, ns, "one_at_a_time").json()
    until_state(client, second["id"], "QUEUED")
    assert client.post(f"{API}/executions/{first['id']}/force-run").status_code == 409
    assert client.post(f"{API}/executions/{second['id']}/force-run").status_code == 200
    until_state(client, second["id"], "RUNNING", "SUCCESS")
    third = start(client, ns, "one_at_a_time").json()
    until_state(client, third["id"], "QUEUED")
    assert client.post(f"{API}/executions/{third['id']}/unqueue", params={"state": "KILLED"}).status_code == 200
    until_state(client, third["id"], "KILLED")
    assert client.post(f"{API}/executions/{third['id']}/unqueue").status_code == 409


def test_eval_renders_as_the_task_run_sees_it(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done = run(client, ns, name="Ada")
    b = task_run(done, "b")
    url = f"{API}/executions/{done['id']}/eval/{b['id']}"
    text = {"Content-Type": "text/plain"}
    answer = client.post(url, content="{{ outputs.a.value }} / {{ inputs.count }} / {{ taskrun.id }}", headers=text)
    assert answer.status_code == 200
    assert answer.json() == {"result": f"hello Ada / 2 / {b['id']}", "error": None}
    broken = client.post(url, content="{{ outputs.nope.value }}", headers=text).json()
    assert broken["result"] is None and "nope" in broken["error"]
    assert client.post(url, content="{{ 1 +", headers=text).json()["error"]
    # the file functions see the namespace's files, as the execution's tasks do
    upload = client.post(f"{API}/namespaces/{ns}/files", params={"path": "/notes/a.txt"}, files={"fileContent": ("a.txt", b"hi")})
    assert upload.status_code == 201
    read = client.post(url, content="{{ read('notes/a.txt') }} {{ fileExists('nsfile:///notes/b.txt') }}", headers=text)
    assert read.json() == {"result": "hi false", "error": None}
    assert client.post(f"{API}/executions/{done['id']}/eval/nope", content="x", headers=text).status_code == 404


def test_validate_inputs_answers_typed_values_and_creates_nothing(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    ok = client.post(f"{API}/executions/{ns}/three/validate", files={"name": (None, "Ada"), "count": (None, "4")})
    assert ok.status_code == 200
    assert ok.json()["inputs"] == {"name": "Ada", "count": 4}
    bad = client.post(f"{API}/executions/{ns}/three/validate", json={"count": "many"})
    assert bad.status_code == 422 and {d["path"] for d in bad.json()["details"]} == {"name", "count"}
    assert client.post(f"{API}/executions/{ns}/ghost/validate", json={}).status_code == 404
    assert client.get(f"{API}/executions/search", params={"namespace": ns}).json()["total"] == 0


def test_flows_export_zip_holds_the_sources(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    deploy(client, FAILS_SECOND, ns)
    response = client.get(f"{API}/flows/export/by-query", params={"namespace": ns})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [f"{ns}.failing.yml", f"{ns}.three.yml"]
    assert archive.read(f"{ns}.three.yml").decode() == THREE_TASKS.format(ns=ns)


def test_delete_logs_of_one_task_run_or_all(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done = run(client, ns)
    b = task_run(done, "b")
    lines = client.get(f"{API}/logs/{done['id']}").json()
    assert any(line["taskRunId"] == b["id"] for line in lines)
    assert client.delete(f"{API}/logs/{done['id']}", params={"taskRunId": b["id"]}).status_code == 204
    after = client.get(f"{API}/logs/{done['id']}").json()
    assert [line for line in lines if line["taskRunId"] != b["id"]] == after
    client.post(f"{API}/executions/{done['id']}/replay")  # more lines elsewhere must survive the next delete
    assert client.delete(f"{API}/logs/{done['id']}").status_code == 204
    assert client.get(f"{API}/logs/{done['id']}").json() == []
    assert client.delete(f"{API}/logs/nope").status_code == 404


def test_secret_inputs_are_masked_in_inputs_outputs_and_logs(client: httpx.Client, ns: str) -> None:
    deploy(client, SECRET, ns)
    done = start(client, ns, "secretive", params={"wait": True}, json={"token": "hunter2", "user": "ada"}).json()
    assert done["state"]["current"] == "SUCCESS"
    again = client.get(f"{API}/executions/{done['id']}").json()
    for body in (done, again):
        assert body["inputs"] == {"token": "******", "user": "ada"}
        assert task_run(body, "echo")["outputs"] == {"value": "token=****** user=ada"}
    logs = client.get(f"{API}/logs/{done['id']}").text + client.get(f"{API}/logs/{done['id']}/download").text
    logs += client.get(f"{API}/logs/search", params={"namespace": ns}).text
    assert "using ******" in logs and "hunter2" not in logs
    validated = client.post(f"{API}/executions/{ns}/secretive/validate", json={"token": "hunter2", "user": "x"})
    assert validated.json()["inputs"] == {"token": "******", "user": "x"}
    say = task_run(done, "say")
    evaluated = client.post(f"{API}/executions/{done['id']}/eval/{say['id']}", content="{{ inputs.token }}!")
    assert evaluated.json()["result"] == "******!"


def test_execution_files_download_and_preview(client: httpx.Client, server: Any, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    done = run(client, ns)
    storage = LocalStorage(server.data_dir / "storage")
    base = execution_prefix(ns, "three", done["id"])
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    files = {
        "rows.csv": b"a,b\n1,x\n2,y\n3,z\n",
        "rows.json": json.dumps([{"a": 1}, {"a": 2}, {"a": 3}]).encode(),
        "rows.ion": b'{a:1,b:"x",c:2024-01-01T00:00:00Z}\n{a:2,b:"y",c:null}\n{a:3,b:"z",c:[1,2]}\n',
        "notes.txt": b"hello\nworld\n",
        "pixel.png": png,
        "blob.bin": bytes(range(256)),
    }
    uris = {name: storage.put(join(base, f"tasks/a/{name}"), data) for name, data in files.items()}
    url = f"{API}/executions/{done['id']}/file"
    download = client.get(url, params={"path": uris["rows.csv"]})
    assert download.status_code == 200 and download.content == files["rows.csv"]
    assert "rows.csv" in download.headers["content-disposition"]
    assert client.get(f"{url}/metas", params={"path": uris["blob.bin"]}).json()["size"] == 256

    def show(name: str, rows: int = 2) -> dict[str, Any]:
        response = client.get(f"{url}/preview", params={"path": uris[name], "maxRows": rows})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    assert show("rows.csv") | {"size": 0} == {"extension": "csv", "type": "LIST", "truncated": True, "size": 0,
                                               "content": [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]}
    assert show("rows.json", 5)["content"] == [{"a": 1}, {"a": 2}, {"a": 3}]
    ion = show("rows.ion", 3)["content"]
    assert ion == [{"a": 1, "b": "x", "c": "2024-01-01T00:00:00Z"}, {"a": 2, "b": "y", "c": None},
                   {"a": 3, "b": "z", "c": [1, 2]}]
    assert show("notes.txt")["type"] == "TEXT" and show("notes.txt")["content"] == "hello\nworld\n"
    image = show("pixel.png")
    assert image["type"] == "IMAGE" and image["content"].endswith(base64.b64encode(png).decode())
    assert show("blob.bin")["type"] == "NONE"
    other = run(client, ns)
    assert client.get(url, params={"path": join(execution_prefix(ns, "three", other["id"]), "x")}).status_code == 422
    assert client.get(url, params={"path": join(base, "missing.txt")}).status_code == 404
    assert client.get(f"{API}/executions/nope/file", params={"path": uris["rows.csv"]}).status_code == 404


SLOW_CHAIN = """id: slow_chain
namespace: {ns}
tasks:
  - id: first
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1S
  - id: second
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


def test_pause_holds_the_next_task_until_resume(client: httpx.Client, ns: str) -> None:
    deploy(client, SLOW_CHAIN, ns)
    execution_id = start(client, ns, "slow_chain").json()["id"]
    until_state(client, execution_id, "RUNNING")
    assert client.post(f"{API}/executions/{execution_id}/pause").status_code == 204
    body = until_state(client, execution_id, "PAUSED")
    deadline = time.monotonic() + 10
    while task_run(body, "first")["state"]["current"] != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
        body = client.get(f"{API}/executions/{execution_id}").json()
    time.sleep(0.3)  # the executor had time to start `second` if it were not held
    body = client.get(f"{API}/executions/{execution_id}").json()
    assert body["state"]["current"] == "PAUSED"
    assert task_run(body, "second")["state"]["current"] == "CREATED"
    again = client.post(f"{API}/executions/{execution_id}/pause")
    assert again.status_code == 409 and "PAUSED" in again.json()["message"]
    assert client.post(f"{API}/executions/{execution_id}/resume").status_code == 204
    body = until_state(client, execution_id, "SUCCESS")
    assert task_run(body, "second")["outputs"]["value"] == "done"


def test_pause_of_missing_or_ended_executions_is_refused(client: httpx.Client, ns: str) -> None:
    deploy(client, THREE_TASKS, ns)
    ended = run(client, ns)["id"]
    assert client.post(f"{API}/executions/{ended}/pause").status_code == 409
    assert client.post(f"{API}/executions/nope/pause").status_code == 404
    bulk = client.post(f"{API}/executions/pause/by-ids", json=[ended]).json()
    assert bulk["count"] == 0 and len(bulk["errors"]) == 1
