"""Path traversal on every route that takes a file path: `../`, `..%2F`, `%252F`, `\\`, absolute paths and
symlinks. Every attempt answers 4xx, nothing outside the root is read, and nothing is written outside it.

Routes: execution files (download, metas, preview) and namespace files (read, stats, directory list and
create, upload, move from/to, delete). FILE input uploads are covered in test_api_executions.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from legato.storage import LocalStorage, namespace_files_prefix
from legato.storage.uris import execution_prefix

API = "/api/v1/main"
SECRET = f"top-secret-{secrets.token_hex(4)}"
FLOW = """id: t
namespace: {ns}
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: ok
"""

# Relative attacks: each would reach <outside>/victim.txt from the namespace-files root or the execution folder.
DEPTH = 12
RELATIVE = [
    "../" * DEPTH + "{outside}/victim.txt",
    "..%2F" * DEPTH + "{outside}%2Fvictim.txt",
    "..%252F" * DEPTH + "{outside}%252Fvictim.txt",
    "%2e%2e/" * DEPTH + "{outside}/victim.txt",
    "%252e%252e/" * DEPTH + "{outside}/victim.txt",
    "..\\" * DEPTH + "{outside}\\victim.txt",
    "..%5C" * DEPTH + "{outside}%5Cvictim.txt",
    "....//" * DEPTH + "{outside}/victim.txt",
    "sub/../../" + "../" * DEPTH + "{outside}/victim.txt",
    "{outside}/victim.txt\x00.txt",
    "file://{outside}/victim.txt",
]


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A folder outside every root, with a file whose content must never come back."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.txt").write_text(SECRET)
    yield folder
    assert (folder / "victim.txt").read_text() == SECRET, "a file outside the root was changed"
    assert sorted(p.name for p in folder.iterdir()) == ["victim.txt"], "a file was written outside the root"


def attacks(outside: Path) -> list[str]:
    # the absolute folder without its leading slash, so relative attacks can append it after the `..`s
    return [a.format(outside=str(outside).lstrip("/")) for a in RELATIVE]


def check(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.request.url, response.text[:200])
    assert SECRET not in response.text


def namespace_routes(client: httpx.Client, ns: str) -> list[Callable[[str], httpx.Response]]:
    base = f"{API}/namespaces/{ns}/files"
    return [
        lambda p: client.get(base, params={"path": p}),
        lambda p: client.get(f"{base}/stats", params={"path": p}),
        lambda p: client.get(f"{base}/directory", params={"path": p}),
        lambda p: client.post(f"{base}/directory", params={"path": p}),
        lambda p: client.post(base, params={"path": p}, files={"fileContent": ("x", b"pwned")}),
        lambda p: client.put(base, params={"from": p, "to": "/moved.txt"}),
        lambda p: client.put(base, params={"from": "/keep.txt", "to": p}),
        lambda p: client.delete(base, params={"path": p}),
    ]


def test_namespace_file_routes_refuse_traversal(client: httpx.Client, ns: str, outside: Path) -> None:
    base = f"{API}/namespaces/{ns}/files"
    assert client.post(base, params={"path": "/keep.txt"}, files={"fileContent": ("x", b"keep")}).status_code == 201
    for route in namespace_routes(client, ns):
        for attack in attacks(outside):
            check(route(attack))
    assert client.get(base, params={"path": "/keep.txt"}).content == b"keep"


def test_absolute_paths_are_taken_inside_the_namespace_root(client: httpx.Client, server: Any, ns: str,
                                                           outside: Path) -> None:
    """Kestra writes namespace file paths as `/dir/file`: a leading slash is the namespace's root, so an
    absolute path names a file inside it (404 to read, created inside when written), never one outside."""
    base = f"{API}/namespaces/{ns}/files"
    absolute = f"{outside}/victim.txt"
    for path in (absolute, "/" + absolute):
        for route in namespace_routes(client, ns)[:3]:
            check(route(path))
    assert client.post(base, params={"path": absolute}, files={"fileContent": ("x", b"in")}).status_code == 201
    storage = LocalStorage(server.data_dir / "storage")
    root = storage.path_of(namespace_files_prefix(ns))
    assert (root / str(outside).lstrip("/") / "victim.txt").read_bytes() == b"in"


def test_symlinks_out_of_a_namespace_root_are_refused(client: httpx.Client, server: Any, ns: str,
                                                      outside: Path) -> None:
    base = f"{API}/namespaces/{ns}/files"
    assert client.post(base, params={"path": "/dir/real.txt"}, files={"fileContent": ("x", b"real")}).status_code == 201
    storage = LocalStorage(server.data_dir / "storage")
    root = storage.path_of(namespace_files_prefix(ns))
    os.symlink(outside / "victim.txt", root / "link.txt")
    os.symlink(outside, root / "linkdir")
    for path in ("/link.txt", "/linkdir/victim.txt", "/linkdir"):
        for route in namespace_routes(client, ns):
            check(route(path))
    names = [e["fileName"] for e in client.get(f"{base}/directory", params={"path": "/"}).json()]
    assert names == ["dir", "keep.txt"] or names == ["dir"]
    exported = client.get(f"{base}/export")
    assert exported.status_code == 200 and SECRET.encode() not in exported.content


def test_execution_file_routes_refuse_traversal(client: httpx.Client, server: Any, ns: str, outside: Path) -> None:
    assert client.post(f"{API}/flows", content=FLOW.format(ns=ns), headers={"Content-Type": "application/x-yaml"}).status_code == 200
    execution = client.post(f"{API}/executions/{ns}/t", params={"wait": True}).json()
    storage = LocalStorage(server.data_dir / "storage")
    prefix = execution_prefix(ns, "t", execution["id"])
    storage.put(f"{prefix}/tasks/a/ok.txt", b"fine")
    folder = storage.path_of(prefix)
    os.symlink(outside / "victim.txt", folder / "link.txt")
    other = storage.put(execution_prefix(ns, "t", "someone-else") + "/x.txt", b"not yours")
    routes = [f"{API}/executions/{execution['id']}/file{suffix}" for suffix in ("", "/metas", "/preview")]
    uris = [f"{prefix}/{a}" for a in attacks(outside)] + [
        f"kestra://{outside}/victim.txt", f"kestra:///{str(outside).lstrip('/')}/victim.txt", f"file://{outside}/victim.txt",
        str(outside / "victim.txt"), f"{prefix}/link.txt", other, f"{prefix}/..%2F..%2Fsomeone-else%2Fx.txt",
        f"{prefix}/%252E%252E/%252E%252E/someone-else/x.txt", f"{prefix}\\..\\..\\someone-else\\x.txt",
    ]
    for url in routes:
        for uri in uris:
            response = client.get(url, params={"path": uri})
            check(response)
            assert b"not yours" not in response.content
        assert client.get(url, params={"path": f"{prefix}/tasks/a/ok.txt"}).status_code == 200
