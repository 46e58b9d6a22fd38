"""The store contract on PostgreSQL: one throw-away database `legato_test_<random>` per test run
(tables emptied between tests), dropped at the end. PostgreSQL unreachable: skipped locally, failed in CI."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql as pgsql
from sqlalchemy import text

from legato.store import open_store
from legato.store.schema import metadata
from legato.store.sql import SqlStore

from .store import StoreContract

ADMIN_URL = os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _unreachable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}: {reason}")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"legato_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    except psycopg.OperationalError as exc:
        _unreachable(str(exc).strip().splitlines()[0])
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrated = open_store(url)
    migrated.migrate()
    migrated.close()
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


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
