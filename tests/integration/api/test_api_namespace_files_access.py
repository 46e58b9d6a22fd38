"""Namespace files under RBAC over a real server (uvicorn on 127.0.0.1, SQLite): reading needs
NAMESPACE:ACCESS_FILES and every change (upload, new folder, move/rename, delete) NAMESPACE:MANAGE_FILES on the
namespace or a parent, by exact prefix (`dev` covers `dev.team`, never `development`). A refusal is a 403 naming
the missing permission and the namespace, and changes nothing; /api/v1/me tells the UI the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.api.conftest import LiveServer, _start

from legato.clock import utcnow
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store

API = "/api/v1/main"
PASSWORD = "files-access-password"
READ = "NAMESPACE:ACCESS_FILES"
WRITE = "NAMESPACE:MANAGE_FILES"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from _start(open_store(f"sqlite:///{tmp_path / 'legato.db'}"), tmp_path, "sqlite")


def _files(ns: str) -> str:
    return f"{API}/namespaces/{ns}/files"


# (what, method, path under the namespace's files, query, multipart body): every route of namespace files
READS: list[tuple[str, str, str, dict[str, str]]] = [
    ("list", "GET", "/directory", {"path": "/"}),
    ("stats", "GET", "/stats", {"path": "/a.txt"}),
    ("export", "GET", "/export", {}),
    ("read", "GET", "", {"path": "/a.txt"}),
]
WRITES: list[tuple[str, str, str, dict[str, str]]] = [
    ("upload", "POST", "", {"path": "/new.txt"}),
    ("new folder", "POST", "/directory", {"path": "/folder"}),
    ("rename", "PUT", "", {"from": "/a.txt", "to": "/renamed.txt"}),
    ("delete", "DELETE", "", {"path": "/renamed.txt"}),
]


def _call(client: httpx.Client, ns: str, method: str, sub: str, query: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] = {"files": {"fileContent": ("x", b"new")}} if (method, sub) == ("POST", "") else {}
    return client.request(method, _files(ns) + sub, params=query, **body)


@pytest.fixture
def people(server: LiveServer) -> dict[str, tuple[str, str]]:
    """root (owner) with a file /a.txt in dev, dev.team and development; ed: Editor on dev; vic: Viewer on dev;
    olga: Editor on `other` only. Name -> Basic credentials."""
    identity.create_account(server.store, "USER", "root", password=PASSWORD, owner=True, by=SYSTEM, now=utcnow())
    with server.client(auth=("root", PASSWORD)) as root:
        for name, role, ns in (("ed", "editor", "dev"), ("vic", "viewer", "dev"), ("olga", "editor", "other")):
            user = root.post(f"{API}/users", json={"username": name, "password": PASSWORD})
            assert user.status_code == 200, user.text
            bound = root.post(f"{API}/bindings", json={"roleId": role, "type": "USER", "externalId": user.json()["id"],
                                                        "namespace": ns})
            assert bound.status_code == 200, bound.text
        for ns in ("dev", "dev.team", "development"):
            assert root.post(_files(ns), params={"path": "/a.txt"}, files={"fileContent": ("a", b"a")}).status_code == 201
    return {name: (name, PASSWORD) for name in ("root", "ed", "vic", "olga")}


def _listing(server: LiveServer, ns: str) -> list[str]:
    with server.client(auth=("root", PASSWORD)) as root:
        return [e["fileName"] for e in root.get(f"{_files(ns)}/directory", params={"path": "/"}).json()]


def _refused(reply: httpx.Response, permission: str, ns: str) -> bool:
    body = reply.json()
    return (reply.status_code == 403 and body["message"] == f"missing permission {permission} on namespace '{ns}'"
            and body["details"][0]["message"] == permission)


def test_a_user_bound_on_another_namespace_is_refused_every_files_operation(
        server: LiveServer, people: dict[str, tuple[str, str]]) -> None:
    with server.client(auth=people["olga"]) as olga:
        for what, method, sub, query in READS:
            assert _refused(_call(olga, "dev", method, sub, query), READ, "dev"), what
        for what, method, sub, query in WRITES:
            reply = _call(olga, "dev", method, sub, query)
            assert _refused(reply, WRITE, "dev"), f"{what}: {reply.status_code} {reply.text}"
        assert olga.post(f"{_files('other')}/directory", params={"path": "/mine"}).status_code == 201
    assert _listing(server, "dev") == ["a.txt"]  # nothing changed


def test_a_viewer_reads_the_files_and_is_refused_each_change(server: LiveServer, people: dict[str, tuple[str, str]]) -> None:
    with server.client(auth=people["vic"]) as vic:
        for what, method, sub, query in READS:
            assert _call(vic, "dev.team", method, sub, query).status_code == 200, what
        for what, method, sub, query in WRITES:
            assert _refused(_call(vic, "dev", method, sub, query), WRITE, "dev"), what
        me = vic.get("/api/v1/me").json()["permissions"]
        assert {"permission": READ, "namespaces": ["dev"]} in me
        assert not any(p["permission"] == WRITE for p in me)  # what the UI reads to hide its write controls
    assert _listing(server, "dev") == ["a.txt"]


def test_an_editor_changes_the_files_of_its_namespace_and_children_by_exact_prefix(
        server: LiveServer, people: dict[str, tuple[str, str]]) -> None:
    with server.client(auth=people["ed"]) as ed:
        for ns in ("dev", "dev.team"):
            for what, method, sub, query in WRITES:
                reply = _call(ed, ns, method, sub, query)
                assert reply.status_code in (201, 204), f"{what} on {ns}: {reply.status_code} {reply.text}"
            assert _listing(server, ns) == ["folder", "new.txt"]
        for what, method, sub, query in [*READS, *WRITES]:
            permission = READ if method == "GET" else WRITE
            assert _refused(_call(ed, "development", method, sub, query), permission, "development"), what
    assert _listing(server, "development") == ["a.txt"]
