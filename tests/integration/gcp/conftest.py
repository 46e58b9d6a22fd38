"""Fixtures for the GCP family: `gcp-storage-emulator` (a Cloud Storage emulator from PyPI) started on a free
127.0.0.1 port, reached by google-cloud-storage through STORAGE_EMULATOR_HOST; and the BigQuery emulator of
bigquery_emulator.py (SQL executed on DuckDB through sqlglot), reached through BIGQUERY_EMULATOR_HOST. Tasks run as the
worker runs them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.gcp.bigquery_emulator import BigQueryEmulator
from tests.integration.objectstore_support import Tasks, free_port, wait_for_port
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage


@pytest.fixture(scope="session")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("gcs") / "emulator.log").open("wb")
    emulator = str(Path(sys.executable).parent / "gcp-storage-emulator")
    process = subprocess.Popen([emulator, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture
def gcs(gcs_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A client of the emulator (the tasks find it through STORAGE_EMULATOR_HOST, as Google's libraries do)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)
    return storage.Client(project="test", credentials=AnonymousCredentials())


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))


@pytest.fixture
def bigquery(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[BigQueryEmulator]:
    emulator = BigQueryEmulator(tmp_path / "gcs")
    with emulator.serve() as url:
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", url)
        yield emulator


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


__all__ = ["clock", "harness"]
