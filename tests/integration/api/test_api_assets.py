"""Assets over a real server (SQLite and PostgreSQL): a flow declaring assets runs, and the API lists them with
filters, shows one with its upstream and downstream assets and the executions that used it; an asset registered
by hand is created (409 when its id is taken), updated, deleted; bad bodies are 4xx; and on a server with
authentication a reader bound on one namespace sees only that namespace's assets."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from tests.integration.api.conftest import LiveServer

from legato.clock import utcnow
from legato.services import access, identity
from legato.services.principal import SYSTEM

YAML = {"content-type": "application/x-yaml"}
API = "/api/v1/main"


def pipeline(ns: str, tag: str) -> str:
    return f"""id: pipeline
namespace: {ns}
tasks:
  - id: staging
    type: io.kestra.plugin.core.log.Log
    message: staging
    assets:
      inputs:
        - id: raw_{tag}
      outputs:
        - id: trips_{tag}
          type: io.kestra.plugin.ee.assets.Table
          namespace: "{{{{ flow.namespace }}}}"
          metadata: {{layer: staging}}
  - id: for_each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    tasks:
      - id: mart
        type: io.kestra.plugin.core.log.Log
        message: "{{{{ taskrun.value }}}}"
        assets:
          inputs: [{{id: trips_{tag}}}]
          outputs:
            - id: "avg_{{{{ taskrun.value }}}}_{tag}"
              type: io.kestra.plugin.ee.assets.Table
              namespace: "{{{{ flow.namespace }}}}"
"""


def _run(client: httpx.Client, ns: str, tag: str) -> str:
    assert client.post(f"{API}/flows", content=pipeline(ns, tag), headers=YAML).status_code == 200
    body = client.post(f"{API}/executions/{ns}/pipeline", params={"wait": True}).json()
    assert body["state"]["current"] == "SUCCESS", body
    return str(body["id"])


def test_a_run_shows_its_assets_lineage_and_execution(client: httpx.Client, ns: str) -> None:
    tag = ns[-8:]
    execution_id = _run(client, ns, tag)
    found = client.get(f"{API}/assets/search", params={"namespace": ns}).json()
    assert found["total"] == 3
    assert [a["id"] for a in found["results"]] == [f"avg_a_{tag}", f"avg_b_{tag}", f"trips_{tag}"]
    assert client.get(f"{API}/assets/search", params={"q": f"TRIPS_{tag}"}).json()["total"] == 1
    typed = client.get(f"{API}/assets/search", params={"namespace": ns, "type": "io.kestra.plugin.ee.assets.Table",
                                                       "size": 2, "page": 2}).json()
    assert (typed["total"], [a["id"] for a in typed["results"]]) == (3, [f"trips_{tag}"])
    trips = client.get(f"{API}/assets/trips_{tag}").json()
    assert (trips["namespace"], trips["type"], trips["metadata"]) == (ns, "io.kestra.plugin.ee.assets.Table",
                                                                      {"layer": "staging"})
    assert [a["id"] for a in trips["upstream"]] == [f"raw_{tag}"]
    assert [a["id"] for a in trips["downstream"]] == [f"avg_a_{tag}", f"avg_b_{tag}"]
    assert {(u["direction"], u["taskId"], u["executionId"], u["flowId"]) for u in trips["usages"]} == {
        ("OUT", "staging", execution_id, "pipeline"), ("IN", "mart", execution_id, "pipeline")}
    assert len(trips["usages"]) == 3
    assert client.get(f"{API}/assets/nothing_{tag}").status_code == 404
    used = client.get(f"{API}/executions/{execution_id}/assets").json()
    assert [(u["taskId"], u["direction"], u["assetId"]) for u in used][:2] == [
        ("staging", "IN", f"raw_{tag}"), ("staging", "OUT", f"trips_{tag}")]
    assert sorted(u["assetId"] for u in used if u["taskId"] == "mart" and u["direction"] == "OUT") == [
        f"avg_a_{tag}", f"avg_b_{tag}"]
    assert used[1]["asset"]["type"] == "io.kestra.plugin.ee.assets.Table"
    assert client.get(f"{API}/executions/nothing/assets").status_code == 404


def test_assets_registered_by_hand(client: httpx.Client, ns: str) -> None:
    tag = ns[-8:]
    body = {"id": f"bucket_{tag}", "namespace": ns, "type": "io.kestra.plugin.ee.assets.Dataset",
            "displayName": "Landing bucket", "description": "raw *files*", "metadata": {"region": "eu"}}
    created = client.post(f"{API}/assets", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["displayName"] == "Landing bucket"
    again = client.post(f"{API}/assets", json=body)
    assert again.status_code == 409 and "already exists" in again.text
    changed = client.put(f"{API}/assets/bucket_{tag}", json={**body, "metadata": {"region": "us"}})
    assert changed.status_code == 200 and changed.json()["metadata"] == {"region": "us"}
    assert changed.json()["created"] == created.json()["created"]
    assert client.put(f"{API}/assets/bucket_{tag}", json={**body, "id": "other"}).status_code == 400
    assert client.put(f"{API}/assets/none_{tag}", json={**body, "id": f"none_{tag}"}).status_code == 404
    assert client.post(f"{API}/assets", json={**body, "id": "has space"}).status_code == 422
    url = f"s3://landing-{tag}/raw/orders.csv"  # an id with slashes is addressed with its slashes encoded
    assert client.post(f"{API}/assets", json={**body, "id": url}).status_code == 201
    path = f"{API}/assets/{quote(url, safe='')}"
    assert client.get(path).json()["id"] == url
    assert client.put(path, json={**body, "id": url, "type": "File"}).json()["type"] == "File"
    assert client.delete(path).status_code == 204 and client.get(path).status_code == 404
    assert client.post(f"{API}/assets", json={"namespace": ns}).status_code == 422
    assert client.delete(f"{API}/assets/bucket_{tag}").status_code == 204
    assert client.get(f"{API}/assets/bucket_{tag}").status_code == 404
    assert client.delete(f"{API}/assets/bucket_{tag}").status_code == 404
    audit = client.get(f"{API}/auditlogs/search", params={"resource": "ASSET", "namespace": ns}).json()
    assert sorted(e["type"] for e in audit["results"] if e["resourceId"] == f"bucket_{tag}") == [
        "CREATE", "DELETE", "UPDATE"]


def test_a_reader_bound_on_one_namespace_sees_its_assets_only(auth_server: LiveServer, ns: str) -> None:
    store, now, admin, tag = auth_server.store, utcnow(), ("admin", "s3cret"), ns[-8:]
    with auth_server.client(auth=admin) as client:
        execution_id = _run(client, ns, tag)
        other = {"id": f"elsewhere_{tag}", "namespace": "elsewhere", "type": "custom"}
        assert client.post(f"{API}/assets", json=other).status_code == 201
    role = access.create_role(store, f"asset-reader-{tag}", ["ASSET:LIST", "ASSET:VIEW", "EXECUTION:VIEW"],
                              by=SYSTEM, now=now)
    user = identity.create_account(store, "USER", f"reader-{tag}", password="asset-reader-password", by=SYSTEM,
                                   now=now)
    access.create_binding(store, role.id, "USER", user.id, ns, by=SYSTEM, now=now)
    with auth_server.client(auth=(f"reader-{tag}", "asset-reader-password")) as reader:
        seen = reader.get(f"{API}/assets/search", params={"q": tag}).json()
        assert sorted(a["id"] for a in seen["results"]) == [f"avg_a_{tag}", f"avg_b_{tag}", f"trips_{tag}"]
        trips = reader.get(f"{API}/assets/trips_{tag}").json()
        assert trips["upstream"] == []  # raw_ has no namespace: only instance-wide readers see it
        assert len(trips["usages"]) == 3
        refused = reader.get(f"{API}/assets/elsewhere_{tag}")
        assert refused.status_code == 403 and "ASSET:VIEW" in refused.text
        assert reader.delete(f"{API}/assets/trips_{tag}").status_code == 403
        assert reader.post(f"{API}/assets", json={"id": f"mine_{tag}", "namespace": ns}).status_code == 403
        used = {u["assetId"]: u["asset"] for u in reader.get(f"{API}/executions/{execution_id}/assets").json()}
        assert used[f"raw_{tag}"] is None and used[f"trips_{tag}"]["namespace"] == ns  # raw's details: not for them


def test_assets_stay_in_their_tenant(client: httpx.Client, ns: str) -> None:
    tag = ns[-8:]
    tenant = f"assets{tag}"
    assert client.post("/api/v1/tenants", json={"id": tenant, "name": "Assets"}).status_code == 200
    source = pipeline(ns, tag)
    assert client.post(f"/api/v1/{tenant}/flows", content=source, headers=YAML).status_code == 200
    done = client.post(f"/api/v1/{tenant}/executions/{ns}/pipeline", params={"wait": True}).json()
    assert done["state"]["current"] == "SUCCESS", done
    theirs = client.get(f"/api/v1/{tenant}/assets/search", params={"q": tag}).json()
    assert theirs["total"] == 4  # raw, trips and the two marts
    assert client.get(f"/api/v1/{tenant}/assets/trips_{tag}").json()["upstream"][0]["id"] == f"raw_{tag}"
    assert client.get(f"{API}/assets/search", params={"q": tag}).json()["total"] == 0
    assert client.get(f"{API}/assets/trips_{tag}").status_code == 404
    assert client.get(f"{API}/executions/{done['id']}/assets").status_code == 404
