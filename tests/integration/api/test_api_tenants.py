"""Tenants through the API, on SQLite and PostgreSQL: the registry (/api/v1/tenants), the same flow id deployed and
run in `main` and in another tenant without either seeing the other's flows, executions, logs, KV entries or
namespace files; cross-tenant probes from expressions (kv(), secret(), read() of namespace files) and Subflow
tasks that must fail; and bindings that give nothing in another tenant."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.builders import log_flow
from tests.integration.api.conftest import LiveServer

from legato.clock import utcnow
from legato.services import access, identity, tenants
from legato.services.principal import SYSTEM

YAML = {"Content-Type": "application/x-yaml"}


def _tenant(client: httpx.Client) -> str:
    tenant = f"acme{secrets.token_hex(3)}"
    created = client.post("/api/v1/tenants", json={"id": tenant, "name": "Acme Corp"})
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "Acme Corp"
    return tenant


def _run(client: httpx.Client, tenant: str, ns: str, flow_id: str) -> dict[str, Any]:
    reply = client.post(f"/api/v1/{tenant}/executions/{ns}/{flow_id}", params={"wait": True})
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def _probe_flow(ns: str, marker: str) -> str:
    return f"""id: probe
namespace: {ns}
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{marker} kv={{{{ kv('who') }}}} file={{{{ read('nsfile:///data.txt') }}}}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      who: "{{{{ kv('who') }}}}"
"""


def test_the_registry(client: httpx.Client) -> None:
    tenant = _tenant(client)
    assert client.post("/api/v1/tenants", json={"id": tenant}).status_code == 409
    assert client.post("/api/v1/tenants", json={"id": "Bad Id"}).status_code == 400
    assert client.post("/api/v1/tenants", json={"id": "tenants"}).status_code == 400
    found = client.get("/api/v1/tenants/search", params={"q": tenant}).json()
    assert found["total"] == 1 and found["results"][0]["id"] == tenant
    ids = [t["id"] for t in client.get("/api/v1/tenants/search", params={"size": 1000}).json()["results"]]
    assert "main" in ids and tenant in ids
    assert client.put(f"/api/v1/tenants/{tenant}", json={"name": "Acme Inc."}).json()["name"] == "Acme Inc."
    assert client.get(f"/api/v1/tenants/{tenant}").json()["name"] == "Acme Inc."
    assert client.get("/api/v1/tenants/nobody").status_code == 404
    missing = client.get("/api/v1/nobody/flows/search")
    assert missing.status_code == 404 and "tenant 'nobody' not found" in missing.json()["message"]
    assert client.delete("/api/v1/tenants/main").status_code == 409
    api = f"/api/v1/{tenant}"
    assert client.put(f"{api}/namespaces/team/kv/who", json="old").status_code == 204
    uploaded = client.post(f"{api}/namespaces/team/files", params={"path": "/old.txt"}, files={"fileContent": ("x", b"old")})
    assert uploaded.status_code == 201, uploaded.text
    assert client.delete(f"/api/v1/tenants/{tenant}").status_code == 204
    assert client.get(f"/api/v1/{tenant}/flows/search").status_code == 404
    # made again, the id starts empty: no KV entry, no file of the deleted tenant
    assert client.post("/api/v1/tenants", json={"id": tenant}).status_code == 200
    assert client.get(f"{api}/namespaces/team/kv/who").status_code == 404
    assert client.get(f"{api}/namespaces/team/files", params={"path": "/old.txt"}).status_code == 404
    assert client.delete(f"/api/v1/tenants/{tenant}").status_code == 204


def test_two_tenants_never_see_each_other(server: LiveServer, client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    ran: dict[str, dict[str, Any]] = {}
    for tenant in ("main", acme):
        api = f"/api/v1/{tenant}"
        assert client.put(f"{api}/namespaces/{ns}/kv/who", json=tenant).status_code == 204
        uploaded = client.post(f"{api}/namespaces/{ns}/files", params={"path": "/data.txt"},
                               files={"fileContent": ("x", f"{tenant}-file".encode())})
        assert uploaded.status_code == 201, uploaded.text
        deployed = client.post(f"{api}/flows", content=_probe_flow(ns, f"{tenant}-marker"), headers=YAML)
        assert deployed.status_code == 200, deployed.text
    for tenant in ("main", acme):
        ran[tenant] = _run(client, tenant, ns, "probe")
        assert ran[tenant]["state"]["current"] == "SUCCESS", ran[tenant]
    main_id, acme_id = ran["main"]["id"], ran[acme]["id"]
    assert main_id != acme_id

    for tenant, other in (("main", acme), (acme, "main")):
        api, mine, theirs = f"/api/v1/{tenant}", ran[tenant]["id"], ran[other]["id"]
        # flows
        flow = client.get(f"{api}/flows/{ns}/probe", params={"source": True}).json()
        assert f"{tenant}-marker" in flow["source"] and f"{other}-marker" not in flow["source"]
        searched = client.get(f"{api}/flows/search", params={"namespace": ns}).json()
        assert searched["total"] == 1
        assert [f["revision"] for f in client.get(f"{api}/flows/{ns}/probe/revisions").json()] == [1]
        # executions
        execution = client.get(f"{api}/executions/{mine}").json()
        assert execution["taskRunList"][-1]["outputs"] == {"values": {"who": tenant}}
        for path in (f"executions/{theirs}", f"logs/{theirs}", f"executions/{theirs}/follow",
                     f"logs/{theirs}/download"):
            assert client.get(f"{api}/{path}").status_code == 404, path
        assert client.delete(f"{api}/executions/{theirs}").status_code == 404
        listed = client.get(f"{api}/executions/search", params={"namespace": ns, "size": 100}).json()
        assert [e["id"] for e in listed["results"]] == [mine]
        # logs
        lines = client.get(f"{api}/logs/{mine}").json()
        assert [line["message"] for line in lines] == [f"{tenant}-marker kv={tenant} file={tenant}-file"]
        found = client.get(f"{api}/logs/search", params={"q": "-marker", "namespace": ns}).json()
        assert [line["executionId"] for line in found["results"]] == [mine]
        # KV and namespace files
        assert client.get(f"{api}/namespaces/{ns}/kv/who").json() == {"type": "STRING", "value": tenant}
        assert [e["key"] for e in client.get(f"{api}/namespaces/{ns}/kv").json()] == ["who"]
        assert client.get(f"{api}/namespaces/{ns}/files", params={"path": "/data.txt"}).text == f"{tenant}-file"
        # stats count this tenant's executions only
        counted = client.post(f"{api}/stats/executions/group-by-namespace", json={}).json()
        assert [sum(c["executionCounts"].values()) for c in counted if c["namespace"] == ns] == [1]
    # a tenant's files live under its own prefix of the storage; main's where they always were
    segments = ns.split(".")
    root = server.data_dir / "storage"
    assert (root.joinpath(*segments, "_files", "data.txt")).read_bytes() == b"main-file"
    assert (root.joinpath("_tenants", acme, *segments, "_files", "data.txt")).read_bytes() == f"{acme}-file".encode()
    # a tenant holding flows is not deleted
    refused = client.delete(f"/api/v1/tenants/{acme}")
    assert refused.status_code == 409 and "flow" in refused.json()["message"]
    assert client.delete(f"/api/v1/{acme}/flows/{ns}/probe").status_code == 204
    assert client.get(f"/api/v1/main/flows/{ns}/probe").status_code == 200
    assert client.delete(f"/api/v1/tenants/{acme}").status_code == 204


def test_expressions_and_subflows_reach_only_their_own_tenant(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    main = "/api/v1/main"
    value = f"main-secret-{secrets.token_hex(4)}"
    assert client.put(f"{main}/namespaces/{ns}/secrets", json={"key": "MAIN_ONLY", "value": value}).status_code == 200
    assert client.put(f"{main}/namespaces/{ns}/kv/only_main", json="main-kv-value").status_code == 204
    client.post(f"{main}/namespaces/{ns}/files", params={"path": "/main.txt"},
                files={"fileContent": ("x", b"main-file-content")})
    settings = {"variables": {"region": "main-region-value"}}
    assert client.put(f"{main}/namespaces/{ns}", json=settings).status_code == 200
    assert client.get(f"/api/v1/{acme}/namespaces/{ns}").json()["variables"] == {}  # acme's own: none
    child = log_flow("target", ns, "ran", task_id="t")
    assert client.post(f"{main}/flows", content=child, headers=YAML).status_code == 200
    probes = {
        "pkv": "message: \"{{ kv('only_main') }}\"",
        "pkvns": f"message: \"{{{{ kv('only_main', namespace='{ns}') }}}}\"",
        "psecret": "message: \"{{ secret('MAIN_ONLY') }}\"",
        "pfile": "message: \"{{ read('nsfile:///main.txt') }}\"",
        "pfilens": f"message: \"{{{{ read('nsfile://{ns}/main.txt') }}}}\"",
        "pvars": "message: \"{{ namespace.region }}\"",
    }
    for flow_id, message in probes.items():
        source = (f"id: {flow_id}\nnamespace: {ns}\ntasks:\n  - id: t\n"
                  f"    type: io.kestra.plugin.core.log.Log\n    {message}\n")
        assert client.post(f"/api/v1/{acme}/flows", content=source, headers=YAML).status_code == 200, flow_id
    subflow = (f"id: psub\nnamespace: {ns}\ntasks:\n  - id: call\n    type: io.kestra.plugin.core.flow.Subflow\n"
               f"    namespace: {ns}\n    flowId: target\n    wait: true\n")
    assert client.post(f"/api/v1/{acme}/flows", content=subflow, headers=YAML).status_code == 200
    each = (f"id: peach\nnamespace: {ns}\ntasks:\n  - id: lines\n    type: io.kestra.plugin.core.storage.Write\n"
            f"    content: \"a\\nb\\n\"\n  - id: each\n    type: io.kestra.plugin.core.flow.ForEachItem\n"
            f"    items: \"{{{{ outputs.lines.uri }}}}\"\n    batch:\n      rows: 1\n    namespace: {ns}\n"
            f"    flowId: target\n    wait: true\n    transmitFailed: true\n")
    assert client.post(f"/api/v1/{acme}/flows", content=each, headers=YAML).status_code == 200
    for flow_id in (*probes, "psub", "peach"):
        ended = _run(client, acme, ns, flow_id)
        assert ended["state"]["current"] == "FAILED", (flow_id, ended)
        seen = client.get(f"/api/v1/{acme}/logs/{ended['id']}").text + str(ended)
        for leaked in (value, "main-kv-value", "main-file-content", "main-region-value"):
            assert leaked not in seen, (flow_id, leaked)
    # the subflow's target exists in main only: nothing ran there for acme
    assert client.get(f"{main}/executions/search", params={"namespace": ns, "flowId": "target"}).json()["total"] == 0
    # and the same probes from main work: the data is there, only out of acme's reach
    assert client.post(f"{main}/flows", content=subflow, headers=YAML).status_code == 200
    assert _run(client, "main", ns, "psub")["state"]["current"] == "SUCCESS"
    assert client.post(f"{main}/flows", content=each, headers=YAML).status_code == 200
    assert _run(client, "main", ns, "peach")["state"]["current"] == "SUCCESS"


def test_bindings_give_nothing_in_another_tenant(auth_server: LiveServer, ns: str) -> None:
    store, now = auth_server.store, utcnow()
    with auth_server.client(auth=("admin", "s3cret")) as admin:
        acme = _tenant(admin)
        flow = log_flow("f", ns, task_id="t")
        for tenant in ("main", acme):
            assert admin.post(f"/api/v1/{tenant}/flows", content=flow, headers=YAML).status_code == 200
    account = identity.create_account(store, "USER", f"viewer-{secrets.token_hex(3)}", password="pw-123456789",
                                      by=SYSTEM, now=now)
    access.create_binding(store, "viewer", "USER", account.id, None, by=SYSTEM, now=now)
    token = identity.create_token(store, account.id, "t", by=SYSTEM, now=now).text
    with auth_server.client(headers={"authorization": f"Bearer {token}"}) as viewer:
        assert viewer.get(f"/api/v1/main/flows/{ns}/f").status_code == 200
        refused = viewer.get(f"/api/v1/{acme}/flows/{ns}/f")
        assert refused.status_code == 403 and "FLOW:VIEW" in refused.json()["message"]
        assert viewer.get(f"/api/v1/{acme}/flows/search").status_code == 403
        assert viewer.post("/api/v1/tenants", json={"id": f"x{secrets.token_hex(3)}"}).status_code == 403
        access.create_binding(store, "viewer", "USER", account.id, ns, by=SYSTEM, now=now, tenant=acme)
        assert viewer.get(f"/api/v1/{acme}/flows/{ns}/f").status_code == 200
        assert viewer.delete(f"/api/v1/{acme}/flows/{ns}/f").status_code == 403
        assert viewer.get(f"/api/v1/{acme}/bindings").status_code == 403
    with auth_server.client(auth=("admin", "s3cret")) as admin:
        bindings = admin.get(f"/api/v1/{acme}/bindings").json()
        assert [b["namespace"] for b in bindings] == [ns]
        assert all(b["namespace"] != ns for b in admin.get("/api/v1/main/bindings").json())


def test_me_tells_the_permissions_in_the_paths_tenant_and_the_tenants_one_may_open(auth_server: LiveServer) -> None:
    """What the web UI reads: `/api/v1/{tenant}/me` holds the caller's permissions in that tenant and the tenants it
    is bound in (directly or through a group); the owner may open every tenant; an unknown tenant is a 404."""
    store, now = auth_server.store, utcnow()
    with auth_server.client(auth=("admin", "s3cret")) as admin:
        acme, other = _tenant(admin), _tenant(admin)
        owner = admin.get(f"/api/v1/{acme}/me").json()
        assert owner["owner"] and owner["tenant"] == acme
        assert {"main", acme, other} <= {t["id"] for t in owner["tenants"]}
        assert admin.get("/api/v1/nosuchtenant/me").status_code == 404
    account = identity.create_account(store, "USER", f"acme-{secrets.token_hex(3)}", password="pw-123456789",
                                      by=SYSTEM, now=now)
    token = identity.create_token(store, account.id, "t", by=SYSTEM, now=now).text
    access.create_binding(store, "developer", "USER", account.id, None, by=SYSTEM, now=now, tenant=acme)
    group = access.create_group(store, f"g{secrets.token_hex(3)}", by=SYSTEM, now=now)
    access.set_member(store, group.id, account.id, True, by=SYSTEM)
    access.create_binding(store, "viewer", "GROUP", group.id, "team", by=SYSTEM, now=now, tenant=other)
    with auth_server.client(headers={"authorization": f"Bearer {token}"}) as user:
        in_acme = user.get(f"/api/v1/{acme}/me").json()
        assert in_acme["tenant"] == acme and not in_acme["owner"]
        assert {"permission": "EXECUTION:CREATE", "namespaces": None} in in_acme["permissions"]
        assert [t["id"] for t in in_acme["tenants"]] == sorted([acme, other])
        assert [t["name"] for t in in_acme["tenants"]] == ["Acme Corp", "Acme Corp"]
        in_main = user.get("/api/v1/main/me").json()
        assert in_main["tenant"] == "main" and in_main["permissions"] == []
        assert user.get("/api/v1/me").json() == in_main
        in_other = user.get(f"/api/v1/{other}/me").json()
        assert {p["permission"] for p in in_other["permissions"]} >= {"FLOW:VIEW"}
        assert all(p["namespaces"] == ["team"] for p in in_other["permissions"])
        assert user.get("/api/v1/main/flows/search").status_code == 403


def test_a_tenant_id_cannot_take_the_name_of_a_ui_section() -> None:
    """`/ui/<first segment>/...` is a page of `main` when the segment is one of the UI's sections, else a tenant's:
    the UI's list (ui/src/lib/tenant.ts) and the reserved ids are the same."""
    source = (Path(__file__).parents[3] / "ui" / "src" / "lib" / "tenant.ts").read_text()
    listed = re.search(r"export const SECTIONS = \[(.*?)\] as const;", source, re.S)
    assert listed is not None
    assert set(re.findall(r'"([a-z]+)"', listed.group(1))) == tenants.UI_SECTIONS
    for section in tenants.UI_SECTIONS:
        with pytest.raises(ValueError, match="reserved"):
            tenants.check_id(section)


def test_a_webhook_starts_the_flow_of_its_own_tenant(client: httpx.Client, ns: str) -> None:
    acme = _tenant(client)
    flow = (f"id: hooked\nnamespace: {ns}\ntasks:\n  - id: t\n    type: io.kestra.plugin.core.log.Log\n"
            f"    message: hooked\ntriggers:\n  - id: hook\n    type: io.kestra.plugin.core.trigger.Webhook\n"
            f"    key: k{acme}\n")
    assert client.post(f"/api/v1/{acme}/flows", content=flow, headers=YAML).status_code == 200
    path = f"executions/webhook/{ns}/hooked/k{acme}"
    assert client.post(f"/api/v1/main/{path}", json={}).status_code == 404
    fired = client.post(f"/api/v1/{acme}/{path}", json={})
    assert fired.status_code == 200, fired.text
    execution_id = fired.json()["id"]
    assert client.get(f"/api/v1/{acme}/executions/{execution_id}").status_code == 200
    assert client.get(f"/api/v1/main/executions/{execution_id}").status_code == 404
