"""Bulk actions on executions (kill, restart, delete by ids) and the blueprints gallery: every shipped
blueprint validates, and those that need no outside service or person run green."""

from __future__ import annotations

import time
from typing import Any

import httpx

from legato.api.blueprints import all_blueprints

YAML = {"Content-Type": "application/x-yaml"}
API = "/api/v1/main"
SLEEPY = """id: sleepy
namespace: {ns}
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT30S
"""
FAILING = """id: failing
namespace: {ns}
tasks:
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: nope
"""
# Blueprints that show a tolerated failure end as WARNING by design.
EXPECTED = {"error_handling": "WARNING"}


def _deploy(client: httpx.Client, source: str) -> None:
    response = client.post(f"{API}/flows", content=source, headers=YAML)
    assert response.status_code == 200, response.text


def _start(client: httpx.Client, ns: str, flow_id: str, wait: bool = False) -> dict[str, Any]:
    response = client.post(f"{API}/executions/{ns}/{flow_id}", params={"wait": wait}, files={"_": ("", b"")})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _until(client: httpx.Client, execution_id: str, states: set[str], timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"{API}/executions/{execution_id}").json()
        if body["state"]["current"] in states or time.monotonic() > deadline:
            return body  # type: ignore[no-any-return]
        time.sleep(0.1)


def test_bulk_kill_restart_and_delete_report_what_they_could_not_do(client: httpx.Client, ns: str) -> None:
    _deploy(client, SLEEPY.format(ns=ns))
    _deploy(client, FAILING.format(ns=ns))
    sleeping = [_start(client, ns, "sleepy")["id"] for _ in range(2)]
    failed = _start(client, ns, "failing", wait=True)["id"]

    killed = client.request("DELETE", f"{API}/executions/kill/by-ids", json=[*sleeping, failed, "nope"])
    assert killed.status_code == 200, killed.text
    assert killed.json()["count"] == 2
    assert {e["id"] for e in killed.json()["errors"]} == {failed, "nope"}
    for execution_id in sleeping:
        assert _until(client, execution_id, {"KILLED"})["state"]["current"] == "KILLED"

    restarted = client.post(f"{API}/executions/restart/by-ids", json=[failed, sleeping[0]])
    assert restarted.json() == {"count": 2, "errors": []}
    assert _until(client, failed, {"FAILED"}, 30)["state"]["current"] == "FAILED"

    deleted = client.request("DELETE", f"{API}/executions/by-ids", json=[*sleeping, failed, failed])
    assert deleted.json() == {"count": 3, "errors": []}
    assert client.get(f"{API}/executions/{failed}").status_code == 404
    assert client.get(f"{API}/executions/search", params={"namespace": ns}).json()["total"] == 0

    empty = client.request("DELETE", f"{API}/executions/by-ids", json=[])
    assert empty.status_code == 422
    assert client.post(f"{API}/executions/restart/by-ids", json={"ids": "x"}).status_code == 422


def test_blueprints_are_listed_searched_by_tag_and_read(client: httpx.Client) -> None:
    everything = client.get(f"{API}/blueprints/community", params={"size": 100}).json()
    assert everything["total"] == len(all_blueprints()) >= 25
    first = everything["results"][0]
    assert set(first) >= {"id", "title", "description", "tags", "includedTasks"}

    tags = {t["name"]: t["count"] for t in client.get(f"{API}/blueprints/community/tags").json()}
    assert tags["getting-started"] >= 2
    scripts = client.get(f"{API}/blueprints/community", params={"tags": "scripts", "size": 100}).json()
    assert scripts["total"] == tags["scripts"]
    assert all("scripts" in b["tags"] for b in scripts["results"])
    found = client.get(f"{API}/blueprints/community", params={"q": "LoopUntil"}).json()
    assert [b["id"] for b in found["results"]] == ["loop_until"]
    paged = client.get(f"{API}/blueprints/community", params={"size": 5, "page": 2}).json()
    assert len(paged["results"]) == 5 and paged["total"] == everything["total"]

    one = client.get(f"{API}/blueprints/community/hello_world").json()
    assert one["title"] == "Hello world" and one["source"].startswith("id: hello_world")
    flow = client.get(f"{API}/blueprints/community/hello_world/flow")
    assert flow.headers["content-type"].startswith("application/x-yaml") and flow.text == one["source"]
    assert client.get(f"{API}/blueprints/community/nothing_here").status_code == 404
    assert client.get(f"{API}/blueprints/community/bad%20id").status_code == 422


def test_every_blueprint_validates_and_the_self_contained_ones_run_green(client: httpx.Client, ns: str) -> None:
    blueprints = all_blueprints()
    own = {b.id: b.source.replace("namespace: blueprints", f"namespace: {ns}") for b in blueprints}
    for blueprint_id, source in own.items():
        result = client.post(f"{API}/flows/validate", content=source, headers=YAML).json()
        assert result[0]["constraints"] is None, f"{blueprint_id}: {result[0]['constraints']}"
        _deploy(client, source)
    started = {b.id: _start(client, ns, b.id)["id"] for b in blueprints if not b.requires}
    assert len(started) >= 20
    for blueprint_id, execution_id in started.items():
        body = _until(client, execution_id, {"SUCCESS", "WARNING", "FAILED", "KILLED"}, timeout=60)
        expected = EXPECTED.get(blueprint_id, "SUCCESS")
        assert body["state"]["current"] == expected, f"{blueprint_id} ended {body['state']['current']}"
