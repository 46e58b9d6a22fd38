"""Kestra's Dropbox tasks against the test double of Dropbox's HTTP API v2 (double.py): real HTTP on 127.0.0.1
through the tasks' guarded client, RPC and content endpoints, paging, upload sessions, conflicts and rate limits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from tests.integration.dropbox.double import TOKEN, DropboxDouble
from tests.integration.fs.conftest import Tasks

from legato.plugins.context import TaskFailed
from legato.plugins.dropbox import client
from legato.storage import ion
from legato.storage.namespace_files import file_uri


def task(url: str, kind: str, **props: Any) -> str:
    fields = {"accessToken": TOKEN, "apiUrl": url, "contentUrl": url, **props}
    return f"id: t\ntype: io.kestra.plugin.dropbox.files.{kind}\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


def test_list_pages_recursively_and_by_fetch_type(tasks: Tasks) -> None:
    double = DropboxDouble(throttle_once=True)
    double.put("/Docs/a.csv", b"a")
    double.put("/Docs/Sub/b.pdf", b"bb", modified="2026-12-06T10:00:00Z")
    double.put("/Other/c.txt", b"c")
    with double.serve() as url:
        flat = tasks.run(task(url, "List", **{"from": "/docs", "limit": 1}))
        deep = tasks.run(task(url, "List", **{"from": "/Docs", "recursive": True, "limit": 2}))
        one = tasks.run(task(url, "List", **{"from": "/", "fetchType": "FETCH_ONE", "limit": 1}))
        stored = tasks.run(task(url, "List", recursive=True, fetchType="STORE"))
    assert [(r["path"], r["type"]) for r in flat["rows"]] == [("/Docs/a.csv", "file"), ("/Docs/Sub", "folder")]
    assert flat["size"] == 2  # two pages of one entry, both read
    assert {r["path"]: r.get("size") for r in deep["rows"]} == {"/Docs/Sub": None, "/Docs/Sub/b.pdf": 2, "/Docs/a.csv": 1}
    pdf = next(r for r in deep["rows"] if r["name"] == "b.pdf")
    assert pdf == {"name": "b.pdf", "id": "/docs/sub/b.pdf", "path": "/Docs/Sub/b.pdf", "type": "file", "size": 2,
                   "clientModified": "2026-12-06T10:00:00Z"}
    assert one["row"]["path"] == "/Docs" and one["size"] == 1
    assert stored["size"] == 6 and len(ion.loads(tasks.storage.get(stored["uri"]).decode())) == 6
    # the first call answered 429 and was sent again after its Retry-After; "/" is sent as the root, ""
    assert [r.body["path"] for r in double.requests if r.path.endswith("/list_folder")] == ["/docs", "/docs", "/Docs", "", ""]


def test_upload_download_move_copy_delete_round_trip(tasks: Tasks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client, "CHUNK", 64 * 1024)  # a session of several requests without a big file
    big = bytes(range(256)) * 1000  # 256 kB
    source = tasks.storage.put(file_uri("company.team", "/report.csv"), big)
    double = DropboxDouble()
    with double.serve() as url:
        up = tasks.run(task(url, "Upload", to="/Shared/Réports/2026-12-07/report.csv", mode="OVERWRITE", **{"from": source}))
        assert double.content("/shared/réports/2026-12-07/report.csv") == big
        assert up["metadata"]["pathDisplay"] == "/Shared/Réports/2026-12-07/report.csv" and up["metadata"]["size"] == len(big)
        routes = [r.path for r in double.requests]
        assert routes.count("/2/files/upload_session/append_v2") == 2 and routes[-1] == "/2/files/upload_session/finish"

        small = tasks.storage.put(file_uri("company.team", "/n.txt"), b"new")
        with pytest.raises(TaskFailed, match=re.escape("already exists at '/Shared/Réports/2026-12-07/report.csv'")):
            tasks.run(task(url, "Upload", to="/Shared/Réports/2026-12-07/report.csv", **{"from": small}))
        renamed = tasks.run(task(url, "Upload", to="/Shared/Réports/2026-12-07/report.csv", autorename=True, **{"from": small}))
        assert renamed["metadata"]["name"] == "report (1).csv"

        down = tasks.run(task(url, "Download", **{"from": "/shared/réports/2026-12-07/report.csv"}))
        assert tasks.storage.get(down["uri"]) == big and down["metadata"]["contentHash"]
        assert down["uri"].endswith("/report.csv")

        moved = tasks.run(task(url, "Move", to="/Archive/report.csv", **{"from": "/Shared/Réports/2026-12-07/report.csv"}))
        assert moved["file"]["path"] == "/Archive/report.csv" and moved["file"]["type"] == "file"
        again = tasks.run(task(url, "Copy", to="/Archive/report.csv", autorename=True, **{"from": "/Archive/report.csv"}))
        assert again["file"]["name"] == "report (1).csv"
        with pytest.raises(TaskFailed, match=re.escape("already exists at the destination path: /Archive/report.csv")):
            tasks.run(task(url, "Move", to="/Archive/report.csv", **{"from": "/Archive/report (1).csv"}))
        with pytest.raises(TaskFailed, match=re.escape("source path not found: /nope.csv")):
            tasks.run(task(url, "Move", to="/x.csv", **{"from": "/nope.csv"}))

        folder = tasks.run(task(url, "CreateFolder", path="/Archive/2026"))
        assert folder["file"]["type"] == "folder" and folder["file"]["path"] == "/Archive/2026"
        meta = tasks.run(task(url, "GetMetadata", path="/archive/report.csv"))
        assert meta["file"]["size"] == len(big)
        found = tasks.run(task(url, "Search", query="report", path="/Archive", fileExtensions=["csv"], maxResults=5))
        assert sorted(r["name"] for r in found["rows"]) == ["report (1).csv", "report.csv"]

        deleted = tasks.run(task(url, "Delete", **{"from": "/Archive"}))
        assert deleted["file"]["type"] == "folder" and not any(p.startswith("/archive") for p in double.files)
        with pytest.raises(TaskFailed, match=re.escape("file not found at '/Archive/report.csv'")):
            tasks.run(task(url, "Download", **{"from": "/Archive/report.csv"}))


def test_a_path_read_from_a_file_bad_paths_and_a_bad_token(tasks: Tasks) -> None:
    double = DropboxDouble()
    double.put("/dynamic/data.json", b"{}")
    holder = tasks.storage.put(file_uri("company.team", "/path.txt"), b"/dynamic/data.json\n")
    with double.serve() as url:
        down = tasks.run(task(url, "Download", **{"from": holder}))
        assert tasks.storage.get(down["uri"]) == b"{}"
        with pytest.raises(TaskFailed, match="Dropbox paths start with '/'"):
            tasks.run(task(url, "Download", **{"from": "dynamic/data.json"}))
        with pytest.raises(TaskFailed, match="Dropbox: listing '/missing': not found"):
            tasks.run(task(url, "List", **{"from": "/missing"}))
        with pytest.raises(TaskFailed, match="invalid access token"):
            tasks.run(task(url, "List", accessToken="expired"))
