"""The store contract on SQLite (a fresh database file per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store import open_store
from legato.store.sql import SqlStore

from .store import StoreContract


class TestSqliteStore(StoreContract):
    __test__ = True

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[SqlStore]:
        store = open_store(f"sqlite:///{tmp_path / 'nested' / 'legato.db'}")
        store.migrate()
        yield store
        store.close()
