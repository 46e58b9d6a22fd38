"""`legato deploy --server`: the remote target plans against a live server's API and applies through it
(SQLite and PostgreSQL): flows of a namespace in one request, suites, namespace files, deletions."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
from tests.integration.api.conftest import LiveServer
from tests.integration.deploy.test_deploy import app, dashboard, flow, suite, write

from legato.deploy import layout, plan
from legato.deploy.targets import DeployError, RemoteTarget


def test_remote_target_over_the_api(tmp_path: Path, server: LiveServer) -> None:
    ns = f"deploy.remote{secrets.token_hex(4)}"
    repo = write(tmp_path / "repo", {f"{ns}/flows/a.yaml": flow(ns, "a"), f"{ns}/flows/b.yaml": flow(ns, "b"),
                                     f"{ns}/files/data/x.csv": "a,b\n", f"{ns}/tests/s.yaml": suite(ns, "a")})
    target = RemoteTarget(server.url)
    try:
        made = plan.make(layout.read([repo]), target, delete=False)
        assert made.count("create") == 4
        for n in made.namespaces:
            target.apply(n)
        assert set(target.flows(ns)) == {"a", "b"} and set(target.suites(ns)) == {"a_suite"}
        assert target.files(ns) == {"/data/x.csv": b"a,b\n"}
        (repo / f"{ns}/flows/b.yaml").unlink()
        (repo / f"{ns}/flows/a.yaml").write_text(flow(ns, "a", "v2"))
        again = plan.make(layout.read([repo]), target, delete=True)
        assert [(c.key, c.action) for c in again.namespaces[0].changes if c.kind == "flow"] == [
            ("a", "update"), ("b", "delete")]
        for n in again.namespaces:
            target.apply(n)
        assert list(target.flows(ns)) == ["a"] and "v2" in target.flows(ns)["a"]
    finally:
        target.close()
    anonymous, broken = RemoteTarget(server.url), RemoteTarget(server.url, "a-token")
    try:
        with pytest.raises(DeployError, match=r"HTTP 404: flow nope\.ns\.nothing not found"):
            anonymous._call("GET", "/flows/nope.ns/nothing")
        with pytest.raises(DeployError, match=r"HTTP 401: invalid API token"):
            broken._call("GET", "/flows/nope.ns/nothing")
    finally:
        anonymous.close()
        broken.close()


def test_remote_target_deploys_global_dashboards(tmp_path: Path, server: LiveServer) -> None:
    key = f"deploy-{secrets.token_hex(4)}"
    repo = write(tmp_path / "repo", {f"_global/dashboards/{key}.yaml": dashboard(key, "Deployed")})
    target = RemoteTarget(server.url)
    try:
        before = target.dashboards()
        assert "default" not in before  # the built-in one the API shows is not a stored dashboard
        made = plan.make(layout.read([repo]), target, delete=False)
        assert [(c.key, c.action) for c in made.dashboards] == [(key, "create")]
        target.apply_dashboards(made.dashboards)
        assert "title: Deployed" in target.dashboards()[key]
        (repo / f"_global/dashboards/{key}.yaml").write_text(dashboard(key, "Renamed"))
        again = plan.make(layout.read([repo]), target, delete=False)
        assert [(c.key, c.action) for c in again.dashboards] == [(key, "update")]
        target.apply_dashboards(again.dashboards)
        assert "title: Renamed" in target.dashboards()[key]
        target.apply_dashboards([plan.Change("dashboard", key, "delete", target.dashboards()[key], None)])
        assert key not in target.dashboards()
    finally:
        target.close()


def test_remote_target_deploys_a_namespace_apps_after_its_flows(tmp_path: Path, server: LiveServer) -> None:
    ns = f"deploy.apps{secrets.token_hex(4)}"
    key = f"ask-{secrets.token_hex(4)}"
    repo = write(tmp_path / "repo", {f"{ns}/flows/a.yaml": flow(ns, "a"), f"{ns}/apps/{key}.yaml": app(ns, key, "a")})
    target = RemoteTarget(server.url)
    try:
        made = plan.make(layout.read([repo]), target, delete=False)
        assert [(c.kind, c.action) for c in made.namespaces[0].changes] == [("flow", "create"), ("app", "create")]
        for n in made.namespaces:
            target.apply(n)
        assert "displayName: Ask" in target.apps(ns)[key]
        (repo / f"{ns}/apps/{key}.yaml").write_text(app(ns, key, "a", "Asked"))
        again = plan.make(layout.read([repo]), target, delete=False)
        assert [(c.key, c.action) for c in again.namespaces[0].apps()] == [(key, "update")]
        for n in again.namespaces:
            target.apply(n)
        assert "displayName: Asked" in target.apps(ns)[key]
        (repo / f"{ns}/apps/{key}.yaml").unlink()
        gone = plan.make(layout.read([repo]), target, delete=True)
        for n in gone.namespaces:
            target.apply(n)
        assert target.apps(ns) == {}
    finally:
        target.close()


def test_the_deploy_route_applies_a_whole_namespace_or_nothing_of_it(tmp_path: Path, server: LiveServer) -> None:
    ns = f"deploy.bundle{secrets.token_hex(4)}"
    key = f"ask-{secrets.token_hex(4)}"
    with server.client() as client:
        first = client.post(f"/api/v1/main/deploy/namespaces/{ns}", json={
            "flows": [flow(ns, "a")], "apps": [app(ns, key, "a")], "suites": [suite(ns, "a")],
            "files": {"/run.sh": base64.b64encode(b"echo hi\n").decode()}})
        assert first.status_code == 200, first.text
        assert first.json() == {"namespace": ns, "flows": 1}

        bad_app = app(ns, key, "a", "Asked").replace("flowId:", "flow:")
        bad_suite = suite(ns, "a").replace("testCases:", "cases:")
        for broken in ({"flows": [flow(ns, "a", "v2"), flow(ns, "b")], "apps": [bad_app], "appDeletions": []},
                       {"flows": [flow(ns, "b")], "suites": [bad_suite], "flowDeletions": ["a"], "appDeletions": [key]},
                       {"flows": [flow(ns, "b")], "apps": [app("elsewhere", "moved", "b")]}):
            refused = client.post(f"/api/v1/main/deploy/namespaces/{ns}", json=broken)
            assert refused.status_code == 422, refused.text
            assert "flow" in refused.text.lower() or "cases" in refused.text or "elsewhere" in refused.text
            assert [f["id"] for f in client.get(f"/api/v1/main/flows/{ns}").json()] == ["a"]
            assert "message: hi" in client.get(f"/api/v1/main/flows/{ns}/a", params={"source": True}).json()["source"]
            assert "displayName: Ask\n" in client.get(f"/api/v1/main/apps/{key}").json()["sourceCode"]
            suites = client.get("/api/v1/main/tests/search", params={"namespace": ns}).json()["results"]
            assert [s["id"] for s in suites] == ["a_suite"]
        detail = client.post(f"/api/v1/main/deploy/namespaces/{ns}", json={"apps": [bad_app]}).json()
        assert any("flowId" in d["path"] or "flow" in d["path"] for d in detail["details"]), detail
        assert client.post(f"/api/v1/main/deploy/namespaces/{ns}",
                           json={"files": {"/x": "not base64!"}}).status_code == 400
