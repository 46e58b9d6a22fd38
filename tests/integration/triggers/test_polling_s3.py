"""aws.s3.Trigger against a real S3 API (moto's server on a free 127.0.0.1 port): arriving objects start
executions (trigger.objects, copied to internal storage), MOVE/DELETE act once the execution is recorded,
and a restart loses and repeats nothing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.model.state import State
from legato.store.sql import SqlStore


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


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> tuple[Any, str]:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    bucket = f"landing-{abs(hash(request.node.nodeid)) % 10**10}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


def flow(endpoint: str, bucket: str, extra: str) -> str:
    return f"""id: watch_s3
namespace: tests.s3
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.objects | length }}}} objects"
triggers:
  - id: objects
    type: io.kestra.plugin.aws.s3.Trigger
    endpointOverride: {endpoint}
    region: us-east-1
    accessKeyId: testing
    secretKeyId: testing
    bucket: {bucket}
    prefix: incoming/
    regexp: ".*\\\\.json"
    interval: PT0.1S
    maxFiles: 2
{extra}"""


def _put(client: Any, bucket: str, *numbers: int) -> None:
    for n in numbers:
        client.put_object(Bucket=bucket, Key=f"incoming/o{n:02d}.json", Body=f'{{"n": {n}}}'.encode())


def _keys(store: SqlStore) -> list[str]:
    return sorted(o["key"] for e in executions(store, "tests.s3") for o in e.trigger["objects"])  # type: ignore[index]


def _listed(client: Any, bucket: str, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_moved_objects_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path, endpoint: str,
                                                       s3: tuple[Any, str]) -> None:
    client, bucket = s3
    deploy_flow(sqlite_store, flow(endpoint, bucket, "    action: MOVE\n    moveTo:\n      key: archive/\n"))
    _put(client, bucket, *range(5))
    client.put_object(Bucket=bucket, Key="incoming/skip.txt", Body=b"not json")

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_keys(sqlite_store)) == 5 and all_ended(sqlite_store, "tests.s3", 3), message="5 objects")
        await first.stop()
        _put(client, bucket, *range(5, 8))
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_keys(sqlite_store)) == 8 and all_ended(sqlite_store, "tests.s3", 5), message="8 objects")
        await asyncio.sleep(0.3)
        await second.stop()

    asyncio.run(main())
    assert _keys(sqlite_store) == [f"incoming/o{n:02d}.json" for n in range(8)]  # each once
    done = executions(sqlite_store, "tests.s3")
    assert {e.state for e in done} == {State.SUCCESS}
    assert _listed(client, bucket, "incoming/") == ["incoming/skip.txt"]
    assert _listed(client, bucket, "archive/") == [f"archive/o{n:02d}.json" for n in range(8)]
    item = done[0].trigger["objects"][0]  # type: ignore[index]
    assert item["bucket"] == bucket and item["size"] == len(f'{{"n": {int(item["key"][-7:-5])}}}')
    storage = Server(sqlite_store, tmp_path).sources.firer.storage
    assert storage.get(item["uri"]).decode() == f'{{"n": {int(item["key"][-7:-5])}}}'


def test_delete_removes_the_objects_once_fired(sqlite_store: SqlStore, tmp_path: Path, endpoint: str,
                                               s3: tuple[Any, str]) -> None:
    client, bucket = s3
    deploy_flow(sqlite_store, flow(endpoint, bucket, "    action: DELETE\n"))
    _put(client, bucket, 1, 2, 3)

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_keys(sqlite_store)) == 3 and all_ended(sqlite_store, "tests.s3", 2), message="3 objects")
        await asyncio.sleep(0.3)
        await server.stop()

    asyncio.run(main())
    assert _keys(sqlite_store) == ["incoming/o01.json", "incoming/o02.json", "incoming/o03.json"]
    assert _listed(client, bucket, "incoming/") == []


def test_none_with_on_update_fires_for_changed_objects_only(sqlite_store: SqlStore, tmp_path: Path, endpoint: str,
                                                            s3: tuple[Any, str]) -> None:
    """`on: UPDATE` records the objects already there without firing, then fires once per changed ETag, each
    object saying its `changeType`; `filter: FILES` leaves folder markers out; NONE leaves the objects."""
    client, bucket = s3
    deploy_flow(sqlite_store, flow(endpoint, bucket, "    action: NONE\n    on: UPDATE\n    filter: FILES\n")
                .replace('    regexp: ".*\\\\.json"\n', ""))
    _put(client, bucket, 1, 2)
    client.put_object(Bucket=bucket, Key="incoming/folder/", Body=b"")

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await asyncio.sleep(1.5)  # a few polls: the objects are recorded as seen, nothing fires
        assert executions(sqlite_store, "tests.s3") == []
        client.put_object(Bucket=bucket, Key="incoming/o02.json", Body=b'{"n": 22}')
        await wait_until(lambda: len(_keys(sqlite_store)) == 1 and all_ended(sqlite_store, "tests.s3", 1), message="1 update")
        await asyncio.sleep(0.5)
        await server.stop()

    asyncio.run(main())
    (execution,) = executions(sqlite_store, "tests.s3")
    (item,) = execution.trigger["objects"]  # type: ignore[index]
    assert (item["key"], item["changeType"], item["size"]) == ("incoming/o02.json", "UPDATE", 9)
    assert _listed(client, bucket, "incoming/") == ["incoming/folder/", "incoming/o01.json", "incoming/o02.json"]
