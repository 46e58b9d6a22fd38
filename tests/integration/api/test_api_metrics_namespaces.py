"""Execution metrics (Kestra's `/metrics/{executionId}`) and a namespace's own settings (variables, plugin
defaults) through the API."""

from __future__ import annotations

import time

import httpx
from tests.integration.api.executions_support import API, YAML, run

METRICS = """id: counted
namespace: {ns}
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo '::{{"metrics":[{{"name":"rows","type":"counter","value":42,"tags":{{"table":"orders"}}}},{{"name":"load","type":"timer","value":1.5}}]}}::'
  - id: quiet
    type: io.kestra.plugin.core.log.Log
    message: no metrics here
"""


def test_metrics_of_an_execution_one_row_each_with_tags_and_timers_in_milliseconds(client: httpx.Client, ns: str) -> None:
    assert client.post(f"{API}/flows", content=METRICS.format(ns=ns), headers=YAML).status_code == 200
    execution = run(client, ns, "counted")
    assert execution["state"]["current"] == "SUCCESS", execution
    body = client.get(f"{API}/metrics/{execution['id']}").json()
    assert body["total"] == 2
    rows = {m["name"]: m for m in body["results"]}
    assert rows["rows"]["type"] == "counter" and rows["rows"]["value"] == 42
    assert rows["rows"]["tags"] == {"table": "orders"} and rows["rows"]["taskId"] == "count"
    assert rows["rows"]["namespace"] == ns and rows["rows"]["flowId"] == "counted"
    assert rows["load"]["type"] == "timer" and rows["load"]["value"] == 1500
    only = client.get(f"{API}/metrics/{execution['id']}", params={"taskId": "quiet"}).json()
    assert only == {"results": [], "total": 0}
    assert client.get(f"{API}/metrics/{execution['id']}", params={"sort": "value:desc", "size": 1}).json()[
        "results"][0]["name"] == "load"
    assert client.get(f"{API}/metrics/nope").status_code == 404


def test_namespace_variables_and_plugin_defaults_saved_read_and_inherited(client: httpx.Client, ns: str) -> None:
    assert client.get(f"{API}/namespaces/{ns}").json() == {
        "id": ns, "description": None, "variables": {}, "pluginDefaults": []}
    settings = {"description": "Team space", "variables": {"region": "eu-west-1", "limits": {"rows": 10}},
                "pluginDefaults": [{"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}]}
    saved = client.put(f"{API}/namespaces/{ns}", json=settings)
    assert saved.status_code == 200, saved.text
    assert saved.json()["pluginDefaults"] == [
        {"type": "io.kestra.plugin.core.log.Log", "forced": False, "values": {"level": "WARN"}}]
    assert client.get(f"{API}/namespaces/{ns}").json()["variables"] == settings["variables"]
    child = f"{ns}.child"
    client.put(f"{API}/namespaces/{child}", json={"variables": {"region": "us-east-1"}})
    assert client.get(f"{API}/namespaces/{child}.deep/inherited-variables").json() == {
        "region": "us-east-1", "limits": {"rows": 10}}
    assert client.get(f"{API}/namespaces/{child}/inherited-plugindefaults").json()[0]["values"] == {"level": "WARN"}
    bad = client.put(f"{API}/namespaces/{ns}", json={"variables": {"has space": 1}})
    assert bad.status_code == 422 and "has space" in bad.json()["message"]
    assert client.put(f"{API}/namespaces/{ns}", json={"pluginDefaults": [{"values": {}}]}).status_code == 422
    assert client.get(f"{API}/namespaces/{ns}").json()["description"] == "Team space"


USES_VARIABLES = """id: regional
namespace: {ns}
tasks:
  - id: where
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ namespace.region }}}} / {{{{ namespace.limits.rows }}}}"
"""


def test_flows_read_their_namespace_variables_merged_over_the_parents(client: httpx.Client, ns: str) -> None:
    client.put(f"{API}/namespaces/{ns}", json={"variables": {"region": "eu-west-1", "limits": {"rows": 10}}})
    client.put(f"{API}/namespaces/{ns}.team", json={"variables": {"region": "us-east-1"}})
    for namespace, shown in ((ns, "eu-west-1 / 10"), (f"{ns}.team", "us-east-1 / 10")):
        assert client.post(f"{API}/flows", content=USES_VARIABLES.format(ns=namespace), headers=YAML).status_code == 200
        execution = run(client, namespace, "regional")
        assert execution["state"]["current"] == "SUCCESS", execution
        assert execution["taskRunList"][0]["outputs"]["value"] == shown


LEVELED = """id: leveled
namespace: {ns}
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: hello from {ns}
"""

OWN_DEFAULT = LEVELED.replace("id: leveled", "id: own") + """pluginDefaults:
  - type: io.kestra.plugin.core.log.Log
    values:
      level: ERROR
"""


def _level(client: httpx.Client, ns: str, flow_id: str) -> str:
    execution = run(client, ns, flow_id)
    assert execution["state"]["current"] == "SUCCESS", execution
    lines = client.get(f"{API}/logs/{execution['id']}").json()
    return next(line["level"] for line in lines if line["message"] == f"hello from {ns}")


def test_namespace_plugin_defaults_apply_below_the_flow_own_and_follow_a_change(client: httpx.Client, ns: str) -> None:
    for template in (LEVELED, OWN_DEFAULT):
        assert client.post(f"{API}/flows", content=template.format(ns=ns), headers=YAML).status_code == 200
    assert _level(client, ns, "leveled") == "INFO"
    log_default = {"type": "io.kestra.plugin.core.log.Log", "values": {"level": "WARN"}}
    assert client.put(f"{API}/namespaces/{ns}", json={"pluginDefaults": [log_default]}).status_code == 200
    time.sleep(2.1)  # the runtime reads a namespace's settings again after 2 s
    assert _level(client, ns, "leveled") == "WARN"
    assert _level(client, ns, "own") == "ERROR"
    client.put(f"{API}/namespaces/{ns}", json={"pluginDefaults": [{**log_default, "forced": True}]})
    time.sleep(2.1)
    assert _level(client, ns, "own") == "WARN"
