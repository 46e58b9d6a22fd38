"""The compress family over a real LocalStorage: archives (ZIP, TAR, compressed or not) made and read back,
single files compressed and decompressed, and archive entries that try to leave their folder refused."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from typing import Any

import pytest

from legato import plugins
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness

plugins.registry()  # the compress family registers through its entry point


def run(harness: Harness, storage: LocalStorage, source: str) -> dict[str, Any]:
    """Run one task of the test's one execution (a task reads only its own execution's files)."""
    execution = harness.one_execution()
    return harness.run(source, harness.context(storage=storage, execution=execution))


@pytest.mark.parametrize(("algorithm", "compression"), [("ZIP", None), ("TAR", "GZIP"), ("TAR", "XZ"), ("JAR", "BZIP2"), ("TAR", None)])
def test_archive_round_trip(harness: Harness, storage: LocalStorage, algorithm: str, compression: str | None) -> None:
    a = storage.put("kestra:///company/team/_files/x/a.csv", b"id\n1\n")
    b = storage.put("kestra:///company/team/_files/x/b.txt", b"hello " * 1000)
    extra = f"compression: {compression}\n" if compression else ""
    made = run(harness, storage, f"id: c\ntype: io.kestra.plugin.compress.ArchiveCompress\nalgorithm: {algorithm}\n{extra}"
                                 f"from:\n  products.csv: '{a}'\n  docs/read me.txt: '{b}'\n")
    assert set(made) == {"uri"}
    read = run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.ArchiveDecompress\nfrom: {made['uri']}\n"
                                 f"algorithm: {algorithm}\n{extra}")
    files = read["files"]
    assert sorted(files) == ["docs/read_me.txt", "products.csv"]
    assert storage.get(files["products.csv"]) == b"id\n1\n" and storage.get(files["docs/read_me.txt"]) == b"hello " * 1000
    assert files["docs/read_me.txt"].endswith("/docs/read_me.txt")


def test_archives_made_elsewhere_and_traversal(harness: Harness, storage: LocalStorage) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"data"
        info = tarfile.TarInfo("inner/file.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    uri = storage.put("kestra:///company/team/_files/x/a.tar.gz", buffer.getvalue())
    out = run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.ArchiveDecompress\nfrom: {uri}\nalgorithm: TAR\ncompression: GZIP\n")
    assert storage.get(out["files"]["inner/file.txt"]) == b"data"
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape.txt", b"x")
    bad = storage.put("kestra:///company/team/_files/x/evil.zip", evil.getvalue())
    with pytest.raises(TaskFailed, match=r"Path traversal attempt detected in archive entry: \.\./\.\./escape\.txt"):
        run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.ArchiveDecompress\nfrom: {bad}\nalgorithm: ZIP\n")
    with pytest.raises(TaskFailed, match="archive format CPIO is not available here"):
        run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.ArchiveDecompress\nfrom: {bad}\nalgorithm: CPIO\n")


@pytest.mark.parametrize("compression", ["GZIP", "BZIP2", "XZ", "LZMA", "DEFLATE", "ZSTD"])
def test_file_round_trip(harness: Harness, storage: LocalStorage, compression: str) -> None:
    source = storage.put("kestra:///company/team/_files/x/rows.csv", b"a,b\n" * 5000)
    packed = run(harness, storage, f"id: c\ntype: io.kestra.plugin.compress.FileCompress\nfrom: {source}\ncompression: {compression}\n")
    assert storage.size(packed["uri"]) < 5000
    unpacked = run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.FileDecompress\nfrom: {packed['uri']}\n"
                                     f"compression: {compression}\n")
    assert storage.get(unpacked["uri"]) == b"a,b\n" * 5000 and unpacked["uri"].endswith("/rows.csv")


def test_file_decompress_reads_gzip_from_elsewhere_and_reports_garbage(harness: Harness, storage: LocalStorage) -> None:
    uri = storage.put("kestra:///company/team/_files/x/data.json.gz", gzip.compress(b'{"a":1}'))
    out = run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.FileDecompress\nfrom: {uri}\ncompression: GZIP\n")
    assert storage.get(out["uri"]) == b'{"a":1}' and out["uri"].endswith("/data.json")
    junk = storage.put("kestra:///company/team/_files/x/junk.gz", b"not gzip at all")
    with pytest.raises(TaskFailed, match=r"cannot decompress .* as GZIP"):
        run(harness, storage, f"id: d\ntype: io.kestra.plugin.compress.FileDecompress\nfrom: {junk}\ncompression: GZIP\n")
