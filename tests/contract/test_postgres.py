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


class TestPostgresStore(StoreContract):
    __test__ = True

    @pytest.fixture
    def store(self, pg_url: str) -> Iterator[SqlStore]:
        store = open_store(pg_url)
        tables = ", ".join(metadata.tables)
        with store.database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        yield store
        store.close()

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
