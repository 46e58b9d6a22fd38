"""The bulk update of a namespace's flows is one transaction: a process killed (-9) half way through it, or a
write failing at the N-th flow, leaves the namespace exactly as it was; a completed one leaves all of it.
On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.builders import log_flow

from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store
from legato.store.flows import FlowQueries
from legato.store.sql import SqlStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NAMESPACE = "team.bulk"
COUNT = 6  # flows in the update


def flow(flow_id: str, message: str = "hi") -> str:
    return log_flow(flow_id, NAMESPACE, message)


UPDATE = "---\n".join([flow("keep", "changed"), *(flow(f"new{i}") for i in range(COUNT - 1))])


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'legato.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(url: str) -> Iterator[SqlStore]:
    """The namespace before the update: `keep` (revision 1, changed by the update) and `old` (not in the
    update, so deleted by it)."""
    store = open_store(url)
    store.migrate()
    flow_service.deploy(store, flow("keep"), by=SYSTEM, now=NOW)
    flow_service.deploy(store, flow("old"), by=SYSTEM, now=NOW)
    yield store
    store.close()


def live(store: SqlStore) -> dict[str, int]:
    return {r.id: r.revision for r in store.list_flows(NAMESPACE)}


BEFORE = {"keep": 1, "old": 1}
AFTER = {"keep": 2, **{f"new{i}": 1 for i in range(COUNT - 1)}}

# The child saves half the flows of the update, says so, and waits inside the open transaction to be killed.
CHILD = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime
    from legato.services import flows as flow_service
    from legato.services.principal import SYSTEM
    from legato.store import open_store
    from legato.store.flows import FlowQueries

    url, text, half = sys.argv[1], sys.stdin.read(), int(sys.argv[2])
    save = FlowQueries.save
    calls = []

    def saving(self, *args, **kwargs):
        record = save(self, *args, **kwargs)
        calls.append(record)
        if len(calls) == half:
            print("HALF", flush=True)
            time.sleep(120)
        return record

    FlowQueries.save = saving
    store = open_store(url)
    flow_service.update_namespace(store, "team.bulk", text, delete=True, by=SYSTEM, now=datetime.now(UTC))
    print("DONE", flush=True)
""")


def test_a_process_killed_half_way_through_the_update_saves_nothing(store: SqlStore, url: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, str(COUNT // 2)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(UPDATE)
    child.stdin.close()
    try:
        assert child.stdout.readline().strip() == "HALF"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    store.close()
    after = open_store(url)  # a fresh connection, as the next process would open it
    try:
        assert live(after) == BEFORE
        assert after.get_flow(NAMESPACE, "new0") is None
    finally:
        after.close()


def test_a_write_failing_at_the_nth_flow_saves_nothing(store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    save = FlowQueries.save
    calls: list[str] = []

    def failing(self: FlowQueries, *args: object, **kwargs: object) -> object:
        calls.append(str(args[2]))
        if len(calls) == COUNT - 1:
            raise OSError("disk full")
        return save(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(FlowQueries, "save", failing)
    with pytest.raises(OSError, match="disk full"):
        flow_service.update_namespace(store, NAMESPACE, UPDATE, delete=True, by=SYSTEM, now=NOW)
    monkeypatch.undo()
    assert len(calls) == COUNT - 1  # it did fail half way, after writing the flows before
    assert live(store) == BEFORE


def test_a_completed_update_saves_every_flow_and_deletes_the_absent_ones(store: SqlStore) -> None:
    saved = flow_service.update_namespace(store, NAMESPACE, UPDATE, delete=True, by=SYSTEM, now=NOW)
    assert [r.id for r in saved] == ["keep", *(f"new{i}" for i in range(COUNT - 1))]  # the order of the text
    assert live(store) == AFTER
    assert store.get_flow(NAMESPACE, "old", 1).deleted is True  # type: ignore[union-attr]
