"""Kestra's Cloud Storage tasks with google-cloud-storage against `gcp-storage-emulator`: each task's outputs,
DIRECTORY and RECURSIVE listings, regExp on the gs:// URI, Downloads' MOVE/DELETE, CreateBucket's ifExists, and
the errors a user sees."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed

BASE = "projectId: test\n"


def _bucket(gcs: Any) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    gcs.create_bucket(name)
    return name


def _names(gcs: Any, bucket: str) -> list[str]:
    return sorted(b.name for b in gcs.list_blobs(bucket))


def test_upload_list_download_copy_delete(tasks: Tasks, gcs: Any) -> None:
    bucket = _bucket(gcs)
    source = tasks.put("orders.csv", b"id,total\n1,12.5\n")
    uploaded = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Upload\n{BASE}from: '{source}'\n"
                         f"to: gs://{bucket}/data/orders.csv\ncontentType: text/csv\n")
    assert uploaded["uri"] == f"gs://{bucket}/data/orders.csv" and uploaded["md5"] and uploaded["crc32c"]
    listed = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.List\n{BASE}from: gs://{bucket}/data/\n")
    (blob,) = listed["blobs"]
    assert (blob["name"], blob["size"], blob["contentType"], blob["isDirectory"]) == ("data/orders.csv", 16, "text/csv", False)
    assert blob["uri"] == f"gs://{bucket}/data/orders.csv"
    downloaded = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Download\n{BASE}from: gs://{bucket}/data/orders.csv\n")
    assert (downloaded["bucket"], downloaded["path"]) == (bucket, "data/orders.csv")
    assert tasks.read(downloaded["uri"]) == b"id,total\n1,12.5\n"
    copied = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Copy\n{BASE}from: gs://{bucket}/data/orders.csv\n"
                       f"to: gs://{bucket}/archive/orders.csv\ndelete: true\n")
    assert copied == {"uri": f"gs://{bucket}/archive/orders.csv"}
    assert _names(gcs, bucket) == ["archive/orders.csv"]
    deleted = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Delete\n{BASE}uri: gs://{bucket}/archive/orders.csv\n")
    assert deleted == {"uri": f"gs://{bucket}/archive/orders.csv", "deleted": True}
    again = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Delete\n{BASE}uri: gs://{bucket}/archive/orders.csv\n")
    assert again["deleted"] is False
    with pytest.raises(TaskFailed, match="Unable to find blob on bucket"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Delete\n{BASE}uri: gs://{bucket}/archive/orders.csv\nerrorOnMissing: true\n")


def test_listings_downloads_actions_and_delete_list(tasks: Tasks, gcs: Any) -> None:
    bucket = _bucket(gcs)
    for name in ("in/a.csv", "in/b.csv", "in/notes.txt", "in/sub/c.csv"):
        gcs.bucket(bucket).blob(name).upload_from_string(f"data of {name}")
    level = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.List\n{BASE}from: gs://{bucket}/in/\n")
    assert [(b["name"], b["isDirectory"]) for b in level["blobs"]] == [
        ("in/a.csv", False), ("in/b.csv", False), ("in/notes.txt", False), ("in/sub/", True)]
    folders = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.List\n{BASE}from: gs://{bucket}/in/\nfilter: DIRECTORY\n")
    assert [b["name"] for b in folders["blobs"]] == ["in/sub/"]
    csvs = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.List\n{BASE}from: gs://{bucket}/in/\nlistingType: RECURSIVE\n"
                     "regExp: 'gs://.*\\.csv'\n")
    assert [b["name"] for b in csvs["blobs"]] == ["in/a.csv", "in/b.csv", "in/sub/c.csv"]
    capped = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.List\n{BASE}from: gs://{bucket}/in/\nmaxFiles: 1\n")
    assert len(capped["blobs"]) == 1 and any("maxFiles limit is 1" in m for m in tasks.messages())
    moved = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Downloads\n{BASE}from: gs://{bucket}/in/\nregExp: '.*\\.csv'\n"
                      f"action: MOVE\nmoveDirectory: gs://{bucket}/archive/\n")
    assert sorted(moved["outputFiles"]) == ["in/a.csv", "in/b.csv"]
    assert tasks.read(moved["outputFiles"]["in/b.csv"]) == b"data of in/b.csv"
    assert _names(gcs, bucket) == ["archive/a.csv", "archive/b.csv", "in/notes.txt", "in/sub/c.csv"]
    dropped = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Downloads\n{BASE}from: gs://{bucket}/in/\naction: DELETE\n")
    assert [b["name"] for b in dropped["blobs"]] == ["in/notes.txt"]
    removed = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.DeleteList\n{BASE}from: gs://{bucket}/\nlistingType: RECURSIVE\n")
    assert removed == {"count": 3, "size": len("data of in/a.csv") + len("data of in/b.csv") + len("data of in/sub/c.csv")}
    assert _names(gcs, bucket) == []
    with pytest.raises(TaskFailed, match="no object to delete"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.DeleteList\n{BASE}from: gs://{bucket}/\nerrorOnEmpty: true\n")


def test_create_bucket_if_exists_and_errors(tasks: Tasks, gcs: Any) -> None:
    name = f"made-{uuid.uuid4().hex[:10]}"
    created = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.CreateBucket\n{BASE}name: {name}\nlabels:\n  team: data\n")
    assert created["created"] is True and created["updated"] is False and created["bucket"]["name"] == name
    assert gcs.lookup_bucket(name) is not None
    with pytest.raises(TaskFailed, match=f"bucket {name} already exists"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.CreateBucket\n{BASE}name: {name}\n")
    skipped = tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.CreateBucket\n{BASE}name: {name}\nifExists: SKIP\n")
    assert (skipped["created"], skipped["updated"]) == (False, False)
    with pytest.raises(TaskFailed, match="must be a gs://bucket/path URI"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Download\n{BASE}from: s3://x/y\n")
    with pytest.raises(TaskFailed, match=f"Unable to find blob on bucket '{name}' with path 'nothing.csv'"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.gcp.gcs.Download\n{BASE}from: gs://{name}/nothing.csv\n")
