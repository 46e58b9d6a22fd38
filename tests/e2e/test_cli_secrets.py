"""`legato secret set|list|delete|rotate-key`, run as a user runs them, against a data directory like the one
`legato server local` leaves (a migrated SQLite database and its encryption.key)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato import sealing
from legato.store import open_store
from legato.store.ports.governance import AuditFilter

LEGATO = str(Path(sys.executable).with_name("legato"))
VALUE = "cli-secret-value-0d4f"


def legato(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    return subprocess.run([LEGATO, "secret", *args, "--data-dir", str(data)], capture_output=True, text=True,
                          timeout=60, check=False, input=stdin, env=env)


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    store = open_store(f"sqlite:///{data / 'legato.db'}")
    store.migrate()
    store.close()
    key = sealing.current_key()
    sealing.configure(data, create=True)  # what `legato server local` does on its first start
    yield data
    sealing.use_key(key)  # this process's own key again, for the tests that follow


def _stored(data: Path) -> dict[tuple[str, str], str]:
    store = open_store(f"sqlite:///{data / 'legato.db'}")
    try:
        with store.database.engine.connect() as conn:
            return {(r[0], r[1]): r[2] for r in conn.exec_driver_sql("SELECT namespace, key, value FROM secrets")}
    finally:
        store.close()


def test_set_list_delete(data: Path) -> None:
    done = legato(data, "set", "company", "TOKEN", "--description", "the API token", "--tag", "team=data",
                  stdin=VALUE + "\n")
    assert done.returncode == 0, done.stderr
    assert legato(data, "set", "company.team", "OTHER", stdin="x-value").returncode == 0
    listed = legato(data, "list", "company")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split("\t")[:3] == ["TOKEN", "the API token", "team=data"]
    assert VALUE not in listed.stdout
    child = legato(data, "list", "company.team").stdout.splitlines()
    assert child[0].startswith("OTHER\t") and child[1] == "TOKEN\t(inherited from company)"
    stored = _stored(data)[("company", "TOKEN")]
    assert sealing.is_sealed(stored) and VALUE not in stored
    assert legato(data, "delete", "company", "TOKEN").returncode == 0
    missing = legato(data, "delete", "company", "TOKEN")
    assert missing.returncode == 1 and "secret TOKEN not found in namespace company" in missing.stderr
    bad = legato(data, "set", "company", "bad key", stdin="v")
    assert bad.returncode == 1 and "invalid secret key 'bad key'" in bad.stderr


def test_set_without_a_key_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "nokey"
    store = open_store(f"sqlite:///{data / 'legato.db'}")
    store.migrate()
    store.close()
    done = legato(data, "set", "company", "TOKEN", stdin="v")
    assert done.returncode == 1 and "no encryption key" in done.stderr
    assert _stored(data) == {}


def test_rotate_key_reencrypts_every_secret_and_replaces_the_key_file(data: Path) -> None:
    for ns in ("a", "a.b"):
        assert legato(data, "set", ns, "K", stdin=f"value-{ns}").returncode == 0
    old_key = (data / "encryption.key").read_text()
    before = _stored(data)
    done = legato(data, "rotate-key")
    assert done.returncode == 0, done.stderr
    assert "2 secrets re-encrypted" in done.stderr
    key_file = data / "encryption.key"
    assert key_file.read_text() != old_key and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    after = _stored(data)
    assert set(after) == set(before) and all(after[k] != before[k] for k in before)
    sealing.use_key(sealing.key_of(key_file.read_text().strip()))
    assert sealing.unseal(after[("a.b", "K")]) == "value-a.b"
    store = open_store(f"sqlite:///{data / 'legato.db'}")
    try:
        actions = [r.entry.action for r in store.audit_search(AuditFilter(resource="SECRET"), descending=False)[0]]
    finally:
        store.close()
    assert actions == ["CREATE", "CREATE", "ROTATE_KEY"]
