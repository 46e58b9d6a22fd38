"""The AI copilot's routes against a real server (SQLite) and the scripted model server (the model APIs' test
double): Kestra's `POST /ai/generate/flow` repairs an invalid first answer and proposes only the valid second one
(rounds 2, with its diff); "Fix with AI" tells the model what failed (errors and log lines, secrets masked) and
proposes a change of the current revision that keeps the flow's id; no model configured is a clear 409, a model
that never gets it right a clear 502; the caller's namespace permissions are checked before the model is asked."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.ai import copilot_answers
from tests.integration.ai.model_server import KEY, ModelServer, openai_text
from tests.integration.api.conftest import LiveServer, _start

from legato import config
from legato.clock import utcnow
from legato.flows import parse_flow
from legato.services import access, copilot, identity
from legato.services.principal import SYSTEM
from legato.store import open_store

API = "/api/v1/main"
COMPLETIONS = "/v1/chat/completions"
YAML = {"content-type": "application/x-yaml"}

INVALID = copilot_answers.invalid()
VALID = copilot_answers.valid()
BROKEN = """id: broken
namespace: {ns}
inputs:
  - id: token
    type: SECRET
tasks:
  - id: call
    type: io.kestra.plugin.core.log.Log
    message: "calling the API with {{{{ inputs.token }}}}"
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "the API refused token {{{{ inputs.token }}}}"
"""


def fixed(ns: str, flow_id: str = "broken") -> str:
    source = BROKEN.format(ns=ns).replace("id: broken", f"id: {flow_id}")
    return "```yaml\n" + source.replace("    errorMessage: \"the API refused token {{ inputs.token }}\"\n",
                                        "    condition: \"{{ inputs.token == 'revoked' }}\"\n") + "```\n"


@pytest.fixture(scope="module")
def model() -> Iterator[ModelServer]:
    with ModelServer() as server:
        yield server


def _model(model: ModelServer) -> copilot.Model:
    settings = config.Settings(ai_url=model.url, ai_model="test-model", ai_api_key=KEY, ai_max_rounds=3)
    found = copilot.configured(settings, timeout=30)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def ai_server(model: ModelServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("api-ai")
    yield from _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite", ai_model=_model(model))


@pytest.fixture
def client(ai_server: LiveServer, model: ModelServer) -> Iterator[httpx.Client]:
    model.replies.clear()
    model.requests.clear()
    with ai_server.client() as c:
        yield c


def _failed_execution(client: httpx.Client, ns: str) -> dict[str, Any]:
    assert client.post(f"{API}/flows", content=BROKEN.format(ns=ns), headers=YAML).status_code == 200
    started = client.post(f"{API}/executions/{ns}/broken", json={"token": "hunter2"}).json()
    deadline = time.monotonic() + 20
    while (body := client.get(f"{API}/executions/{started['id']}").json())["state"]["current"] != "FAILED":
        assert time.monotonic() < deadline, body["state"]["current"]
        time.sleep(0.05)
    return body


def test_an_invalid_first_answer_is_repaired_and_only_the_valid_flow_is_proposed(client: httpx.Client,
                                                                                  model: ModelServer) -> None:
    model.script(COMPLETIONS, openai_text(INVALID), openai_text(VALID))
    reply = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "Download sales.csv and log where it went",
                                                         "conversationId": "c1"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["rounds"] == 2
    assert parse_flow(body["flow"]).id == "nightly_report"  # valid with the installed plugins
    assert "mesage" not in body["flow"] and "mesage" not in body["diff"]
    assert body["diff"].startswith("--- /dev/null\n+++ flow.yaml\n")
    assert "io.kestra.plugin.core.http.Download" in body["types"]
    first, second = model.of(COMPLETIONS)
    assert "io.kestra.plugin.core.http.Download" in first.body["messages"][0]["content"]  # grounded in the schemas
    assert second.body["messages"][-1]["content"].startswith("This flow is invalid:")


def test_changing_the_editors_flow_answers_a_diff_or_kestras_bare_yaml(client: httpx.Client, model: ModelServer) -> None:
    current = VALID.split("```yaml\n")[1].split("```")[0].replace("sales.csv", "old.csv")
    model.script(COMPLETIONS, openai_text(VALID), openai_text(VALID))
    body = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "use sales.csv", "flowYaml": current}).json()
    assert body["rounds"] == 1
    assert "-    uri: https://example.com/old.csv\n+    uri: https://example.com/sales.csv\n" in body["diff"]
    assert body["diff"].startswith("--- company.reports/nightly_report.yaml\n")
    sent = model.of(COMPLETIONS)[0].body["messages"][1]["content"]
    assert sent.startswith("Change this flow as asked: use sales.csv") and "old.csv" in sent
    # Kestra's newer field name, and its answer: the YAML alone
    bare = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "use sales.csv", "yaml": current},
                       headers={"accept": "application/x-yaml"})
    assert bare.status_code == 200 and bare.headers["content-type"].startswith("application/x-yaml")
    assert bare.text.startswith("id: nightly_report\n")
    # the saved flow being edited keeps its id: an answer that renames it goes back to the model
    model.script(COMPLETIONS, openai_text(VALID.replace("id: nightly_report", "id: renamed")), openai_text(VALID))
    kept = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "use sales.csv", "flowYaml": current,
                                                        "namespace": "company.reports", "flowId": "nightly_report"})
    assert kept.json()["rounds"] == 2
    assert "must keep namespace `company.reports` and id `nightly_report`" in model.of(COMPLETIONS)[-1].body["messages"][-1]["content"]


def test_a_model_that_never_gets_it_right_is_a_clear_502(client: httpx.Client, model: ModelServer) -> None:
    model.script(COMPLETIONS, *[openai_text(INVALID)] * 3)
    reply = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "Download sales.csv"})
    assert reply.status_code == 502
    message = reply.json()["message"]
    assert message.startswith("the copilot proposes nothing: no valid flow after 3 answer(s)") and "mesage" in message
    down = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "Download sales.csv"})  # nothing scripted: 500
    assert down.status_code == 502 and "the model API failed" in down.json()["message"]


def test_fix_with_ai_tells_the_model_what_failed_with_secrets_masked(client: httpx.Client, model: ModelServer) -> None:
    ns = f"test.ai.n{time.monotonic_ns()}"
    failed = _failed_execution(client, ns)
    # first answer renames the flow: not a fix of this flow, sent back; the second keeps it
    model.script(COMPLETIONS, openai_text(fixed(ns, "renamed")), openai_text(fixed(ns)))
    reply = client.post(f"{API}/ai/fix/execution/{failed['id']}", json={"userPrompt": "the token may be revoked"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert (body["namespace"], body["flowId"], body["revision"], body["executionRevision"]) == (ns, "broken", 1, 1)
    assert body["rounds"] == 2
    assert body["failedTasks"] == [{"taskId": "check", "taskType": "io.kestra.plugin.core.execution.Fail",
                                    "error": "the API refused token ******"}]
    assert body["diff"].startswith(f"--- {ns}/broken.yaml\n+++ {ns}/broken.yaml\n")
    assert "+    condition: \"{{ inputs.token == 'revoked' }}\"\n" in body["diff"]
    first, second = model.of(COMPLETIONS)
    asked = first.body["messages"][1]["content"]
    assert f"Execution {failed['id']} of this flow (revision 1) ended FAILED" in asked
    assert "Failed task `check` (type io.kestra.plugin.core.execution.Fail): the API refused token ******" in asked
    assert "The user adds: the token may be revoked" in asked
    assert "hunter2" not in str(first.body) + str(second.body)
    assert f"must keep namespace `{ns}` and id `broken`" in second.body["messages"][-1]["content"]
    # nothing saved: the flow is still at revision 1
    assert client.get(f"{API}/flows/{ns}/broken").json()["revision"] == 1


def test_fix_with_ai_wants_a_failed_execution(client: httpx.Client, model: ModelServer) -> None:
    ns = f"test.ai.n{time.monotonic_ns()}"
    flow = BROKEN.format(ns=ns).split("  - id: check")[0].replace("id: broken", "id: fine")
    assert client.post(f"{API}/flows", content=flow, headers=YAML).status_code == 200
    done = client.post(f"{API}/executions/{ns}/fine", params={"wait": True}, json={"token": "not-a-secret-here"}).json()
    reply = client.post(f"{API}/ai/fix/execution/{done['id']}")
    assert reply.status_code == 409 and "only a FAILED execution can be fixed" in reply.json()["message"]
    assert client.post(f"{API}/ai/fix/execution/nope").status_code == 404
    assert model.of(COMPLETIONS) == []


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server without a model."""
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite")


@pytest.fixture
def guarded_server(model: ModelServer, tmp_path: Path) -> Iterator[LiveServer]:
    """A server with the model, of its own: its users turn authentication on."""
    model.replies.clear()
    model.requests.clear()
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite", ai_model=_model(model))


def test_without_a_model_the_routes_say_so_and_the_configs_hide_the_copilot(plain_server: LiveServer) -> None:
    with plain_server.client() as client:
        reply = client.post(f"{API}/ai/generate/flow", json={"userPrompt": "a flow"})
        assert reply.status_code == 409
        assert reply.json()["message"].startswith("the AI copilot is not configured on this server")
        assert "LEGATO_AI_URL" in reply.json()["message"]
        body = _failed_execution(client, "test.ai.none")
        assert client.post(f"{API}/ai/fix/execution/{body['id']}").status_code == 409
        configs = client.get(f"{API}/configs").json()
        assert configs["isAiEnabled"] is False and "ai" not in configs["features"]


def test_configs_say_the_copilot_is_on(client: httpx.Client) -> None:
    configs = client.get("/api/v1/configs").json()
    assert configs["isAiEnabled"] is True and "ai" in configs["features"]


def test_the_callers_namespace_permissions_are_checked_before_the_model_is_asked(model: ModelServer,
                                                                                  guarded_server: LiveServer) -> None:
    store, server = guarded_server.store, guarded_server
    now = utcnow()
    owner = identity.create_account(store, "USER", "owner", password="pw-owner-1234", owner=True, by=SYSTEM, now=now)
    editor = identity.create_account(store, "USER", "ed", password="pw-editor-1234", by=SYSTEM, now=now)
    access.create_binding(store, "editor", "USER", editor.id, "team", by=SYSTEM, now=now)
    viewer = identity.create_account(store, "USER", "vi", password="pw-viewer-1234", by=SYSTEM, now=now)
    access.create_binding(store, "viewer", "USER", viewer.id, None, by=SYSTEM, now=now)
    token = {a.name: identity.create_token(store, a.id, "t", by=SYSTEM, now=now).text for a in (owner, editor, viewer)}

    def call(who: str, path: str, body: dict[str, Any]) -> httpx.Response:
        with server.client(headers={"authorization": f"Bearer {token[who]}"}) as client:
            return client.post(f"{API}{path}", json=body)

    refused = call("vi", "/ai/generate/flow", {"userPrompt": "a flow"})
    assert refused.status_code == 403 and refused.json()["message"] == "missing permission FLOW:CREATE"
    elsewhere = call("ed", "/ai/generate/flow", {"userPrompt": "a flow", "namespace": "prod"})
    assert elsewhere.json()["message"] == "missing permission FLOW:CREATE on namespace 'prod'"
    assert model.of(COMPLETIONS) == []  # refused before the model was asked
    # allowed in its namespace, but the proposal lands elsewhere: refused after the answer
    model.script(COMPLETIONS, openai_text(VALID))
    moved = call("ed", "/ai/generate/flow", {"userPrompt": "a flow", "namespace": "team.data"})
    assert moved.status_code == 403
    assert moved.json()["message"] == "missing permission FLOW:CREATE on namespace 'company.reports'"
    model.script(COMPLETIONS, openai_text(VALID.replace("company.reports", "team.data")))
    assert call("ed", "/ai/generate/flow", {"userPrompt": "a flow", "namespace": "team.data"}).status_code == 200
