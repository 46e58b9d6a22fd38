"""Stores for the integration tests: a fresh SQLite file per test, and a throw-away PostgreSQL database
`legato_it_<random>` per test (several scheduler instances open their own stores on its URL).
PostgreSQL unreachable: skipped locally, failed in CI (CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.services import pg_database

from legato.store import open_store
from legato.store.sql import SqlStore


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of an empty, migrated PostgreSQL database, dropped after the test."""
    yield from pg_database("legato_it")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    store.close()
