"""A SECRET input's value is encrypted at rest (issue 22, finding 5): after a run that logs it, returns it,
outputs it and branches on it, the canary is found 0 times in the database files of a real `legato server local`
(the SQLite file, its WAL and shared memory) and in any row of a PostgreSQL database, while the tasks saw the
real value and the API shows `******`."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from legato import sealing
from legato.store import open_store
from tests.integration.api.conftest import _start
from tests.local_server import announced_url, wait_healthy
from tests.services import pg_database

LEGATO = str(Path(sys.executable).with_name("legato"))
API = "/api/v1/main"
CANARY = "canary-secret-input-7f3a9c"
FLOW = """id: secretive
namespace: test.secrets
inputs:
  - id: password
    type: SECRET
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "the password is {{ inputs.password }}"
  - id: ret
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.password }}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      pw: "{{ inputs.password }}"
  - id: check
    type: io.kestra.plugin.core.flow.If
    condition: "{{ inputs.password | length == LENGTH }}"
    then:
      - id: matched
        type: io.kestra.plugin.core.log.Log
        message: "the task saw the real value"
""".replace("LENGTH", str(len(CANARY)))  # the flow's source must not hold the canary itself


def _run(client: httpx.Client) -> dict[str, Any]:
    deployed = client.post(f"{API}/flows", content=FLOW, headers={"content-type": "application/x-yaml"})
    assert deployed.status_code == 200, deployed.text
    execution: dict[str, Any] = client.post(
        f"{API}/executions/test.secrets/secretive", params={"wait": True}, files={"password": (None, CANARY)}
    ).json()
    logs = client.get(f"{API}/logs/{execution['id']}").json()
    messages = [line["message"] for line in logs]
    assert execution["state"]["current"] == "SUCCESS", messages
    assert "the task saw the real value" in messages
    assert "the password is ******" in messages
    assert execution["inputs"]["password"] == "******"
    assert CANARY not in str(execution) + str(messages)
    return execution


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    process = subprocess.Popen(
        [LEGATO, "server", "local", "--data-dir", str(data_dir), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        url = announced_url(process.stdout)
        assert url is not None, "the server never said where it listens"
        wait_healthy(url)
        yield url, data_dir
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        assert "encryption.key" in process.stderr.read(), "the start-up message names the key file"


def test_sqlite_files_never_hold_the_secret(local_server: tuple[str, Path]) -> None:
    url, data_dir = local_server
    with httpx.Client(base_url=url, timeout=60) as client:
        _run(client)
    key = data_dir / "encryption.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    files = [p for p in data_dir.iterdir() if p.name.startswith("legato.db")]
    assert {p.name for p in files} >= {"legato.db", "legato.db-wal"}
    found = {p.name: p.read_bytes().count(CANARY.encode()) for p in files}
    assert found == dict.fromkeys(found, 0)


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database("sec_boundaries_secrets", migrate=False)


def test_postgresql_rows_never_hold_the_secret(pg_url: str, tmp_path: Path) -> None:
    for live in _start(open_store(pg_url), tmp_path, "postgresql"):
        with live.client() as client:
            _run(client)
    with psycopg.connect(pg_url) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        hits = {}
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {} AS t WHERE t::text LIKE %s").format(
                sql.Identifier(table)
            )
            row = conn.execute(query, (f"%{CANARY}%",)).fetchone()
            hits[table] = row[0] if row else 0
    assert len(tables) > 5
    assert hits == dict.fromkeys(tables, 0)


def test_a_value_sealed_with_another_key_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sealed = sealing.seal(CANARY)
    assert CANARY not in sealed and sealing.unseal(sealed) == CANARY
    monkeypatch.setenv(sealing.ENV, "A" * 43 + "=")  # 32 zero bytes, another installation's key
    previous = sealing._key
    try:
        sealing.configure(tmp_path)
        with pytest.raises(sealing.SealingError, match="the encryption key differs"):
            sealing.unseal(sealed)
    finally:
        sealing._key = previous


def test_a_value_another_key_sealed_stays_sealed_for_tasks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    sealed = sealing.seal(CANARY)
    monkeypatch.setenv(sealing.ENV, "A" * 43 + "=")
    previous = sealing._key
    try:
        sealing.configure(tmp_path)
        assert sealing.reveal({"password": sealed}, str) == {"password": sealed}
    finally:
        sealing._key = previous
