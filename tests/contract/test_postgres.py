"""The store contract on PostgreSQL: one throw-away database `legato_test_<random>` per test run
(tables emptied between tests), dropped at the end. PostgreSQL unreachable: skipped locally, failed in CI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from legato.store import open_store
from legato.store.schema import metadata
from legato.store.sql import SqlStore
from tests.services import pg_database

from .store import StoreContract


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    yield from pg_database("legato_test")


def _emptied(pg_url: str) -> Iterator[SqlStore]:
    store = open_store(pg_url)
    tables = ", ".join(metadata.tables)
    with store.database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
    yield store
    store.close()


@pytest.fixture
def store(pg_url: str) -> Iterator[SqlStore]:
    """The store of the tests below the contract: emptied, as the contract's."""
    yield from _emptied(pg_url)


class TestPostgresStore(StoreContract):
    __test__ = True

    @pytest.fixture
    def store(self, pg_url: str) -> Iterator[SqlStore]:
        yield from _emptied(pg_url)

    def test_notifications_cross_processes_through_listen_notify(self, pg_url: str, store: SqlStore) -> None:
        import asyncio

        from legato.engine.events import ExecutionCreated

        from .helpers import execution

        other = open_store(pg_url)  # stands for another process: its own pool, wake-ups and listener
        try:
            async def main() -> bool:
                assert await other.wakeups.wait("events", 0.3) is False  # starts its listener
                waiter = asyncio.create_task(other.wakeups.wait("events", 5))
                await asyncio.sleep(0.1)
                await asyncio.to_thread(store.create_execution, execution(), ExecutionCreated())
                return await waiter

            assert asyncio.run(main()) is True
        finally:
            other.close()


def test_the_roll_up_stays_exact_under_concurrent_writers_and_folders(store: SqlStore) -> None:
    """Four threads insert, update and delete executions (one short transaction each) while two fold the roll-up:
    no lost or doubled change, no deadlock (writers only append deltas; folders take turns)."""
    import random
    import threading
    from datetime import timedelta

    from sqlalchemy import delete, insert, update

    from legato.model.execution import Execution
    from legato.store.schema import executions

    from .contract_rollup import _group_raw, _group_rolled
    from .helpers import NOW

    errors: list[BaseException] = []
    writing = threading.Event()

    def write(n: int) -> None:
        rng = random.Random(n)
        try:
            for i in range(60):
                created = NOW - timedelta(hours=rng.randrange(24 * 5))
                e = Execution(id=f"c{n}-{i}", namespace="ns", flow_id=f"f{i % 3}", flow_revision=1, state="RUNNING",
                              created=created)
                with store.database.engine.begin() as conn:
                    conn.execute(insert(executions), {"id": e.id, "namespace": "ns", "flow_id": e.flow_id,
                                                      "flow_revision": 1, "state": "RUNNING", "parent_id": None,
                                                      "created": created, "ended": None, "data": e,
                                                      "transient": False})
                with store.database.engine.begin() as conn:
                    conn.execute(update(executions).where(executions.c.id == e.id).values(
                        state=rng.choice(["SUCCESS", "FAILED"]), ended=created + timedelta(seconds=i)))
                if i % 7 == 0:
                    with store.database.engine.begin() as conn:
                        conn.execute(delete(executions).where(executions.c.id == e.id))
        except BaseException as exc:
            errors.append(exc)

    def fold() -> None:
        try:
            while writing.is_set():
                store.fold_execution_days(7)
        except BaseException as exc:
            errors.append(exc)

    writing.set()
    folders = [threading.Thread(target=fold) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in (*folders, *writers):
        t.start()
    for t in writers:
        t.join()
    writing.clear()
    for t in folders:
        t.join()
    assert errors == []
    assert _group_rolled(store) == _group_raw(store)
    while store.fold_execution_days(100) == 100:
        pass
    assert _group_rolled(store) == _group_raw(store)
