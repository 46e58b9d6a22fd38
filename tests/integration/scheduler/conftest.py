"""Stores for the scheduler tests: a fresh SQLite file per test, and a throw-away PostgreSQL database
`legato_sched_<random>` per test (several scheduler instances open their own stores on its URL).
PostgreSQL unreachable: skipped locally, failed in CI (CI=true)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql

from legato.store import open_store
from legato.store.sql import SqlStore

ADMIN_URL = os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of an empty, migrated PostgreSQL database, dropped after the test."""
    name = f"legato_sched_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {ADMIN_URL}")
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    store = open_store(url)
    store.migrate()
    store.close()
    yield url
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()
