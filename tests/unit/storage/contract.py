"""What every storage backend must do, written once: subclasses provide the `storage` fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from legato.storage import StorageError, task_run_prefix
from legato.storage.uris import join


class StorageContract:
    __test__ = False

    def test_round_trip_list_size_delete(self, storage: Any, tmp_path: Path) -> None:
        source = tmp_path / "big.bin"
        source.write_bytes(b"x" * 100_000)
        assert storage.put_file("kestra:///ns/f/big.bin", source) == "kestra:///ns/f/big.bin"
        storage.put("kestra:///ns/f/sub/a.txt", b"a")
        storage.put("kestra:///ns/f/sub/a.txt", b"again")  # replaces
        assert storage.get("kestra:///ns/f/sub/a.txt") == b"again"
        assert storage.exists("kestra:///ns/f/sub/a.txt") and not storage.exists("kestra:///ns/f/sub")
        assert storage.size("kestra:///ns/f/big.bin") == 100_000
        assert storage.list("kestra:///ns/f") == ["kestra:///ns/f/big.bin", "kestra:///ns/f/sub/a.txt"]
        assert storage.list("kestra:///ns/f/sub") == ["kestra:///ns/f/sub/a.txt"]
        assert storage.list("kestra:///nothing/here") == []
        target = storage.download("kestra:///ns/f/sub/a.txt", tmp_path / "dl" / "a.txt")
        assert target.read_bytes() == b"again"
        assert storage.delete("kestra:///ns/f/big.bin") is True
        assert storage.delete("kestra:///ns/f/big.bin") is False
        assert storage.delete_prefix("kestra:///ns") == 1
        assert storage.list("kestra:///ns") == []

    def test_task_run_layout_and_names_with_spaces(self, storage: Any) -> None:
        prefix = task_run_prefix("company.team", "orders", "exec1", "extract", "run1")
        uri = storage.put(join(prefix, "my report.csv"), b"a,b\n")
        assert uri == "kestra:///company/team/orders/executions/exec1/tasks/extract/run1/my%20report.csv"
        assert storage.get(uri) == b"a,b\n"
        assert storage.list("kestra:///company/team") == [uri]

    def test_a_prefix_does_not_match_a_longer_name(self, storage: Any) -> None:
        storage.put("kestra:///ns/ab/x.txt", b"1")
        storage.put("kestra:///ns/a/y.txt", b"2")
        assert storage.list("kestra:///ns/a") == ["kestra:///ns/a/y.txt"]
        assert storage.delete_prefix("kestra:///ns/a") == 1
        assert storage.get("kestra:///ns/ab/x.txt") == b"1"

    @pytest.mark.parametrize("uri", [
        "kestra:///ns/../../etc/passwd", "kestra:///ns/%2e%2e/secret", "kestra:///ns/a%2Fb",
        "kestra://host/ns/file", "file:///etc/passwd", "/etc/passwd", "kestra:///ns//x", "kestra:///",
    ])
    def test_uris_that_could_escape_are_refused(self, storage: Any, uri: str) -> None:
        with pytest.raises(StorageError):
            storage.put(uri, b"x")

    def test_missing_files_are_clear_errors(self, storage: Any, tmp_path: Path) -> None:
        with pytest.raises(StorageError, match="no file in internal storage at kestra:///ns/nope"):
            storage.get("kestra:///ns/nope")
        with pytest.raises(StorageError, match="no file"):
            storage.size("kestra:///ns/nope")
        with pytest.raises(StorageError, match="no file"):
            storage.download("kestra:///ns/nope", tmp_path / "x")
        with pytest.raises(StorageError, match="no file"):
            storage.open("kestra:///ns/nope")

    def test_open_streams_a_file_and_seeks(self, storage: Any) -> None:
        data = bytes(range(256)) * 4096  # 1 MiB
        uri = storage.put("kestra:///ns/f/stream.bin", data)
        with storage.open(uri) as handle:
            assert handle.read(10) == data[:10]
            handle.seek(-5, 2)
            assert handle.read() == data[-5:]
            handle.seek(0)
            assert handle.read() == data
