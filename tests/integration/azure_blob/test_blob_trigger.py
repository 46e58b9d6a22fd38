"""azure.storage.blob.Trigger against Azurite: arriving blobs start executions (trigger.blobs, each copied to
internal storage), DELETE acts once the execution is recorded, and a restart fires nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from tests.integration.azure_blob.conftest import connection_string
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.model.state import State
from legato.store.sql import SqlStore


def _names(store: SqlStore) -> list[str]:
    return sorted(b["name"] for e in executions(store, "tests.azure") for b in e.trigger["blobs"])  # type: ignore[index]


def test_deleted_blobs_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path, azurite: str, blobs: Any) -> None:
    container = f"t-{uuid.uuid4().hex[:10]}"
    client = blobs.create_container(container)
    deploy_flow(sqlite_store, f"""id: watch_azure
namespace: tests.azure
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.blobs | length }}}} blobs"
triggers:
  - id: blobs
    type: io.kestra.plugin.azure.storage.blob.Trigger
    endpoint: {azurite}
    connectionString: "{connection_string(azurite)}"
    container: {container}
    prefix: incoming/
    regexp: ".*\\\\.json"
    action: DELETE
    interval: PT0.2S
    maxFiles: 2
""")
    for n in (1, 2, 3):
        client.upload_blob(f"incoming/o{n}.json", f'{{"n": {n}}}'.encode())
    client.upload_blob("incoming/skip.txt", b"not json")

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_names(sqlite_store)) == 3 and all_ended(sqlite_store, "tests.azure", 2),
                         timeout=60, message="3 blobs")
        await first.stop()
        client.upload_blob("incoming/o4.json", b'{"n": 4}')
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_names(sqlite_store)) == 4 and all_ended(sqlite_store, "tests.azure", 3),
                         timeout=60, message="4 blobs")
        await asyncio.sleep(0.5)
        await second.stop()

    asyncio.run(main())
    assert _names(sqlite_store) == [f"incoming/o{n}.json" for n in range(1, 5)]
    done = executions(sqlite_store, "tests.azure")
    assert {e.state for e in done} == {State.SUCCESS}
    assert sorted(b.name for b in client.list_blobs()) == ["incoming/skip.txt"]
    item = done[0].trigger["blobs"][0]  # type: ignore[index]
    assert item["changeType"] == "CREATE" and item["container"] == container
    storage = Server(sqlite_store, tmp_path).sources.firer.storage
    assert storage.get(item["uri"]).decode() == f'{{"n": {item["name"][-6]}}}'
