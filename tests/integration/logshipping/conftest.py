"""Log shipping tests: the core tasks' harness (a real SQLite store and the real worker context) with a file
storage, log lines written into the store as the worker writes them, moto's server for the AWS exporters and
gcp-storage-emulator for the Cloud Storage one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.aws.conftest import aws, moto_endpoint  # noqa: F401 - moto's server, for the AWS exporters
from tests.integration.gcp.conftest import gcs, gcs_endpoint  # noqa: F401 - the Cloud Storage emulator
from tests.unit.plugins.conftest import Harness, clock, harness  # noqa: F401 - the core tasks' harness

from legato.model.execution import Execution, LogRecord
from legato.storage import LocalStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


def write_logs(into: Harness, execution: Execution, *lines: tuple[str, str], start: float = 0) -> None:
    """Lines (level, message) of `execution`, one second apart from `start` seconds after the harness's now."""
    into.store.append_logs([
        LogRecord(execution_id=execution.id, task_run_id=f"{execution.id}-t", task_id="t", attempt=1, level=level,
                  message=message, timestamp=into.clock() + timedelta(seconds=start + n))
        for n, (level, message) in enumerate(lines)
    ])


__all__ = ["Harness", "write_logs"]
