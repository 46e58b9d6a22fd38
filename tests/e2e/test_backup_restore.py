"""`legato sys backup` / `restore` on real data (flows, executions, task runs, logs, KV, namespace and output
files): round trips SQLite → SQLite, SQLite → PostgreSQL → SQLite compare equal row for row and file for file;
a backup taken while a server runs executions restores into an installation that finishes every one of them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.local_server import start_local, wait_for
from tests.services import pg_database

from legato.clock import utcnow
from legato.model import state as st
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.storage import LocalStorage
from legato.storage.namespace_files import file_uri
from legato.store import open_store, snapshot

pytestmark = pytest.mark.slow

LEGATO = str(Path(sys.executable).with_name("legato"))

FLOW = """
id: saver
namespace: tests.backup
inputs:
  - id: n
    type: INT
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "hello {{ inputs.n }}"
  - id: remember
    type: io.kestra.plugin.core.kv.Set
    key: "key{{ inputs.n }}"
    value: "{{ inputs.n * 3 }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "{{ read('greeting.txt') }} {{ inputs.n }}"
    extension: .txt
outputs:
  - id: file
    type: STRING
    value: "{{ outputs.write.uri }}"
"""


def sqlite(data: Path) -> str:
    return f"sqlite:///{data / 'legato.db'}"


def legato(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    out = subprocess.run([LEGATO, *args], capture_output=True, text=True, timeout=120, check=False,
                         env={**environ, **(env or {})})
    if check:
        assert out.returncode == 0, out.stderr
    return out


def rows(url: str) -> dict[str, list[Any]]:
    store = open_store(url)
    try:
        return {d.name: [json.dumps(r, sort_keys=True) for r in d.rows] for d in snapshot.export(store.database)}
    finally:
        store.close()


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def prepare(data: Path) -> None:
    store = open_store(sqlite(data))
    store.migrate()
    flow_service.deploy(store, FLOW, now=utcnow(), by=SYSTEM)
    store.close()
    LocalStorage(data / "storage").put(file_uri("tests.backup", "/greeting.txt"), b"bonjour")


def create(data: Path, n: int) -> str:
    store = open_store(sqlite(data))
    try:
        return execution_service.create_execution(store, "tests.backup", "saver", {"n": n}, now=utcnow(), by=SYSTEM).id
    finally:
        store.close()


def ended(data: Path, ids: list[str]) -> bool:
    store = open_store(sqlite(data))
    try:
        return all((e := store.get_execution(i)) is not None and e.state in st.TERMINAL for i in ids)
    finally:
        store.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database("legato_backup", migrate=False)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    data = tmp_path / "source"
    prepare(data)
    server = start_local(data)
    try:
        yield data, server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def test_round_trip_sqlite_postgresql_sqlite(source: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path,
                                             pg_url: str) -> None:
    data, server = source
    ids = [create(data, n) for n in range(6)]
    wait_for(lambda: ended(data, ids), 60, "the executions to end")
    archive = tmp_path / "one.tar.gz"
    out = legato("sys", "backup", "--data-dir", str(data), str(archive))  # while the server runs
    assert "files" in out.stdout
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    expected_rows, expected_files = rows(sqlite(data)), files(data / "storage")
    assert len(expected_rows["executions"]) == 6 and expected_rows["logs"] and len(expected_rows["kv"]) == 6
    assert len(expected_files) == 7  # the namespace file and one written file per execution

    copy = tmp_path / "copy"
    legato("sys", "restore", "--data-dir", str(copy), str(archive))
    assert rows(sqlite(copy)) == expected_rows
    assert files(copy / "storage") == expected_files

    on_pg = tmp_path / "pg"
    legato("sys", "restore", "--data-dir", str(on_pg), str(archive), env={"LEGATO_DATABASE_URL": pg_url})
    assert rows(pg_url) == expected_rows
    second = tmp_path / "two.tar.gz"
    legato("sys", "backup", "--data-dir", str(on_pg), str(second), env={"LEGATO_DATABASE_URL": pg_url})
    back = tmp_path / "back"
    legato("sys", "restore", "--data-dir", str(back), str(second))
    assert rows(sqlite(back)) == expected_rows
    assert files(back / "storage") == expected_files

    refused = legato("sys", "restore", "--data-dir", str(copy), str(archive), check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr and "6 executions" in refused.stderr
    legato("sys", "restore", "--data-dir", str(copy), str(second), "--force")
    assert rows(sqlite(copy)) == expected_rows


def test_restore_refuses_a_newer_schema_and_a_damaged_archive(tmp_path: Path) -> None:
    data = tmp_path / "data"
    prepare(data)
    archive = tmp_path / "b.tar.gz"
    legato("sys", "backup", "--data-dir", str(data), str(archive))
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())

    def repack(name: str, change: dict[str, Any], damage: bool = False) -> Path:
        (tmp_path / "x" / "manifest.json").write_text(json.dumps({**manifest, **change}))
        if damage:
            (tmp_path / "x" / "store" / "flows.jsonl").write_text("[]\n")
        target = tmp_path / name
        with tarfile.open(target, "w:gz") as tar:
            for part in ("manifest.json", "store", "files"):
                tar.add(tmp_path / "x" / part, arcname=part)
        return target

    newer = legato("sys", "restore", "--data-dir", str(tmp_path / "a"), str(repack("n.tgz", {"revision": "9999"})),
                   check=False)
    assert newer.returncode == 1 and "newer than this Legato" in newer.stderr
    damaged = legato("sys", "restore", "--data-dir", str(tmp_path / "b"), str(repack("d.tgz", {}, damage=True)),
                     check=False)
    assert damaged.returncode == 1 and "flows" in damaged.stderr and "checksum" in damaged.stderr
    assert rows(sqlite(tmp_path / "b"))["flows"] == []  # nothing loaded


def test_backup_while_executions_run_restores_a_consistent_installation(
        source: tuple[Path, subprocess.Popen[bytes]], tmp_path: Path) -> None:
    data, _server = source
    created: list[str] = []
    stop = threading.Event()

    def load() -> None:
        n = 0
        while not stop.is_set():
            created.append(create(data, n))
            n += 1
            time.sleep(0.05)

    feeder = threading.Thread(target=load, name="feeder")
    feeder.start()
    try:
        wait_for(lambda: len(created) >= 15, 30, "15 executions")
        archive = tmp_path / "live.tar.gz"
        legato("sys", "backup", "--data-dir", str(data), str(archive))
    finally:
        stop.set()
        feeder.join()
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    in_backup = manifest["tables"]["executions"]["rows"]
    assert 0 < in_backup <= len(created)

    restored = tmp_path / "restored"
    legato("sys", "restore", "--data-dir", str(restored), str(archive))
    store = open_store(sqlite(restored))
    try:
        ids = [e.id for e in store.list_executions(namespace="tests.backup", limit=1000)]
        assert len(ids) == in_backup
        unfinished = [i for i in ids if store.get_execution(i).state not in st.TERMINAL]  # type: ignore[union-attr]
        assert unfinished, "the backup should catch executions under way"
        server = start_local(restored)
        try:
            wait_for(lambda: ended(restored, ids), 90, "the restored executions to end")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        storage = LocalStorage(restored / "storage")
        for execution_id in ids:
            execution = store.get_execution(execution_id)
            assert execution is not None and execution.state == st.State.SUCCESS, execution_id
            n = execution.inputs["n"]
            assert storage.get(execution.outputs["file"]) == f"bonjour {n}".encode()
            assert store.kv_get("tests.backup", f"key{n}", utcnow()) is not None
    finally:
        store.close()


def test_a_backup_of_an_older_schema_restores_into_this_one(tmp_path: Path) -> None:
    """Migrations only add, so rows of revision 0013 (before SCIM added columns and a table) load as they are."""
    import hashlib

    from legato.identity.records import Account

    data = tmp_path / "data"
    prepare(data)
    store = open_store(sqlite(data))
    now = utcnow()
    store.create_account(Account(id="a1", kind="USER", name="ada", display_name="Ada", password_hash=None, owner=False,
                                 disabled=False, created=now, updated=now, email="ada@example.com"))
    store.close()
    archive = tmp_path / "b.tar.gz"
    legato("sys", "backup", "--data-dir", str(data), str(archive))
    unpacked = tmp_path / "x"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    manifest = json.loads((unpacked / "manifest.json").read_text())
    manifest["revision"] = "0013_dashboards"
    del manifest["tables"]["scim_integrations"]
    (unpacked / "store" / "scim_integrations.jsonl").unlink()
    for table, added in {"accounts": {"email", "external_id", "profile"}, "iam_groups": {"external_id", "updated"}}.items():
        entry = manifest["tables"][table]
        keep = [i for i, c in enumerate(entry["columns"]) if c not in added]
        path = unpacked / "store" / f"{table}.jsonl"
        lines = [json.dumps([row[i] for i in keep], separators=(",", ":")) + "\n"
                 for row in map(json.loads, path.read_text().splitlines())]
        path.write_text("".join(lines))
        entry["columns"] = [entry["columns"][i] for i in keep]
        entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (unpacked / "manifest.json").write_text(json.dumps(manifest))
    older = tmp_path / "older.tar.gz"
    with tarfile.open(older, "w:gz") as tar:
        for part in ("manifest.json", "store", "files"):
            tar.add(unpacked / part, arcname=part)

    legato("sys", "restore", "--data-dir", str(tmp_path / "new"), str(older))
    restored, original = rows(sqlite(tmp_path / "new")), rows(sqlite(data))
    assert restored["flows"] == original["flows"]
    (account,) = (json.loads(r) for r in restored["accounts"])
    assert "ada" in account and "ada@example.com" not in account  # the newer columns took their defaults


def test_s3_internal_storage_backs_up_and_restores_across_backends(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Files in an S3 bucket (moto's server) go into the archive and back into another prefix, or onto disk."""
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    from legato.storage.s3 import S3Storage

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket="legato")
        for name, value in creds.items():
            monkeypatch.setenv(name, value)
        source = S3Storage("legato", "one", endpoint_url=endpoint, region="us-east-1")
        source.put(file_uri("tests.backup", "/greeting.txt"), b"bonjour")
        source.put("kestra:///tests/backup/saver/executions/e1/out.bin", bytes(range(256)) * 100)
        data = tmp_path / "data"
        prepare(data)
        (data / "storage" / "tests").rename(tmp_path / "unused")  # the local file prepare() wrote is not used
        env = {**creds, "LEGATO_S3_ENDPOINT": endpoint}
        archive = tmp_path / "s3.tar.gz"
        legato("sys", "backup", "--data-dir", str(data), str(archive), env={**env, "LEGATO_STORAGE_URL": "s3://legato/one"})

        legato("sys", "restore", "--data-dir", str(tmp_path / "disk"), str(archive))
        on_disk = LocalStorage(tmp_path / "disk" / "storage")
        assert on_disk.list("kestra:///") == source.list("kestra:///")
        legato("sys", "restore", "--data-dir", str(tmp_path / "two"), str(archive),
               env={**env, "LEGATO_STORAGE_URL": "s3://legato/two"})
        target = S3Storage("legato", "two", endpoint_url=endpoint, region="us-east-1")
        assert target.list("kestra:///") == source.list("kestra:///")
        for uri in source.list("kestra:///"):
            assert target.get(uri) == source.get(uri) == on_disk.get(uri)
    finally:
        server.stop()
