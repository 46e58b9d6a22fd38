"""The Azure Blob Storage example and blueprint run unchanged with `legato flow run` against Azurite: the secret
AZURE_STORAGE_CONNECTION_STRING the flows name holds the emulator's connection string."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.integration.azure_blob.conftest import connection_string
from tests.integration.objectstore_support import ROOT, run_blueprint, run_flow_file, secrets_env


def test_azure_blob_blueprint_runs_green(azurite: str, blobs: Any, tmp_path: Path) -> None:
    container = f"bp-{uuid.uuid4().hex[:10]}"
    client = blobs.create_container(container)
    execution = run_blueprint("azure_blob_upload_download", tmp_path,
                              secrets_env(AZURE_STORAGE_CONNECTION_STRING=connection_string(azurite)), {"container": container})
    assert execution["state"]["current"] == "SUCCESS"
    (name,) = [b.name for b in client.list_blobs()]
    assert name.startswith("stock/") and name.endswith("/stock.csv")
    assert execution["outputs"]["file"].startswith("kestra:///")


def test_the_azure_example_uploads_then_downloads_and_deletes(azurite: str, blobs: Any, tmp_path: Path) -> None:
    container = f"ex-{uuid.uuid4().hex[:10]}"
    client = blobs.create_container(container)
    execution = run_flow_file(ROOT / "examples" / "azure_blob.yaml", tmp_path,
                              secrets_env(AZURE_STORAGE_CONNECTION_STRING=connection_string(azurite)), {"container": container})
    assert execution["state"]["current"] == "SUCCESS"
    assert list(client.list_blobs()) == []
