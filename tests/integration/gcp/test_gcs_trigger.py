"""gcp.gcs.Trigger against `gcp-storage-emulator`: arriving objects start one execution (trigger.blobs, each copied
to internal storage), MOVE acts once the execution is recorded, and a restart fires nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.model.state import State
from legato.store.sql import SqlStore


def _flow(bucket: str, extra: str) -> str:
    return f"""id: watch_gcs
namespace: tests.gcs
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ trigger.blobs | length }}}} blobs"
triggers:
  - id: blobs
    type: io.kestra.plugin.gcp.gcs.Trigger
    projectId: test
    from: gs://{bucket}/incoming/
    regExp: ".*\\\\.json"
    interval: PT0.2S
    maxFiles: 2
{extra}"""


def _names(store: SqlStore) -> list[str]:
    return sorted(b["name"] for e in executions(store, "tests.gcs") for b in e.trigger["blobs"])  # type: ignore[index]


def test_moved_blobs_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path, gcs: Any) -> None:
    bucket = f"t-{uuid.uuid4().hex[:10]}"
    gcs.create_bucket(bucket)
    deploy_flow(sqlite_store, _flow(bucket, f"    action: MOVE\n    moveDirectory: gs://{bucket}/archive\n"))

    def put(*numbers: int) -> None:
        for n in numbers:
            gcs.bucket(bucket).blob(f"incoming/o{n}.json").upload_from_string(f'{{"n": {n}}}')

    put(1, 2, 3)
    gcs.bucket(bucket).blob("incoming/skip.txt").upload_from_string("not json")

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_names(sqlite_store)) == 3 and all_ended(sqlite_store, "tests.gcs", 2),
                         timeout=60, message="3 blobs")
        await first.stop()
        put(4)
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: len(_names(sqlite_store)) == 4 and all_ended(sqlite_store, "tests.gcs", 3),
                         timeout=60, message="4 blobs")
        await asyncio.sleep(0.5)
        await second.stop()

    asyncio.run(main())
    assert _names(sqlite_store) == [f"incoming/o{n}.json" for n in range(1, 5)]
    done = executions(sqlite_store, "tests.gcs")
    assert {e.state for e in done} == {State.SUCCESS}
    assert sorted(b.name for b in gcs.list_blobs(bucket)) == [f"archive/o{n}.json" for n in range(1, 5)] + ["incoming/skip.txt"]
    blob = done[0].trigger["blobs"][0]  # type: ignore[index]
    assert blob["changeType"] == "CREATE" and blob["bucket"] == bucket
    storage = Server(sqlite_store, tmp_path).sources.firer.storage
    assert storage.get(blob["uri"]).decode() == f'{{"n": {blob["name"][-6]}}}'
