from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from legato.store import open_store
from legato.store.sql import SqlStore

from .harness import Cluster, fresh_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_database()


@pytest.fixture
def store(pg_url: str) -> Iterator[SqlStore]:
    store = open_store(pg_url)
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def cluster(pg_url: str, tmp_path: Path, store: SqlStore) -> Iterator[Cluster]:
    cluster = Cluster(pg_url, tmp_path)
    yield cluster
    cluster.stop_all()
