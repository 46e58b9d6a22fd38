"""Fixtures of the dbt tests: a small real dbt project (tests/integration/dbt_cli_cloud/shop: a seed, two models, four
data tests) handed to the tasks as inputFiles, run by the real dbt of `legato[dbt]` on DuckDB and on the
PostgreSQL at 127.0.0.1:5432."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.api_double import loopback_allowed  # noqa: F401 - the doubles on 127.0.0.1 are allowed
from tests.services import pg_database
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage, namespace_files

PROJECT = Path(__file__).parent / "shop"

registry()


def project_files(folder: str = "") -> dict[str, str]:
    """The project's files, relative path -> content (under `folder` when given)."""
    prefix = f"{folder}/" if folder else ""
    return {prefix + p.relative_to(PROJECT).as_posix(): p.read_text() for p in sorted(PROJECT.rglob("*"))
            if p.is_file() and "target" not in p.parts and "logs" not in p.parts}


def upload_project(storage: LocalStorage, namespace: str, folder: str = "") -> None:
    """The project as namespace files of `namespace` (dbt's Jinja would not survive inputFiles' rendering)."""
    for path, content in project_files(folder).items():
        storage.put(namespace_files.file_uri(namespace, path), content.encode())


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture
def pg_dbname() -> Iterator[str]:
    """The name of a fresh, empty PostgreSQL database (user postgres, trust auth), dropped afterwards."""
    for url in pg_database("dbt", migrate=False):
        yield url.rsplit("/", 1)[1]


__all__ = ["Harness", "clock", "harness"]
