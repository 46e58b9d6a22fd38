"""Fixtures for the AWS family: moto's server mode, the emulator of S3, DynamoDB, Athena and STS these tests
run against, started on a free 127.0.0.1 port; tasks run as the worker runs them with boto3 as their client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from tests.integration.objectstore_support import Tasks, free_port, wait_for_port
from tests.unit.plugins.conftest import Harness
from tests.unit.plugins.conftest import clock as clock
from tests.unit.plugins.conftest import harness as harness

from legato.plugins import registry
from legato.storage import LocalStorage


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The connection properties of a task talking to the emulator (YAML lines)."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    return f"endpointOverride: {moto_endpoint}\nregion: us-east-1\naccessKeyId: testing\nsecretKeyId: testing\n"


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture
def tasks(harness: Harness, tmp_path: Path) -> Tasks:
    registry()
    return Tasks(harness, LocalStorage(tmp_path / "storage"))
