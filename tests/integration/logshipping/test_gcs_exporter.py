"""log.LogShipper's Cloud Storage exporter against gcp-storage-emulator (the GCP family's emulator, reached through
STORAGE_EMULATOR_HOST as Google's libraries do): objects of at most maxLinesPerFile lines, in order."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.logshipping.conftest import Harness, write_logs

from legato.storage import LocalStorage

SHIPPER = """\
id: ship
type: io.kestra.plugin.ee.core.log.LogShipper
logExporters:
  - id: gcs
    type: io.kestra.plugin.ee.gcp.gcs.LogExporter
    projectId: test
    bucket: shipped-logs
    format: JSON
    maxLinesPerFile: 2
    chunk: 1000
"""


def test_objects_of_at_most_max_lines(harness: Harness, storage: LocalStorage, gcs: Any) -> None:
    gcs.create_bucket("shipped-logs")
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "one"), ("WARN", "two"), ("ERROR", "three"))
    harness.clock.advance(minutes=1)
    ship = harness.execution(namespace="company.team", flow_id="shipper")
    out = harness.run(SHIPPER, harness.context(storage=storage, execution=ship))
    uris = out["outputs"]["gcs"]["uris"]
    assert [u.rsplit("-", 1)[1] for u in uris] == ["1.json", "2.json"]
    assert all(u.startswith("gs://shipped-logs/kestra-log-file-2024-05-01T12-01-00-") for u in uris)
    bucket = gcs.bucket("shipped-logs")
    lines = [json.loads(line) for u in uris
             for line in bucket.blob(u.removeprefix("gs://shipped-logs/")).download_as_bytes().decode().splitlines()]
    assert [(x["message"], x["level"], x["namespace"]) for x in lines] == [
        ("one", "INFO", "company.team"), ("two", "WARN", "company.team"), ("three", "ERROR", "company.team")]
