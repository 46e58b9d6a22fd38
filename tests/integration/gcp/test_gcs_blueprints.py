"""The Cloud Storage example and blueprint run unchanged with `legato flow run` against `gcp-storage-emulator`:
STORAGE_EMULATOR_HOST points Google's client at it (with no credentials sent), the secret the flows name is set."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.integration.objectstore_support import ROOT, run_blueprint, run_flow_file, secrets_env


def _env(endpoint: str) -> dict[str, str]:
    return {"STORAGE_EMULATOR_HOST": endpoint, **secrets_env(GCP_SERVICE_ACCOUNT_JSON="{}")}


def test_gcs_blueprint_runs_green(gcs: Any, gcs_endpoint: str, tmp_path: Path) -> None:
    bucket = f"bp-{uuid.uuid4().hex[:10]}"
    gcs.create_bucket(bucket)
    execution = run_blueprint("gcs_upload_list_download", tmp_path, _env(gcs_endpoint), {"bucket": bucket})
    assert execution["state"]["current"] == "SUCCESS"
    (name,) = [b.name for b in gcs.list_blobs(bucket)]
    assert name.startswith("readings/") and name.endswith("/readings.jsonl")
    assert execution["outputs"]["file"].startswith("kestra:///")


def test_the_gcs_example_creates_the_bucket_and_archives(gcs: Any, gcs_endpoint: str, tmp_path: Path) -> None:
    bucket = f"ex-{uuid.uuid4().hex[:10]}"
    execution = run_flow_file(ROOT / "examples" / "gcs.yaml", tmp_path, _env(gcs_endpoint), {"bucket": bucket})
    assert execution["state"]["current"] == "SUCCESS"
    assert [b.name for b in gcs.list_blobs(bucket)] == [f"archive/{execution['id']}.txt"]
