"""Fixtures for the JDBC tasks: the tasks run as the worker runs them (real store, storage, expression
engine) against the real PostgreSQL and MariaDB on 127.0.0.1, SQLite files and DuckDB."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
from tests.services import pg_database, require
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage
from legato.storage.uris import execution_prefix, join


class Tasks:
    """Runs JDBC tasks as the worker does, all in one execution (so that each reads the files the ones before it
    wrote, as tasks of one flow do), and reads back what a user sees."""

    def __init__(self, harness: Harness, storage: LocalStorage) -> None:
        self.harness = harness
        self.storage = storage
        self.execution = harness.execution()
        self.runs = 0

    def run(self, source: str, **context: Any) -> dict[str, Any]:
        self.runs += 1
        ctx = self.harness.context(storage=self.storage, execution=self.execution, task_id=f"task{self.runs}", **context)
        return self.harness.run(source, ctx)

    def rows(self, uri: str) -> list[Any]:
        """The rows of a stored file (one JSON row per line)."""
        return [json.loads(line) for line in self.storage.get(uri).decode().splitlines() if line.strip()]

    def put(self, name: str, data: bytes) -> str:
        """A file of the execution (as a FILE input would be)."""
        e = self.execution
        return self.storage.put(join(execution_prefix(e.namespace, e.flow_id, e.id), f"inputs/{name}"), data)


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A JDBC URL of a fresh PostgreSQL database `jdbc_<random>` (user postgres), dropped afterwards."""
    for url in pg_database("jdbc", migrate=False):
        yield "jdbc:postgresql://" + url.split("@", 1)[1]


@pytest.fixture
def maria() -> Iterator[tuple[str, str]]:
    """(JDBC URL of MariaDB's `test` database, a fresh table name `jdbc_<random>` dropped afterwards)."""
    require("mariadb")
    table = f"jdbc_{secrets.token_hex(5)}"
    try:
        yield "jdbc:mysql://127.0.0.1:3306/test", table
    finally:
        conn = pymysql.connect(host="127.0.0.1", user="root", password="", database="test", autocommit=True)
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {table}")
        conn.close()
