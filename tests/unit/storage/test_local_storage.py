"""The local filesystem backend: Kestra's URI layout, round trips, and confinement to its root."""

from __future__ import annotations

from pathlib import Path

import pytest

from legato.storage import LocalStorage, StorageError, namespace_files_prefix, parse_uri, task_run_prefix
from legato.storage.uris import join
from tests.unit.storage.contract import StorageContract


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "root")


def test_task_run_files_use_kestras_layout(storage: LocalStorage) -> None:
    prefix = task_run_prefix("company.team", "orders", "exec1", "extract", "run1")
    assert prefix == "kestra:///company/team/orders/executions/exec1/tasks/extract/run1"
    uri = storage.put(join(prefix, "out/data.csv"), b"a,b\n1,2\n")
    assert uri == "kestra:///company/team/orders/executions/exec1/tasks/extract/run1/out/data.csv"
    assert (storage.root / "company/team/orders/executions/exec1/tasks/extract/run1/out/data.csv").read_bytes() == b"a,b\n1,2\n"
    assert namespace_files_prefix("company.team") == "kestra:///company/team/_files"


def test_round_trip_list_size_delete(storage: LocalStorage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 100_000)
    storage.put_file("kestra:///ns/f/big.bin", source)
    storage.put("kestra:///ns/f/sub/a.txt", b"a")
    storage.put("kestra:///ns/f/sub/a.txt", b"again")  # replaces
    assert storage.get("kestra:///ns/f/sub/a.txt") == b"again"
    assert storage.size("kestra:///ns/f/big.bin") == 100_000
    assert storage.list("kestra:///ns/f") == ["kestra:///ns/f/big.bin", "kestra:///ns/f/sub/a.txt"]
    target = storage.download("kestra:///ns/f/sub/a.txt", tmp_path / "dl" / "a.txt")
    assert target.read_bytes() == b"again"
    assert storage.delete("kestra:///ns/f/big.bin") is True
    assert storage.delete("kestra:///ns/f/big.bin") is False
    assert storage.delete_prefix("kestra:///ns") == 1
    assert storage.list("kestra:///ns") == []


def test_names_with_spaces_round_trip(storage: LocalStorage) -> None:
    uri = storage.put(join("kestra:///ns", "my report.txt"), b"r")
    assert uri == "kestra:///ns/my%20report.txt"
    assert storage.get(uri) == b"r"
    assert storage.list("kestra:///ns") == [uri]


@pytest.mark.parametrize("uri", [
    "kestra:///ns/../../etc/passwd",
    "kestra:///ns/%2e%2e/secret",
    "kestra:///ns/a%2Fb",
    "kestra://host/ns/file",
    "file:///etc/passwd",
    "/etc/passwd",
    "kestra:///ns/./x",
    "kestra:///ns//x",
])
def test_uris_that_could_escape_are_refused(storage: LocalStorage, uri: str) -> None:
    with pytest.raises(StorageError):
        storage.put(uri, b"x")
    with pytest.raises(StorageError):
        parse_uri(uri)


def test_symlinks_cannot_lead_out_of_the_root(storage: LocalStorage, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (storage.root / "ns").mkdir()
    (storage.root / "ns" / "link").symlink_to(outside)
    (storage.root / "ns" / "file-link").symlink_to(outside / "secret.txt")
    with pytest.raises(StorageError, match="outside the storage root"):
        storage.get("kestra:///ns/link/secret.txt")
    with pytest.raises(StorageError, match="outside the storage root"):
        storage.put("kestra:///ns/link/new.txt", b"x")
    with pytest.raises(StorageError, match="outside the storage root"):
        storage.get("kestra:///ns/file-link")
    assert not (outside / "new.txt").exists()
    storage.put("kestra:///ns/real.txt", b"r")
    assert storage.list("kestra:///ns") == ["kestra:///ns/real.txt"]


def test_missing_file_is_a_clear_error(storage: LocalStorage) -> None:
    with pytest.raises(StorageError, match="no file in internal storage at kestra:///ns/nope"):
        storage.get("kestra:///ns/nope")


class TestLocalStorageContract(StorageContract):
    __test__ = True
