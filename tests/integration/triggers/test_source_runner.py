"""The trigger-source runner: one execution per realtime message (acknowledged once recorded), restarts with
back-off, follows flow changes, and leases each trigger to one of several schedulers on one PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from tests.integration.triggers import sample_sources  # noqa: F401  (registers tests.DirectoryQueue)
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.clock import utcnow
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM, in_tenant
from legato.store import open_store
from legato.store.ports import MAIN, TenantRecord
from legato.store.sql import SqlStore

ACME = "acme"

QUEUE_FLOW = """id: consume
namespace: tests.runner
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.value }}}}"
triggers:
  - id: queue
    type: tests.DirectoryQueue
    directory: {directory}
"""


def _write(folder: Path, *numbers: int, suffix: str = "msg") -> None:
    for n in numbers:
        tmp = folder / f".{n}.tmp"
        tmp.write_text(f"message {n}")
        tmp.rename(folder / f"{n}.{suffix}")


def _values(store: SqlStore) -> list[str]:
    return sorted((e.trigger["value"] for e in executions(store, "tests.runner")), key=lambda v: int(v.split()[1]))  # type: ignore[index]


def test_each_message_fires_once_and_a_failing_consumer_restarts(sqlite_store: SqlStore, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    queue = tmp_path / "queue"
    queue.mkdir()
    deploy_flow(sqlite_store, QUEUE_FLOW.format(directory=queue))
    _write(queue, 1, 2, 3)
    _write(queue, 4, suffix="boom")
    _write(queue, 5, 6)
    caplog.set_level(logging.WARNING, logger="legato.scheduler.sources")

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: _values(sqlite_store) == [f"message {n}" for n in (1, 2, 3, 5, 6)], message="5 messages")
        await first.stop()
        _write(queue, 7, 8)  # while no scheduler runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_values(sqlite_store)) == 7, message="7 messages")
        await asyncio.sleep(0.3)
        await second.stop()

    asyncio.run(main())
    assert _values(sqlite_store) == [f"message {n}" for n in (1, 2, 3, 5, 6, 7, 8)]  # none lost, none twice
    assert list(queue.iterdir()) == []  # every message acknowledged
    assert "consumer failed, restarting in 0.1 s: RuntimeError: broken message 4.boom" in caplog.text
    state = sqlite_store.get_trigger_state("tests.runner", "consume", "queue")
    assert state is not None and state.error is None  # the messages after the failure cleared it


def test_flow_changes_are_followed(sqlite_store: SqlStore, tmp_path: Path) -> None:
    first_queue, second_queue = tmp_path / "q1", tmp_path / "q2"
    first_queue.mkdir()
    second_queue.mkdir()
    deploy_flow(sqlite_store, QUEUE_FLOW.format(directory=first_queue))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        key = ("tests.runner", "consume", "queue")
        task = (MAIN, *key)  # the runner knows a trigger by its tenant first
        await wait_until(lambda: task in server.sources.tasks, message="the consumer")
        deploy_flow(sqlite_store, QUEUE_FLOW.format(directory=second_queue))  # a new revision: another queue
        _write(second_queue, 1)
        await wait_until(lambda: len(_values(sqlite_store)) == 1, message="a message from the new queue")
        sqlite_store.set_trigger_disabled(*key, True, utcnow())
        await wait_until(lambda: task not in server.sources.tasks, message="the disabled trigger to stop")
        sqlite_store.set_trigger_disabled(*key, False, utcnow())
        await wait_until(lambda: task in server.sources.tasks, message="the enabled trigger to start")
        sqlite_store.delete_flow("tests.runner", "consume", utcnow())
        await wait_until(lambda: task not in server.sources.tasks, message="the deleted flow's trigger to stop")
        _write(second_queue, 2)
        await asyncio.sleep(0.3)
        await server.stop()

    asyncio.run(main())
    assert _values(sqlite_store) == ["message 1"]
    assert [p.name for p in second_queue.iterdir()] == ["2.msg"]  # nobody consumed it after the delete


def test_a_trigger_with_a_worker_group_runs_only_on_the_workers_of_that_group(sqlite_store: SqlStore,
                                                                            tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    queue.mkdir()
    deploy_flow(sqlite_store, QUEUE_FLOW.format(directory=queue) + "    workerGroup:\n      key: edge\n")
    _write(queue, 1, 2)
    key = ("tests.runner", "consume", "queue")
    task = (MAIN, *key)  # the runner knows a trigger by its tenant first

    async def main() -> None:
        plain = Server(sqlite_store, tmp_path).start()  # serves no group: leaves the trigger alone
        await asyncio.sleep(0.5)
        assert task not in plain.sources.tasks and _values(sqlite_store) == []
        edge = Server(sqlite_store, tmp_path, worker_groups=("edge",)).start()
        await wait_until(lambda: len(_values(sqlite_store)) == 2, message="the edge worker's two executions")
        assert task in edge.sources.tasks and task not in plain.sources.tasks
        await edge.stop()
        await plain.stop()

    asyncio.run(main())
    assert _values(sqlite_store) == ["message 1", "message 2"]


def test_two_schedulers_on_one_postgres_fire_each_message_once(pg_url: str, tmp_path: Path) -> None:
    queue = tmp_path / "queue"
    queue.mkdir()
    stores = [open_store(pg_url), open_store(pg_url)]
    deploy_flow(stores[0], QUEUE_FLOW.format(directory=queue))
    key = ("tests.runner", "consume", "queue")
    task = (MAIN, *key)  # the runner knows a trigger by its tenant first
    survivor: list[SqlStore] = []

    async def main() -> None:
        servers = [Server(s, tmp_path / f"data{i}", run_executor=False, lease_seconds=1.0).start()
                   for i, s in enumerate(stores)]
        await wait_until(lambda: any(task in s.sources.tasks for s in servers), message="a leaseholder")
        _write(queue, *range(10))
        await wait_until(lambda: len(_values(stores[0])) == 10, message="10 messages")
        holders = [s for s in servers if task in s.sources.tasks]
        assert len(holders) == 1  # the other one never ran it
        holder, other = holders[0], next(s for s in servers if s is not holders[0])
        # The holder dies without a word: its database connections go, its lease is never released.
        holder.runtime.store.close()  # type: ignore[attr-defined]
        holder.task.cancel()  # type: ignore[union-attr]
        await asyncio.gather(holder.task, return_exceptions=True)  # type: ignore[arg-type]
        _write(queue, *range(10, 15))
        survivor.append(stores[1 - servers.index(holder)])
        await wait_until(lambda: len(_values(survivor[0])) == 15, timeout=15, message="the takeover")
        assert task in other.sources.tasks
        state = survivor[0].get_trigger_state(*key)
        assert state is not None and state.lease_owner == other.sources.owner
        await other.stop()

    try:
        asyncio.run(main())
        assert _values(survivor[0]) == [f"message {n}" for n in range(15)]  # every message once, across the takeover
    finally:
        for s in stores:
            s.close()


FILES_FLOW = """id: inbox
namespace: tests.runner
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.files[0].name }}}}"
triggers:
  - id: files
    type: io.kestra.plugin.fs.local.Trigger
    from: {incoming}
    interval: PT0.1S
    maxFiles: 1
    action: MOVE
    moveDirectory: {archive}
"""


def test_two_schedulers_on_one_postgres_poll_each_file_once(pg_url: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    incoming, archive = tmp_path / "in", tmp_path / "archive"
    incoming.mkdir()
    monkeypatch.setenv("LEGATO_LOCAL_FILES_ALLOWED", str(tmp_path))
    stores = [open_store(pg_url), open_store(pg_url)]
    deploy_flow(stores[0], FILES_FLOW.format(incoming=incoming, archive=archive))
    for n in range(8):
        (incoming / f"{n}.txt").write_text(str(n))

    def names() -> list[str]:
        return sorted(e.trigger["files"][0]["name"] for e in executions(stores[0], "tests.runner"))  # type: ignore[index]

    async def main() -> None:
        servers = [Server(s, tmp_path / f"data{i}").start() for i, s in enumerate(stores)]
        await wait_until(lambda: names() == [f"{n}.txt" for n in range(8)]
                         and all_ended(stores[0], "tests.runner", 8), message="8 files")
        await asyncio.sleep(0.3)
        assert sum((MAIN, "tests.runner", "inbox", "files") in s.sources.tasks for s in servers) == 1
        await asyncio.gather(*(s.stop() for s in servers))

    try:
        asyncio.run(main())
    finally:
        for s in stores:
            s.close()
    assert names() == [f"{n}.txt" for n in range(8)]  # polled by one of the two, each file once
    assert sorted(p.name for p in archive.iterdir()) == [f"{n}.txt" for n in range(8)]


def test_each_tenant_runs_its_own_sources(sqlite_store: SqlStore, tmp_path: Path) -> None:
    """The same flow (namespace and id) with a realtime trigger in two tenants: each tenant's messages become
    executions of that tenant, each with its own trigger state and lease."""
    sqlite_store.create_tenant(TenantRecord(ACME, "Acme", utcnow(), utcnow()))
    mine, theirs = tmp_path / "q-main", tmp_path / "q-acme"
    mine.mkdir()
    theirs.mkdir()
    deploy_flow(sqlite_store, QUEUE_FLOW.format(directory=mine))
    flow_service.deploy(sqlite_store, QUEUE_FLOW.format(directory=theirs), now=utcnow(), by=in_tenant(SYSTEM, ACME))
    _write(mine, 1, 2)
    _write(theirs, 3)
    key = ("tests.runner", "consume", "queue")

    def values(tenant: str) -> list[str]:
        found = sqlite_store.list_executions(namespace="tests.runner", limit=100, tenant=tenant)
        return sorted(str((e.trigger or {}).get("value")) for e in found)

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: values(MAIN) == ["message 1", "message 2"] and values(ACME) == ["message 3"],
                         message="each tenant's messages")
        assert {(MAIN, *key), (ACME, *key)} <= set(server.sources.tasks)
        await server.stop()

    asyncio.run(main())
    assert all(e.tenant == ACME for e in sqlite_store.list_executions(namespace="tests.runner", tenant=ACME))
    main_state, acme_state = (sqlite_store.get_trigger_state(*key, tenant=t) for t in (MAIN, ACME))
    assert main_state is not None and acme_state is not None
    assert main_state.locked_execution_id != acme_state.locked_execution_id
    assert sqlite_store.get_execution(acme_state.locked_execution_id or "", tenant=ACME) is not None
