"""AI task tests: the model APIs' test double, with the SSRF guard opened for 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.ai.model_server import ModelServer
from tests.unit.plugins.conftest import Harness, clock, harness  # noqa: F401 - the core tasks' harness

from legato.plugins import ai  # noqa: F401 - registers the AI tasks


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelServer]:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")  # the guard lets tests reach it
    with ModelServer() as server:
        yield server


__all__ = ["Harness"]
