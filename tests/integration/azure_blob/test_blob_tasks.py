"""Kestra's Azure Blob Storage tasks with azure-storage-blob against Azurite: each task's outputs, the listing
filters, Downloads' MOVE/DELETE, shared-key and SAS authentication, and the errors a user sees."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.integration.azure_blob.conftest import ACCOUNT, KEY
from tests.integration.objectstore_support import Tasks

from legato.plugins.context import TaskFailed


def _container(blobs: Any) -> str:
    name = f"c-{uuid.uuid4().hex[:12]}"
    blobs.create_container(name)
    return name


def _names(blobs: Any, container: str) -> list[str]:
    return sorted(b.name for b in blobs.get_container_client(container).list_blobs())


def test_upload_list_download_copy_delete(tasks: Tasks, azure: str, blobs: Any) -> None:
    container = _container(blobs)
    source = tasks.put("orders.csv", b"id,total\n1,12.5\n")
    uploaded = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Upload\n{azure}container: {container}\n"
                         f"name: data/orders.csv\nfrom: '{source}'\nmetadata:\n  origin: erp\n")
    assert (uploaded["blob"]["container"], uploaded["blob"]["name"], uploaded["blob"]["size"]) == (container, "data/orders.csv", 16)
    assert uploaded["blob"]["uri"].endswith(f"/{container}/data/orders.csv") and uploaded["blob"]["eTag"]
    listed = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\n{azure}container: {container}\nprefix: data/\n")
    assert [(b["name"], b["size"]) for b in listed["blobs"]] == [("data/orders.csv", 16)]
    downloaded = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Download\n{azure}container: {container}\nname: data/orders.csv\n")
    assert tasks.read(downloaded["blob"]["uri"]) == b"id,total\n1,12.5\n"
    copied = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Copy\n{azure}from:\n  container: {container}\n"
                       "  name: data/orders.csv\nto:\n  name: archive/orders.csv\ndelete: true\n")
    assert copied["blob"]["name"] == "archive/orders.csv" and copied["blob"]["size"] == 16
    assert _names(blobs, container) == ["archive/orders.csv"]
    deleted = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Delete\n{azure}container: {container}\nname: archive/orders.csv\n")
    assert deleted["blob"]["name"] == "archive/orders.csv"
    assert _names(blobs, container) == []
    with pytest.raises(TaskFailed, match=f"cannot download {container}/missing.csv: BlobNotFound"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Download\n{azure}container: {container}\nname: missing.csv\n")


def test_upload_many_listings_downloads_and_delete_list(tasks: Tasks, azure: str, blobs: Any) -> None:
    container = _container(blobs)
    files = [tasks.put(f"f{n}.json", f'{{"n": {n}}}'.encode()) for n in range(3)]
    uploaded = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Upload\n{azure}container: {container}\nname: in\n"
                         "from:\n" + "".join(f"  - '{f}'\n" for f in files))
    assert [b["name"] for b in uploaded["blobs"]] == ["in/f0.json", "in/f1.json", "in/f2.json"]
    client = blobs.get_container_client(container)
    client.upload_blob("in/notes.txt", b"x")
    client.upload_blob("in/sub/deep.json", b"{}")
    level = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\n{azure}container: {container}\nprefix: in/\n"
                      "delimiter: /\nfilter: BOTH\n")
    assert [b["name"] for b in level["blobs"]] == ["in/f0.json", "in/f1.json", "in/f2.json", "in/notes.txt", "in/sub/"]
    capped = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\n{azure}container: {container}\nmaxFiles: 2\n")
    assert len(capped["blobs"]) == 2 and any("maxFiles limit is 2" in m for m in tasks.messages())
    moved = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Downloads\n{azure}container: {container}\nprefix: in/\n"
                      "regexp: 'in/f.*\\.json'\naction: MOVE\nmoveTo:\n  name: done\n")
    assert sorted(moved["outputFiles"]) == ["in/f0.json", "in/f1.json", "in/f2.json"]
    assert tasks.read(moved["outputFiles"]["in/f2.json"]) == b'{"n": 2}'
    assert _names(blobs, container) == ["done/f0.json", "done/f1.json", "done/f2.json", "in/notes.txt", "in/sub/deep.json"]
    dropped = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.Downloads\n{azure}container: {container}\nprefix: in/\n"
                        "regexp: '.*\\.txt'\naction: DELETE\n")
    assert [b["name"] for b in dropped["blobs"]] == ["in/notes.txt"]
    removed = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.DeleteList\n{azure}container: {container}\n")
    assert removed == {"count": 4, "size": 8 * 3 + 2}
    assert _names(blobs, container) == []
    with pytest.raises(TaskFailed, match="no blob to delete"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.DeleteList\n{azure}container: {container}\nerrorOnEmpty: true\n")


def test_shared_key_and_sas_token_authenticate(tasks: Tasks, azurite: str, blobs: Any) -> None:
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    container = _container(blobs)
    blobs.get_container_client(container).upload_blob("a.txt", b"a")
    shared = (f"endpoint: {azurite}\nsharedKeyAccountName: {ACCOUNT}\nsharedKeyAccountAccessKey: \"{KEY}\"\n")
    assert [b["name"] for b in tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\n{shared}container: {container}\n")["blobs"]] == ["a.txt"]
    sas = generate_account_sas(ACCOUNT, KEY, ResourceTypes(container=True, object=True), AccountSasPermissions(read=True, list=True),
                               expiry=datetime.now(UTC) + timedelta(hours=1))
    listed = tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\nendpoint: {azurite}\nsasToken: \"{sas}\"\ncontainer: {container}\n")
    assert [b["name"] for b in listed["blobs"]] == ["a.txt"]
    with pytest.raises(TaskFailed, match="no Azure credentials"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\nendpoint: {azurite}\ncontainer: {container}\n")
    bad = f"endpoint: {azurite}\nsharedKeyAccountName: {ACCOUNT}\nsharedKeyAccountAccessKey: \"{KEY[:-4]}AAA=\"\n"
    with pytest.raises(TaskFailed, match=f"cannot list container {container}: AuthorizationFailure"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.azure.storage.blob.List\n{bad}container: {container}\n")
