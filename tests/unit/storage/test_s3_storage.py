"""The S3-compatible backend against a real S3 API: moto's server, started on a free 127.0.0.1 port. The
same contract as the local backend, keys confined to the configured prefix, and selection by URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from legato.storage import StorageError, open_storage
from legato.storage.s3 import S3Storage
from tests.unit.storage.contract import StorageContract


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def make(endpoint: str, request: pytest.FixtureRequest, prefix: str = "legato/internal") -> S3Storage:
    bucket = f"b-{abs(hash(request.node.nodeid)) % 10**12}"
    storage = S3Storage(bucket, prefix, endpoint_url=endpoint, region="us-east-1")
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    if bucket not in [b["Name"] for b in client.list_buckets()["Buckets"]]:
        client.create_bucket(Bucket=bucket)
    return storage


class TestS3StorageContract(StorageContract):
    __test__ = True

    @pytest.fixture
    def storage(self, endpoint: str, request: pytest.FixtureRequest) -> S3Storage:
        return make(endpoint, request)


def test_keys_stay_under_the_prefix(endpoint: str, request: pytest.FixtureRequest) -> None:
    storage = make(endpoint, request)
    storage.put("kestra:///ns/flow/a.txt", b"a")
    outside = f"{storage.bucket}/elsewhere/secret.txt"
    storage.fs.pipe_file(outside, b"not legato's")
    storage.fs.pipe_file(f"{storage.bucket}/legato/internalx/near.txt", b"a sibling prefix")
    assert storage.fs.cat_file(f"{storage.bucket}/legato/internal/ns/flow/a.txt") == b"a"
    assert storage.list("kestra:///") == ["kestra:///ns/flow/a.txt"]
    assert storage.delete_prefix("kestra:///") == 1
    assert storage.fs.cat_file(outside) == b"not legato's"
    with pytest.raises(StorageError):
        storage.get("kestra:///../elsewhere/secret.txt")


def test_the_url_chooses_the_backend(endpoint: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make(endpoint, request, prefix="")
    monkeypatch.setenv("LEGATO_S3_ENDPOINT", endpoint)
    storage: Any = open_storage(f"s3://{first.bucket}/runs/2024")
    assert isinstance(storage, S3Storage) and storage.base == f"{first.bucket}/runs/2024"
    storage.put("kestra:///ns/x.txt", b"x")
    assert first.get("kestra:///runs/2024/ns/x.txt") == b"x"
    with pytest.raises(StorageError, match="s3://bucket/prefix"):
        open_storage("gs://bucket/x")
