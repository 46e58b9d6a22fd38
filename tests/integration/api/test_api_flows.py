"""Flows through the API: create, read, update, delete, revisions, search, validate, bulk update, graph."""

from __future__ import annotations

import httpx
from tests.builders import log_flow

YAML = {"Content-Type": "application/x-yaml"}
FLOWS = "/api/v1/main/flows"


def flow(ns: str, flow_id: str = "hello", message: str = "hi", extra: str = "") -> str:
    return log_flow(flow_id, ns, message, task_id="say", before=extra)


def create(client: httpx.Client, source: str) -> httpx.Response:
    return client.post(FLOWS, content=source, headers=YAML)


def test_create_then_get_with_and_without_source(client: httpx.Client, ns: str) -> None:
    source = flow(ns, extra="description: greets\nlabels:\n  team: data\n")
    created = create(client, source)
    assert created.status_code == 200
    body = created.json()
    assert (body["id"], body["namespace"], body["revision"], body["source"]) == ("hello", ns, 1, source)
    assert body["labels"] == {"team": "data"}
    got = client.get(f"{FLOWS}/{ns}/hello").json()
    assert got["revision"] == 1 and got["description"] == "greets" and "source" not in got
    assert got["tasks"][0]["type"] == "io.kestra.plugin.core.log.Log"
    assert client.get(f"{FLOWS}/{ns}/hello", params={"source": True}).json()["source"] == source


def test_create_twice_is_409_and_nothing_changes(client: httpx.Client, ns: str) -> None:
    assert create(client, flow(ns)).status_code == 200
    again = create(client, flow(ns, message="changed"))
    assert again.status_code == 409
    assert "already exists" in again.json()["message"]
    assert client.get(f"{FLOWS}/{ns}/hello").json()["revision"] == 1


def test_invalid_flow_creates_nothing(client: httpx.Client, ns: str) -> None:
    response = create(client, f"id: hello\nnamespace: {ns}\ntasks: []\n")
    assert response.status_code == 422
    assert response.json()["details"][0]["line"] == 3
    assert client.get(f"{FLOWS}/{ns}/hello").status_code == 404


def test_update_makes_revisions_and_old_ones_stay_readable(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns, message="one"))
    updated = client.put(f"{FLOWS}/{ns}/hello", content=flow(ns, message="two"), headers=YAML)
    assert updated.status_code == 200 and updated.json()["revision"] == 2
    same = client.put(f"{FLOWS}/{ns}/hello", content=flow(ns, message="two"), headers=YAML)
    assert same.json()["revision"] == 2  # unchanged source: no new revision
    old = client.get(f"{FLOWS}/{ns}/hello", params={"revision": 1}).json()
    assert old["tasks"][0]["message"] == "one"
    revisions = client.get(f"{FLOWS}/{ns}/hello/revisions").json()
    assert [r["revision"] for r in revisions] == [1, 2]
    assert [r["tasks"][0]["message"] for r in revisions] == ["one", "two"]
    assert client.get(f"{FLOWS}/{ns}/hello", params={"revision": 9}).status_code == 404


def test_update_must_match_the_path_and_exist(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns))
    mismatch = client.put(f"{FLOWS}/{ns}/hello", content=flow(ns, flow_id="other"), headers=YAML)
    assert mismatch.status_code == 422
    assert mismatch.json()["details"][0]["path"] == "id"
    missing = client.put(f"{FLOWS}/{ns}/ghost", content=flow(ns, flow_id="ghost"), headers=YAML)
    assert missing.status_code == 404


def test_delete_removes_the_flow(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns))
    assert client.delete(f"{FLOWS}/{ns}/hello").status_code == 204
    assert client.get(f"{FLOWS}/{ns}/hello").status_code == 404
    assert client.delete(f"{FLOWS}/{ns}/hello").status_code == 404
    assert create(client, flow(ns)).status_code == 200  # the id is free again


def test_search_by_namespace_text_labels_with_paging_and_sort(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns, "alpha", extra="labels:\n  env: prod\n"))
    create(client, flow(ns, "beta", extra="description: Nightly LOAD\nlabels:\n  env: dev\n"))
    create(client, flow(f"{ns}.child", "gamma", extra="labels:\n  env: prod\n"))
    search = f"{FLOWS}/search"
    everything = client.get(search, params={"namespace": ns, "size": 100}).json()
    assert everything["total"] == 3
    assert [f["id"] for f in everything["results"]] == ["alpha", "beta", "gamma"]
    by_text = client.get(search, params={"namespace": ns, "q": "load"}).json()
    assert [f["id"] for f in by_text["results"]] == ["beta"]
    by_label = client.get(search, params={"namespace": ns, "labels": "env:prod"}).json()
    assert sorted(f["id"] for f in by_label["results"]) == ["alpha", "gamma"]
    page2 = client.get(search, params={"namespace": ns, "size": 2, "page": 2, "sort": "id:desc"}).json()
    assert page2 == {"results": page2["results"], "total": 3}
    assert [f["id"] for f in page2["results"]] == ["alpha"]
    assert client.get(search, params={"sort": "nope:asc"}).status_code == 400
    assert client.get(search, params={"labels": "no-colon"}).status_code == 400


def test_distinct_namespaces_and_namespace_listing(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns, "a"))
    create(client, flow(f"{ns}.sub", "b"))
    names = client.get(f"{FLOWS}/distinct-namespaces", params={"q": ns}).json()
    assert names == [ns, f"{ns}.sub"]
    assert [f["id"] for f in client.get(f"{FLOWS}/{ns}").json()] == ["a"]


def test_validate_reports_each_document_with_lines_of_the_whole_text(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns, "existing", message="stored"))
    text = (flow(ns, "good") + "---\n" + f"id: bad\nnamespace: {ns}\ntasks:\n  - id: x\n    type: nope.Nope\n"
            + "---\n" + flow(ns, "existing", message="new"))
    results = client.post(f"{FLOWS}/validate", content=text, headers=YAML).json()
    assert [r["index"] for r in results] == [0, 1, 2]
    assert results[0]["flow"] == "good" and results[0]["constraints"] is None and results[0]["outdated"] is False
    assert results[1]["constraints"] and results[1]["details"][0]["line"] == 12
    assert results[2]["outdated"] is True
    assert client.get(f"{FLOWS}/{ns}/good").status_code == 404  # validation stores nothing


def test_bulk_update_creates_updates_and_deletes(client: httpx.Client, ns: str) -> None:
    create(client, flow(ns, "keep", message="old"))
    create(client, flow(ns, "drop"))
    text = flow(ns, "keep", message="new") + "---\n" + flow(ns, "fresh")
    response = client.post(f"{FLOWS}/{ns}", content=text, headers=YAML)
    assert response.status_code == 200
    assert sorted((f["id"], f["revision"]) for f in response.json()) == [("fresh", 1), ("keep", 2)]
    assert client.get(f"{FLOWS}/{ns}/drop").status_code == 404
    kept = client.post(f"{FLOWS}/{ns}", content=flow(ns, "other"), headers=YAML, params={"delete": False})
    assert kept.status_code == 200
    assert client.get(f"{FLOWS}/{ns}/keep").status_code == 200


def test_bulk_update_is_all_or_nothing(client: httpx.Client, ns: str) -> None:
    text = flow(ns, "fine") + "---\n" + flow("elsewhere.ns", "stranger") + "---\nid: broken\n"
    response = client.post(f"{FLOWS}/{ns}", content=text, headers=YAML)
    assert response.status_code == 422
    messages = [d["message"] for d in response.json()["details"]]
    assert any("not in" in m for m in messages)
    assert any(d["line"] == 15 for d in response.json()["details"])
    assert client.get(f"{FLOWS}/{ns}/fine").status_code == 404


def test_graph_of_a_flow_with_parallel_and_if(client: httpx.Client, ns: str) -> None:
    source = f"""id: shaped
namespace: {ns}
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: a
  - id: fan
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: p1
        type: io.kestra.plugin.core.log.Log
        message: b
      - id: p2
        type: io.kestra.plugin.core.log.Log
        message: c
  - id: choose
    type: io.kestra.plugin.core.flow.If
    condition: "{{{{ true }}}}"
    then:
      - id: yes
        type: io.kestra.plugin.core.log.Log
        message: y
    else:
      - id: no
        type: io.kestra.plugin.core.log.Log
        message: n
errors:
  - id: oops
    type: io.kestra.plugin.core.log.Log
    message: failed
"""
    assert create(client, source).status_code == 200
    g = client.get(f"{FLOWS}/{ns}/shaped/graph").json()
    edges = {(e["source"], e["target"], e["relation"]) for e in g["edges"]}
    assert ("root.start", "first", "SEQUENTIAL") in edges
    assert ("first", "fan", "SEQUENTIAL") in edges
    assert {("fan", "p1", "PARALLEL"), ("fan", "p2", "PARALLEL"), ("p1", "fan.end", "SEQUENTIAL")} <= edges
    assert ("fan.end", "choose", "SEQUENTIAL") in edges
    choices = {(e["target"], e["value"]) for e in g["edges"] if e["relation"] == "CHOICE"}
    assert choices == {("yes", "then"), ("no", "else")}
    assert ("choose.end", "root.end", "SEQUENTIAL") in edges
    assert ("root.start", "oops", "ERROR") in edges
    clusters = {c["taskId"]: set(c["nodes"]) for c in g["clusters"]}
    assert clusters["fan"] == {"fan", "p1", "p2", "fan.end"}
    assert {n["uid"] for n in g["nodes"]} >= {"root.start", "root.end", "first", "p1", "yes", "no", "oops"}
    assert client.get(f"{FLOWS}/{ns}/nothing/graph").status_code == 404


def test_graph_of_an_unsaved_source_and_its_problems(client: httpx.Client, ns: str) -> None:
    """POST /flows/graph: the editor's live topology of a source that is not stored."""
    source = flow(ns, flow_id="draft") + "  - id: after\n    type: io.kestra.plugin.core.log.Log\n    message: b\n"
    g = client.post(f"{FLOWS}/graph", content=source, headers=YAML)
    assert g.status_code == 200
    edges = {(e["source"], e["target"]) for e in g.json()["edges"]}
    assert {("root.start", "say"), ("say", "after"), ("after", "root.end")} <= edges
    assert client.get(f"{FLOWS}/{ns}/draft").status_code == 404
    bad = client.post(f"{FLOWS}/graph", content=source.replace("log.Log\n    message: b", "log.Lgo\n    message: b"),
                      headers=YAML)
    assert bad.status_code == 422
    assert [(d["path"], d["line"]) for d in bad.json()["details"]] == [("tasks[1].type", 8)]


def test_nul_in_a_path_is_400_not_500(client: httpx.Client) -> None:
    response = client.get(f"{FLOWS}/a%00b/c")
    assert response.status_code == 400


def test_validate_skips_empty_documents_and_honours_markers(client: httpx.Client, ns: str) -> None:
    text = "# header comment\n---\n# nothing here\n---\n" + flow(ns, "one") + "...\n--- " + flow(ns, "two")
    results = client.post(f"{FLOWS}/validate", content=text, headers=YAML).json()
    assert [(r["index"], r["flow"], r["constraints"]) for r in results] == [(0, "one", None), (1, "two", None)]
    broken = client.post(f"{FLOWS}/validate", content="---\n" + flow(ns, "x") + "    bad: [\n", headers=YAML).json()
    assert broken[0]["constraints"] and broken[0]["details"][0]["line"] >= 8
    assert client.post(f"{FLOWS}/validate", content="", headers=YAML).json() == []
