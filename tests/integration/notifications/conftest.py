"""Notification tests: the HTTP test double of the services, with the SSRF guard opened for 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.integration.notifications.receiver import Receiver
from tests.unit.plugins.conftest import Harness, clock, harness  # noqa: F401 - the core tasks' harness

from legato.plugins import notifications  # noqa: F401 - registers the notification tasks


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")  # the guard lets tests reach it
    with Receiver() as receiver:
        yield receiver


__all__ = ["Harness"]
