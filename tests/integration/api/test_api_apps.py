"""Apps over a real server (SQLite and PostgreSQL): create, read, update, list, delete and validate their YAML
(422 with the line and path of each problem); an app's page end to end (submit the form with a file, the
approval stage, resume with the pause's inputs, the outputs and the file download), reached only for the app's
own executions; and who may open a PUBLIC or a PRIVATE app on a server with authentication."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.api.conftest import LiveServer

from legato.clock import utcnow
from legato.services import access, identity
from legato.services.principal import SYSTEM

YAML = {"content-type": "application/x-yaml"}
PASSWORD = "app-user-password"


def flow(ns: str) -> str:
    return f"""id: approve
namespace: {ns}
inputs:
  - id: who
    type: STRING
  - id: doc
    type: FILE
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: "request from {{{{ inputs.who }}}}"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
        defaults: true
      - id: reason
        type: STRING
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ inputs.who }}}}: {{{{ outputs.wait.onResume.reason }}}}"
outputs:
  - id: verdict
    type: STRING
    value: "{{{{ outputs.done.value }}}}"
  - id: copy
    type: FILE
    value: "{{{{ inputs.doc }}}}"
"""


def app(app_id: str, ns: str, access: str = "PUBLIC", title: str = "Ask for approval") -> str:
    return f"""id: {app_id}
type: io.kestra.plugin.ee.apps.Execution
displayName: {title}
namespace: {ns}
flowId: approve
access:
  type: {access}
tags: [ops, approvals]
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Markdown
        content: "## {{{{ app.displayName }}}}"
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Send
  - on: RUNNING
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Loading
  - on: PAUSE
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Alert
        style: WARNING
        content: "Waiting for approval of {{{{ inputs.who }}}}"
      - type: io.kestra.plugin.ee.apps.execution.blocks.ResumeExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.ResumeExecutionButton
        text: Approve
      - type: io.kestra.plugin.ee.apps.execution.blocks.CancelExecutionButton
        text: Reject
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
        filter:
          taskIds: [hello]
  - on: SUCCESS
    blocks:
      - type: io.kestra.ee.apps.blocks.Markdown
        content: Done
      - type: io.kestra.plugin.ee.apps.execution.blocks.Outputs
      - type: io.kestra.plugin.ee.apps.execution.blocks.Inputs
        filter:
          exclude: [doc]
      - type: io.kestra.plugin.ee.apps.execution.blocks.TaskOutputs
        outputs:
          - displayName: Answer
            value: "{{{{ outputs.done.value }}}}"
  - on: FAILURE
    blocks:
      - type: io.kestra.plugin.ee.apps.core.blocks.Alert
        style: ERROR
        content: Rejected
"""


def _stage(client: httpx.Client, app_id: str, execution_id: str, want: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        page = client.get(f"/api/v1/main/apps/{app_id}/view", params={"execution": execution_id})
        assert page.status_code == 200, page.text
        body: dict[str, Any] = page.json()
        if body["stage"] == want:
            return body
        assert time.monotonic() < deadline, f"stage {body['stage']}, waited for {want}"
        time.sleep(0.1)


@pytest.fixture
def deployed(client: httpx.Client, ns: str) -> Iterator[str]:
    created = client.post("/api/v1/main/flows", content=flow(ns), headers=YAML)
    assert created.status_code == 200, created.text
    app_id = "app-" + ns.rsplit(".", 1)[-1]
    saved = client.post("/api/v1/main/apps", content=app(app_id, ns), headers=YAML)
    assert saved.status_code == 200, saved.text
    yield app_id


def test_crud_listing_and_validation(client: httpx.Client, ns: str, deployed: str) -> None:
    got = client.get(f"/api/v1/main/apps/{deployed}").json()
    assert got["displayName"] == "Ask for approval" and got["access"]["type"] == "PUBLIC"
    assert got["url"] == f"/ui/main/apps/{deployed}" and "layout:" in got["sourceCode"]
    assert client.post("/api/v1/main/apps", content=app(deployed, ns), headers=YAML).status_code == 409
    updated = client.put(f"/api/v1/main/apps/{deployed}", content=app(deployed, ns, title="Renamed"), headers=YAML)
    assert updated.status_code == 200 and updated.json()["displayName"] == "Renamed"
    listed = client.get("/api/v1/main/apps", params={"namespace": ns, "tags": ["ops"]}).json()
    assert [a["id"] for a in listed["results"]] == [deployed] and listed["results"][0]["sourceCode"] is None
    assert client.get("/api/v1/main/apps", params={"namespace": ns, "q": "nothing-like-it"}).json()["total"] == 0
    assert deployed in [a["id"] for a in client.get("/api/v1/main/apps/catalog").json()]
    bad = app(deployed, ns).replace("Loading", "Spinner").replace("text: Send", "text: Send\n        colour: red")
    refused = client.put(f"/api/v1/main/apps/{deployed}", content=bad, headers=YAML)
    assert refused.status_code == 422, refused.text
    assert any(d["path"] == "layout[0].blocks[2].colour" for d in refused.json()["details"]), refused.text
    checked = client.post("/api/v1/main/apps/validate", content=bad.replace("        colour: red\n", ""),
                          headers=YAML).json()
    assert "unknown block type 'io.kestra.plugin.ee.apps.core.blocks.Spinner'" in checked["constraints"]
    assert "<app>:19:15: layout[1].blocks[0].type" in checked["constraints"]  # the bad block's type, located
    wrong_stage = app(deployed, ns).replace("  - on: RUNNING\n    blocks:\n      - type: io.kestra.plugin.ee.apps.core"
                                            ".blocks.Loading", "  - on: RUNNING\n    blocks:\n      - type: "
                                            "CreateExecutionForm")
    assert "shown on OPEN, not on RUNNING" in client.post("/api/v1/main/apps/validate", content=wrong_stage,
                                                          headers=YAML).json()["constraints"]
    assert client.delete(f"/api/v1/main/apps/{deployed}").status_code == 204
    assert client.get(f"/api/v1/main/apps/{deployed}").status_code == 404


def test_submit_approve_and_read_the_outputs(client: httpx.Client, ns: str, deployed: str) -> None:
    opened = client.get(f"/api/v1/main/apps/{deployed}/view").json()
    assert opened["stage"] == "OPEN" and opened["execution"] is None
    assert [b["type"] for b in opened["blocks"]] == ["Markdown", "CreateExecutionForm", "CreateExecutionButton"]
    assert opened["blocks"][0]["content"] == "## Ask for approval"
    assert [i["id"] for i in opened["blocks"][1]["inputs"]] == ["who", "doc"]
    assert opened["blocks"][2]["text"] == "Send"

    refused = client.post(f"/api/v1/main/apps/{deployed}/executions", data={"who": "ann"})
    assert refused.status_code == 422 and "doc" in refused.text
    assert client.get("/api/v1/main/executions/search", params={"namespace": ns}).json()["total"] == 0

    submitted = client.post(f"/api/v1/main/apps/{deployed}/executions", data={"who": "ann"},
                            files={"doc": ("request.txt", b"please approve", "text/plain")})
    assert submitted.status_code == 200, submitted.text
    execution_id = submitted.json()["execution"]["id"]
    execution = client.get(f"/api/v1/main/executions/{execution_id}").json()
    assert {"key": "system.app", "value": deployed} in execution["labels"]

    paused = _stage(client, deployed, execution_id, "PAUSE")
    kinds = [b["type"] for b in paused["blocks"]]
    assert kinds == ["Alert", "ResumeExecutionForm", "ResumeExecutionButton", "CancelExecutionButton", "Logs"]
    assert paused["blocks"][0]["content"] == "Waiting for approval of ann"
    assert [i["id"] for i in paused["blocks"][1]["inputs"]] == ["approved", "reason"]
    assert any(line["message"] == "request from ann" for line in paused["blocks"][4]["lines"])

    bad = client.post(f"/api/v1/main/apps/{deployed}/executions/{execution_id}/resume", data={"approved": "true"})
    assert bad.status_code == 422 and "reason" in bad.text
    resumed = client.post(f"/api/v1/main/apps/{deployed}/executions/{execution_id}/resume",
                          data={"approved": "true", "reason": "fine by me"})
    assert resumed.status_code == 200, resumed.text

    done = _stage(client, deployed, execution_id, "SUCCESS")
    assert done["ended"] is True
    outputs = {v["id"]: v for v in done["blocks"][1]["values"]}
    assert outputs["verdict"]["value"] == "ann: fine by me" and outputs["copy"]["file"] is True
    assert [v["id"] for v in done["blocks"][2]["values"]] == ["who"]
    assert done["blocks"][3]["outputs"] == [{"displayName": "Answer", "type": "TEXT", "value": "ann: fine by me",
                                             "file": False}]
    download = client.get(f"/api/v1/main/apps/{deployed}/executions/{execution_id}/file",
                          params={"path": outputs["copy"]["value"]})
    assert download.status_code == 200 and download.content == b"please approve"
    outside = client.get(f"/api/v1/main/apps/{deployed}/executions/{execution_id}/file",
                         params={"path": f"kestra:///{ns}/other/file.txt"})
    assert outside.status_code == 422


def test_an_app_reaches_only_its_own_executions(client: httpx.Client, ns: str, deployed: str) -> None:
    # an execution of the same flow started outside the app, even with a forged label
    other = client.post(f"/api/v1/main/executions/{ns}/approve", params={"labels": f"system.other:{deployed}"},
                        data={"who": "eve"}, files={"doc": ("x.txt", b"x", "text/plain")})
    assert other.status_code == 200, other.text
    other_id = other.json()["id"]
    for method, path in (("GET", f"/view?execution={other_id}"), ("POST", f"/executions/{other_id}/cancel"),
                         ("POST", f"/executions/{other_id}/resume")):
        answer = client.request(method, f"/api/v1/main/apps/{deployed}{path}")
        assert answer.status_code == 404, (path, answer.text)
    client.post(f"/api/v1/main/executions/{other_id}/kill")

    submitted = client.post(f"/api/v1/main/apps/{deployed}/executions", data={"who": "bob"},
                            files={"doc": ("r.txt", b"r", "text/plain")}).json()
    execution_id = submitted["execution"]["id"]
    _stage(client, deployed, execution_id, "PAUSE")
    cancelled = client.post(f"/api/v1/main/apps/{deployed}/executions/{execution_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    failed = _stage(client, deployed, execution_id, "FAILURE")
    assert failed["blocks"] == [{"type": "Alert", "style": "ERROR", "content": "Rejected", "showIcon": True}]


def test_the_editor_previews_a_stage_of_an_unsaved_app(client: httpx.Client, ns: str, deployed: str) -> None:
    source = app("unsaved", ns)
    shown = client.post("/api/v1/main/apps/preview", json={"source": source, "stage": "PAUSE"})
    assert shown.status_code == 200, shown.text
    assert [b["type"] for b in shown.json()["blocks"]][:3] == ["Alert", "ResumeExecutionForm", "ResumeExecutionButton"]
    assert client.post("/api/v1/main/apps/preview", json={"source": source, "stage": "LATER"}).status_code == 400
    assert client.post("/api/v1/main/apps/preview", json={"source": "id: [", "stage": "OPEN"}).status_code == 422


def test_public_apps_open_to_anyone_private_ones_to_signed_in_users(auth_server: LiveServer, ns: str) -> None:
    admin = ("admin", "s3cret")
    with auth_server.client(auth=admin) as client:
        assert client.post("/api/v1/main/flows", content=flow(ns), headers=YAML).status_code == 200
        for app_id, access in (("pub-" + ns[-8:], "PUBLIC"), ("priv-" + ns[-8:], "PRIVATE")):
            assert client.post("/api/v1/main/apps", content=app(app_id, ns, access), headers=YAML).status_code == 200
    public, private = "pub-" + ns[-8:], "priv-" + ns[-8:]
    with httpx.Client(base_url=auth_server.url, timeout=30) as anonymous:
        assert anonymous.get(f"/api/v1/main/apps/{public}/view").status_code == 200
        started = anonymous.post(f"/api/v1/main/apps/{public}/executions", data={"who": "visitor"},
                                 files={"doc": ("v.txt", b"v", "text/plain")})
        assert started.status_code == 200, started.text
        assert anonymous.get(f"/api/v1/main/apps/{private}/view").status_code == 401
        assert anonymous.post(f"/api/v1/main/apps/{private}/executions", data={"who": "x"}).status_code == 401
        assert anonymous.get(f"/api/v1/main/apps/{public}").status_code == 401  # managing apps needs sign-in
        assert anonymous.get("/api/v1/main/apps").status_code == 401
        assert anonymous.get(f"/api/v1/main/executions/{started.json()['execution']['id']}").status_code == 401
        wrong = anonymous.get(f"/api/v1/main/apps/{private}/view", auth=("admin", "wrong"))
        assert wrong.status_code == 401
    with auth_server.client(auth=admin) as client:
        assert client.get(f"/api/v1/main/apps/{private}/view").status_code == 200


def test_a_private_app_needs_appexecution_on_its_namespace_and_one_of_its_groups(auth_server: LiveServer,
                                                                                 ns: str) -> None:
    store, now, admin = auth_server.store, utcnow(), ("admin", "s3cret")
    suffix = ns[-8:]
    with auth_server.client(auth=admin) as client:
        assert client.post("/api/v1/main/flows", content=flow(ns), headers=YAML).status_code == 200
        grouped = app(f"grp-{suffix}", ns, "PRIVATE").replace("  type: PRIVATE\n",
                                                              f"  type: PRIVATE\n  groups: [approvers-{suffix}]\n")
        for source in (app(f"prv-{suffix}", ns, "PRIVATE"), grouped):
            assert client.post("/api/v1/main/apps", content=source, headers=YAML).status_code == 200
    role = access.create_role(store, f"app-user-{suffix}", ["APPEXECUTION:VIEW", "APPEXECUTION:CREATE",
                                                           "APPEXECUTION:UPDATE"], by=SYSTEM, now=now)
    users = {}
    for name in ("member", "stranger", "outsider"):
        account = identity.create_account(store, "USER", f"{name}-{suffix}", password=PASSWORD, by=SYSTEM, now=now)
        users[name] = account
    access.create_binding(store, role.id, "USER", users["member"].id, ns, by=SYSTEM, now=now)
    access.create_binding(store, role.id, "USER", users["stranger"].id, ns, by=SYSTEM, now=now)
    access.create_binding(store, role.id, "USER", users["outsider"].id, "elsewhere", by=SYSTEM, now=now)
    group = access.create_group(store, f"approvers-{suffix}", by=SYSTEM, now=now)
    access.set_member(store, group.id, users["member"].id, True, by=SYSTEM)

    def as_user(name: str) -> httpx.Client:
        return auth_server.client(auth=(f"{name}-{suffix}", PASSWORD))

    with as_user("outsider") as outsider:
        refused = outsider.get(f"/api/v1/main/apps/prv-{suffix}/view")
        assert refused.status_code == 403 and "APPEXECUTION:VIEW" in refused.text
        assert all(a["namespace"] != ns for a in outsider.get("/api/v1/main/apps/catalog").json())
    with as_user("stranger") as stranger:
        assert stranger.get(f"/api/v1/main/apps/prv-{suffix}/view").status_code == 200
        assert stranger.get(f"/api/v1/main/apps/grp-{suffix}/view").status_code == 403  # not in the group
        assert stranger.get(f"/api/v1/main/apps/prv-{suffix}").status_code == 403  # building apps needs APP
        catalogue = {a["id"] for a in stranger.get("/api/v1/main/apps/catalog").json()}
        assert f"prv-{suffix}" in catalogue and f"grp-{suffix}" not in catalogue
    with as_user("member") as member:
        started = member.post(f"/api/v1/main/apps/grp-{suffix}/executions", data={"who": "mia"},
                              files={"doc": ("m.txt", b"m", "text/plain")})
        assert started.status_code == 200, started.text
        execution_id = started.json()["execution"]["id"]
        # acting through the app needs no EXECUTION permission of the member's own
        assert member.get(f"/api/v1/main/executions/{execution_id}").status_code == 403
        _stage(member, f"grp-{suffix}", execution_id, "PAUSE")
        resumed = member.post(f"/api/v1/main/apps/grp-{suffix}/executions/{execution_id}/resume",
                              data={"approved": "true", "reason": "ok"})
        assert resumed.status_code == 200, resumed.text
        assert _stage(member, f"grp-{suffix}", execution_id, "SUCCESS")["ended"] is True
    with auth_server.client(auth=admin) as client:
        entries = client.get("/api/v1/main/auditlogs/search", params={"resourceId": execution_id}).json()
    # audited under the visitor's name: who started and who resumed
    assert {(e["type"], e["userId"]) for e in entries["results"]} == {("CREATE", f"member-{suffix}"),
                                                                      ("RESUME", f"member-{suffix}")}


def test_secrets_and_follow(client: httpx.Client, ns: str) -> None:
    created = client.post("/api/v1/main/flows", content=f"""id: quick
namespace: {ns}
inputs:
  - id: token
    type: SECRET
  - id: who
    type: STRING
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: "hi {{{{ inputs.who }}}}"
""", headers=YAML)
    assert created.status_code == 200, created.text
    app_id = "quick-" + ns[-8:]
    source = f"""id: {app_id}
displayName: Quick
namespace: {ns}
flowId: quick
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: CreateExecutionForm
  - on: SUCCESS
    blocks:
      - type: Inputs
      - type: Markdown
        content: "token {{{{ inputs.token }}}}"
"""
    assert client.post("/api/v1/main/apps", content=source, headers=YAML).status_code == 200
    started = client.post(f"/api/v1/main/apps/{app_id}/executions", json={"token": "hunter2-secret", "who": "al"})
    assert started.status_code == 200, started.text
    execution_id = started.json()["execution"]["id"]
    with client.stream("GET", f"/api/v1/main/apps/{app_id}/follow", params={"execution": execution_id}) as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        names = [line for line in events.iter_lines() if line.startswith("event:")]
    assert names[-1] == "event: end"
    done = _stage(client, app_id, execution_id, "SUCCESS")
    assert "hunter2-secret" not in str(done), done  # the SECRET input is masked everywhere on the page
    assert {v["id"] for v in done["blocks"][0]["values"]} == {"token", "who"}


def test_the_example_app_runs_without_its_optional_file(client: httpx.Client) -> None:
    root = Path(__file__).resolve().parents[3] / "examples"
    flow_source = (root / "access_request.yaml").read_text()
    if client.get("/api/v1/main/flows/tutorial/access_request").status_code == 404:
        assert client.post("/api/v1/main/flows", content=flow_source, headers=YAML).status_code == 200
    if client.get("/api/v1/main/apps/access_request").status_code == 404:
        created = client.post("/api/v1/main/apps", content=(root / "apps" / "access_request.yaml").read_text(),
                              headers=YAML)
        assert created.status_code == 200, created.text
    started = client.post("/api/v1/main/apps/access_request/executions", data={"requester": "Bo"})
    assert started.status_code == 200, started.text
    execution_id = started.json()["execution"]["id"]
    paused = _stage(client, "access_request", execution_id, "PAUSE")
    assert paused["blocks"][0]["content"] == "**Bo** asks for access to **analytics**."
    client.post(f"/api/v1/main/apps/access_request/executions/{execution_id}/resume", data={"approved": "false"})
    done = _stage(client, "access_request", execution_id, "SUCCESS")
    assert done["blocks"][0]["content"] == "Access to analytics: refused."
    grid = done["blocks"][1]
    outputs = {v["id"]: v for v in grid["blocks"][0]["values"]}
    assert outputs["decision"]["value"] == "refused" and outputs["attachment"] == {
        "id": "attachment", "value": "", "file": False}
    assert [v["id"] for v in grid["blocks"][1]["values"]] == ["requester", "system"]


CHECKED = """id: checked
namespace: {ns}
inputs:
  - id: name
    type: STRING
checks:
  - condition: "{{{{ inputs.name != 'mallory' }}}}"
    message: "Sorry, not for mallory"
    style: ERROR
  - condition: "{{{{ (inputs.name | lower) == inputs.name }}}}"
    message: lower case, please
    style: WARNING
    behavior: CREATE_EXECUTION
  - condition: "{{{{ inputs.name != 'late' }}}}"
    message: too late
    behavior: FAIL_EXECUTION
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: "hi {{{{ inputs.name }}}}"
"""

CHECKED_APP = """id: {app_id}
type: io.kestra.plugin.ee.apps.Execution
displayName: Say hi
namespace: {ns}
flowId: checked
access:
  type: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Go
  - on: SUCCESS
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
  - on: FAILURE
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.Logs
"""


def test_the_form_honours_the_flows_checks_as_the_executions_api_does(client: httpx.Client, ns: str) -> None:
    assert client.post("/api/v1/main/flows", content=CHECKED.format(ns=ns), headers=YAML).status_code == 200
    app_id = "checked-" + ns.rsplit(".", 1)[-1]
    saved = client.post("/api/v1/main/apps", content=CHECKED_APP.format(app_id=app_id, ns=ns), headers=YAML)
    assert saved.status_code == 200, saved.text
    submit = f"/api/v1/main/apps/{app_id}/executions"

    blocked = client.post(submit, data={"name": "mallory"})
    direct = client.post(f"/api/v1/main/executions/{ns}/checked", data={"name": "mallory"})
    assert blocked.status_code == direct.status_code == 422
    assert blocked.json()["message"] == direct.json()["message"] == \
        "the flow's checks do not hold: Sorry, not for mallory"
    assert [d["path"] for d in blocked.json()["details"]] == ["checks"]  # the page shows it above the form
    assert client.get("/api/v1/main/executions/search", params={"namespace": ns}).json()["total"] == 0

    warned = client.post(submit, data={"name": "KESTRA"})
    assert warned.status_code == 200, warned.text
    done = _stage(client, app_id, warned.json()["execution"]["id"], "SUCCESS")
    assert any(line["message"] == "check: lower case, please" for line in done["blocks"][0]["lines"])

    late = client.post(submit, data={"name": "late"})
    assert late.status_code == 200, late.text
    failed = _stage(client, app_id, late.json()["execution"]["id"], "FAILURE")
    assert any("too late" in line["message"] for line in failed["blocks"][0]["lines"])


CHECKED_FORM = """id: order
namespace: {ns}
inputs:
  - id: customer
    type: STRING
    validator: "^[A-Z][a-z]+$"
  - id: quantity
    type: INT
    min: 1
    max: 5
  - id: size
    type: SELECT
    values: [S, M, L]
  - id: price
    type: FLOAT
    required: false
    min: 0.5
  - id: note
    type: STRING
    required: false
    defaults: none
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ inputs.customer }}}}"
"""

FORM_APP = """id: {app_id}
type: io.kestra.plugin.ee.apps.Execution
displayName: Order
namespace: {ns}
flowId: order
access: PUBLIC
layout:
  - on: OPEN
    blocks:
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionForm
      - type: io.kestra.plugin.ee.apps.execution.blocks.CreateExecutionButton
        text: Order
"""


@pytest.mark.parametrize(("sent", "bad", "words"), [
    ({"quantity": "2", "size": "M"}, "customer", "required"),
    ({"customer": "ann", "quantity": "2", "size": "M"}, "customer", "^[A-Z][a-z]+$"),
    ({"customer": "Ann", "quantity": "two", "size": "M"}, "quantity", "integer"),
    ({"customer": "Ann", "quantity": "9", "size": "M"}, "quantity", "5"),
    ({"customer": "Ann", "quantity": "0", "size": "M"}, "quantity", "1"),
    ({"customer": "Ann", "quantity": "2", "size": "XL"}, "size", "S"),
    ({"customer": "Ann", "quantity": "2", "size": "M", "price": "0.1"}, "price", "0.5"),
])
def test_the_form_checks_the_inputs_as_the_flow_does_and_names_the_bad_one(
        client: httpx.Client, ns: str, sent: dict[str, str], bad: str, words: str) -> None:
    assert client.post("/api/v1/main/flows", content=CHECKED_FORM.format(ns=ns), headers=YAML).status_code == 200
    app_id = "order-" + ns.rsplit(".", 1)[-1]
    saved = client.put(f"/api/v1/main/apps/{app_id}", content=FORM_APP.format(app_id=app_id, ns=ns), headers=YAML)
    if saved.status_code == 404:
        saved = client.post("/api/v1/main/apps", content=FORM_APP.format(app_id=app_id, ns=ns), headers=YAML)
    assert saved.status_code == 200, saved.text

    refused = client.post(f"/api/v1/main/apps/{app_id}/executions", data=sent)
    assert refused.status_code == 422, refused.text
    assert [d["path"] for d in refused.json()["details"]] == [bad], refused.text
    assert words in refused.json()["details"][0]["message"], refused.text
    assert client.get("/api/v1/main/executions/search", params={"namespace": ns}).json()["total"] == 0

    fine = client.post(f"/api/v1/main/apps/{app_id}/executions",
                       data={"customer": "Ann", "quantity": "5", "size": "L", "price": "0.5"})
    assert fine.status_code == 200, fine.text
