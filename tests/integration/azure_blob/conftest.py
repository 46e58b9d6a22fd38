"""Fixtures for the Azure family (this folder is not named `azure`, which would shadow the client library): Azurite (Microsoft's Azure Storage emulator, from npm: `make tools` installs it
into tools/node_modules) started on a free 127.0.0.1 port with its well-known development account; tasks run as
the worker runs them with azure-storage-blob as their client."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.objectstore_support import ROOT, Tasks, free_port, wait_for_port
from tests.services import unavailable
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage

AZURITE = ROOT / "tools" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's documented development account (public; it only opens the local emulator)
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The emulator's blob endpoint, http://127.0.0.1:<port>/devstoreaccount1."""
    if not AZURITE.exists():
        unavailable("Azurite", f"{AZURITE} is missing: run make tools")
    port = free_port()
    workspace = tmp_path_factory.mktemp("azurite")
    log = (workspace / "azurite.log").open("wb")
    process = subprocess.Popen([str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port),
                                "--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent"],
                               stdout=log, stderr=subprocess.STDOUT, cwd=workspace)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def connection_string(endpoint: str) -> str:
    return f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={endpoint};"


@pytest.fixture
def azure(azurite: str) -> str:
    """The connection properties of a task talking to the emulator (YAML lines)."""
    return f"endpoint: {azurite}\nconnectionString: \"{connection_string(azurite)}\"\n"


@pytest.fixture
def blobs(azurite: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient.from_connection_string(connection_string(azurite))


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))
