"""GET /namespaces/search over a real server (uvicorn on 127.0.0.1, SQLite): the namespaces as a hierarchy with each
one's own counts of flows, executions, KV entries and files; a user bound on one namespace sees that one (and its
parents, without their counts), never another's flows, executions, keys or files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.api.conftest import LiveServer, _start

from legato.clock import utcnow
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store

API = "/api/v1/main"
PASSWORD = "namespace-tree-password"
FLOW = "id: {id}\nnamespace: {ns}\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite")


def _tree(server: LiveServer, who: str, **query: str) -> dict[str, dict[str, Any]]:
    with server.client(auth=(who, PASSWORD)) as client:
        reply = client.get(f"{API}/namespaces/search", params={"size": "100", **query})
    assert reply.status_code == 200, reply.text
    rows = reply.json()["results"]
    assert reply.json()["total"] == len(rows)
    assert [r["id"] for r in rows] == sorted((r["id"] for r in rows), key=lambda n: n.split(".")), "parents first"
    return {r.pop("id"): r for r in rows}


def test_the_hierarchy_counts_what_each_namespace_holds_and_what_the_caller_may_see(server: LiveServer) -> None:
    identity.create_account(server.store, "USER", "root", password=PASSWORD, owner=True, by=SYSTEM, now=utcnow())
    with server.client(auth=("root", PASSWORD)) as root:
        for ns, flow in (("acme.data", "load"), ("acme.data", "clean"), ("acme.web", "deploy"), ("acme.data.raw", "pull")):
            reply = root.post(f"{API}/flows", content=FLOW.format(id=flow, ns=ns), headers={"Content-Type": "application/x-yaml"})
            assert reply.status_code == 200, reply.text
        for _ in range(2):
            assert root.post(f"{API}/executions/acme.data/load", params={"wait": "true"}).status_code == 200
        assert root.post(f"{API}/executions/acme.web/deploy", params={"wait": "true"}).status_code == 200
        for key in ("a", "b"):
            assert root.put(f"{API}/namespaces/acme.data/kv/{key}", content='"v"',
                            headers={"Content-Type": "text/plain"}).status_code in (200, 204)
        for path in ("/x.py", "/lib/y.py"):
            assert root.post(f"{API}/namespaces/acme.data/files", params={"path": path},
                             files={"fileContent": ("f", b"x")}).status_code == 201
        assert root.post(f"{API}/namespaces/acme/files", params={"path": "/top.txt"},
                         files={"fileContent": ("f", b"x")}).status_code == 201
        user = root.post(f"{API}/users", json={"username": "webby", "password": PASSWORD})
        assert root.post(f"{API}/bindings", json={"roleId": "viewer", "type": "USER", "externalId": user.json()["id"],
                                                   "namespace": "acme.web"}).status_code == 200

    tree = _tree(server, "root")
    assert list(tree) == ["acme", "acme.data", "acme.data.raw", "acme.web"]
    assert tree["acme"] == {"parent": None, "flows": 0, "executions": 0, "kv": 0, "files": 1}
    assert tree["acme.data"] == {"parent": "acme", "flows": 2, "executions": 2, "kv": 2, "files": 2}
    assert tree["acme.data.raw"] == {"parent": "acme.data", "flows": 1, "executions": 0, "kv": 0, "files": 0}
    assert tree["acme.web"] == {"parent": "acme", "flows": 1, "executions": 1, "kv": 0, "files": 0}

    assert list(_tree(server, "root", q="DATA")) == ["acme.data", "acme.data.raw"]
    with server.client(auth=("root", PASSWORD)) as root:
        second = root.get(f"{API}/namespaces/search", params={"size": "3", "page": "2"}).json()
    assert second == {"total": 4, "results": [{"id": "acme.web", "parent": "acme", "flows": 1, "executions": 1, "kv": 0, "files": 0}]}

    seen = _tree(server, "webby")
    assert list(seen) == ["acme", "acme.web"]
    assert seen["acme"] == {"parent": None, "flows": 0, "executions": 0, "kv": 0, "files": 0}, "no count of a parent it may not see"
    assert seen["acme.web"]["flows"] == 1 and seen["acme.web"]["executions"] == 1
