"""Namespace files through the API: upload, read, list, stats, move, directories, delete, export as zip; and
where they land in internal storage (Kestra's layout, which script tasks stage from)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import httpx

from legato.storage import LocalStorage, namespace_files_prefix

API = "/api/v1/main"


def files(ns: str) -> str:
    return f"{API}/namespaces/{ns}/files"


def upload(client: httpx.Client, ns: str, path: str, data: bytes) -> httpx.Response:
    return client.post(files(ns), params={"path": path}, files={"fileContent": ("x", data)})


def listing(client: httpx.Client, ns: str, path: str = "/") -> list[tuple[str, str]]:
    body: list[dict[str, Any]] = client.get(f"{files(ns)}/directory", params={"path": path}).json()
    return [(e["fileName"], e["type"]) for e in body]


def test_upload_read_list_and_storage_layout(client: httpx.Client, server: Any, ns: str) -> None:
    assert listing(client, ns) == []
    assert upload(client, ns, "/scripts/etl.py", b"print('hi')\n").status_code == 201
    assert upload(client, ns, "readme.md", b"# hi\n").status_code == 201
    assert client.get(files(ns), params={"path": "/scripts/etl.py"}).content == b"print('hi')\n"
    assert listing(client, ns) == [("readme.md", "File"), ("scripts", "Directory")]
    assert listing(client, ns, "/scripts") == [("etl.py", "File")]
    stats = client.get(f"{files(ns)}/stats", params={"path": "/scripts/etl.py"}).json()
    assert (stats["fileName"], stats["type"], stats["size"]) == ("etl.py", "File", 12)
    storage = LocalStorage(server.data_dir / "storage")
    prefix = namespace_files_prefix(ns)
    assert storage.list(prefix) == [f"{prefix}/readme.md", f"{prefix}/scripts/etl.py"]
    assert upload(client, ns, "/scripts/etl.py", b"v2").status_code == 201  # replaces
    assert client.get(files(ns), params={"path": "scripts/etl.py"}).content == b"v2"
    assert client.get(files(ns), params={"path": "/nothing.txt"}).status_code == 404
    assert upload(client, ns, "/scripts", b"x").status_code == 409  # a folder is there
    assert client.post(files(ns), params={"path": "/a.txt"}, content=b"raw").status_code == 415


def test_directories_move_delete_and_export(client: httpx.Client, ns: str) -> None:
    assert client.post(f"{files(ns)}/directory", params={"path": "/empty/inner"}).status_code == 201
    assert listing(client, ns, "/empty") == [("inner", "Directory")]
    upload(client, ns, "/a/one.txt", b"1")
    upload(client, ns, "/a/two.txt", b"2")
    assert client.post(f"{files(ns)}/directory", params={"path": "/a/one.txt"}).status_code == 409
    assert client.put(files(ns), params={"from": "/a/one.txt", "to": "/b/uno.txt"}).status_code == 204
    assert client.put(files(ns), params={"from": "/a/two.txt", "to": "/b/uno.txt"}).status_code == 409
    assert client.put(files(ns), params={"from": "/a", "to": "/a/inside"}).status_code == 409
    assert client.put(files(ns), params={"from": "/ghost", "to": "/x"}).status_code == 404
    assert client.get(files(ns), params={"path": "/b/uno.txt"}).content == b"1"
    exported = client.get(f"{files(ns)}/export")
    assert exported.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert sorted(archive.namelist()) == ["a/two.txt", "b/uno.txt"]
    assert archive.read("a/two.txt") == b"2"
    assert client.delete(files(ns), params={"path": "/a"}).status_code == 204
    assert client.delete(files(ns), params={"path": "/b/uno.txt"}).status_code == 204
    assert client.delete(files(ns), params={"path": "/b/uno.txt"}).status_code == 404
    assert client.delete(files(ns), params={"path": "/"}).status_code == 400
    assert listing(client, ns) == [("b", "Directory"), ("empty", "Directory")]
