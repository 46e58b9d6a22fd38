"""Asset tests: the core tasks' harness (a real SQLite store and the real worker context) with a file storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.plugins.conftest import Harness, clock, harness  # noqa: F401 - the core tasks' harness

from legato.storage import LocalStorage


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


__all__ = ["Harness"]
