"""ForEachItem's split job on its own: batches by rows, bytes and partitions, items never cut, read as a
stream from real local storage."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.plugins.conftest import Harness

from legato.engine.worker_flowables import BATCH_EXTENSION, BATCH_PREFIX, part_run_id
from legato.model.flowable_worker import ForEachItem
from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from legato.worker import foreach_item


def _split(harness: Harness, storage: LocalStorage, content: bytes, batch: dict[str, Any]) -> list[bytes]:
    uri = storage.put("kestra:///company/team/_files/in.ion", content)
    task = ForEachItem.model_validate({"id": "each", "type": "flow.ForEachItem", "items": uri, "batch": batch,
                                       "namespace": "t", "flowId": "child"})
    ctx = harness.context(storage=storage)
    outputs = foreach_item._split(ctx, task)
    assert outputs[BATCH_EXTENSION] == ".ion"
    return [storage.get(f"{outputs[BATCH_PREFIX]}{n}.ion") for n in range(1, outputs["numberOfBatches"] + 1)]


@pytest.fixture
def storage(tmp_path: Any) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


LINES = b"".join(b"{id:%d}\n" % i for i in range(10))


def test_rows_bytes_and_partitions(harness: Harness, storage: LocalStorage) -> None:
    by_rows = _split(harness, storage, LINES, {"rows": 4})
    assert [b.count(b"\n") for b in by_rows] == [4, 4, 2] and b"".join(by_rows) == LINES
    by_bytes = _split(harness, storage, LINES, {"bytes": "16"})  # each item is 7 bytes with its newline
    assert [b.count(b"\n") for b in by_bytes] == [2, 2, 2, 2, 2]
    by_partitions = _split(harness, storage, LINES, {"partitions": 3})
    assert [b.count(b"\n") for b in by_partitions] == [4, 3, 3] and b"".join(by_partitions) == LINES
    assert _split(harness, storage, b"a\nb", {"rows": 5}) == [b"a\nb\n"]  # a last item without newline
    assert _split(harness, storage, b"", {"rows": 5}) == []
    assert len(_split(harness, storage, LINES, {})) == 10  # one item per batch by default


def test_batches_are_files_of_the_split_task_run_in_kestra_layout(harness: Harness, storage: LocalStorage) -> None:
    """As Kestra: kestra:///<ns>/<flow>/executions/<id>/tasks/each-split/<the each_split run>/batch-1.ion."""
    uri = storage.put("kestra:///company/team/_files/in.ion", LINES)
    task = ForEachItem.model_validate({"id": "each", "type": "flow.ForEachItem", "items": uri, "batch": {"rows": 5},
                                       "namespace": "t", "flowId": "child"})
    ctx = harness.context(storage=storage, task_id="each")
    prefix = foreach_item._split(ctx, task)[BATCH_PREFIX]
    split_run = part_run_id(ctx.execution.id, ctx.task_run, "split")
    assert prefix == f"kestra:///company/team/orders/executions/{ctx.execution.id}/tasks/each-split/{split_run}/batch-"


def test_bad_batch_settings_fail_with_the_property(harness: Harness, storage: LocalStorage) -> None:
    with pytest.raises(TaskFailed, match=r"batch\.rows"):
        _split(harness, storage, LINES, {"rows": 0})
    with pytest.raises(TaskFailed, match=r"batch\.bytes"):
        _split(harness, storage, LINES, {"bytes": "lots"})
    with pytest.raises(ValueError, match="only one of rows, bytes or partitions"):
        ForEachItem.model_validate({"id": "e", "type": "flow.ForEachItem", "items": "x", "namespace": "t",
                                    "flowId": "c", "batch": {"rows": 1, "partitions": 2}})
