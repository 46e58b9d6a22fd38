"""A ForEachItem's two worker jobs. "split": stream the items file from storage into batch files
(`<task run prefix>/batch-<n><ext>`, n from 1; an item is never cut). "merge" (with `wait`): one file
with the outputs of every batch's execution, one ION map per line, in batch order (`outputs.<id>.uri`).
The executions themselves are started by the executor in between (see legato.engine.worker_flowables)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from legato.engine.phases import ItemBatches
from legato.engine.worker_flowables import BATCH_EXTENSION, BATCH_PREFIX, part_run_id, subflow_execution_id
from legato.expressions.filters_data import ion
from legato.model.flowable_worker import Batch, ForEachItem
from legato.model.state import State
from legato.plugins.context import TaskFailed
from legato.storage import StorageError, task_run_prefix
from legato.storage.uris import join
from legato.worker.attempt import Outcome
from legato.worker.context import WorkerContext
from legato.worker.group import WorkerJob

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_CHUNK = 1 << 20


async def run(group: WorkerJob, task: ForEachItem) -> Outcome:
    wctx = group.wctx
    phase = ItemBatches.of(wctx.task_run).phase
    try:
        if phase == "merge":
            uri = await asyncio.to_thread(_merge, group, wctx)
            return Outcome(State.SUCCESS, {"uri": uri})
        outputs = await asyncio.to_thread(_split, wctx, task)
    except TaskFailed as exc:
        wctx.logger.error(str(exc))
        return Outcome(State.FAILED, error=str(exc))
    except StorageError as exc:
        wctx.logger.error(str(exc))
        return Outcome(State.FAILED, error=str(exc))
    wctx.logger.info(f"{outputs['numberOfBatches']} batch(es) to process")
    return Outcome(State.SUCCESS, outputs)


def _prefix(wctx: WorkerContext) -> str:
    run, ex = wctx.task_run, wctx.execution
    return task_run_prefix(ex.namespace, ex.flow_id, ex.id, run.task_id, run.id)


def _batch_prefix(wctx: WorkerContext) -> str:
    """The batches are files of the `<id>_split` task run, under its id slugified as Kestra writes task folders
    (`tasks/each-split/<run id>/batch-1.txt`)."""
    run, ex = wctx.task_run, wctx.execution
    folder = re.sub(r"[^a-z0-9]+", "-", f"{run.task_id}_split".lower()).strip("-")
    return task_run_prefix(ex.namespace, ex.flow_id, ex.id, folder, part_run_id(ex.id, run, "split"))


# split ---------------------------------------------------------------------------------------------
def _split(wctx: WorkerContext, task: ForEachItem) -> dict[str, Any]:
    uri = wctx.render_string(task.items).strip()
    if not uri.startswith("kestra:///"):
        raise TaskFailed(f"property 'items' must be an internal storage URI (kestra:///...), not {uri[:100]!r}")
    separator = task.batch.separator.encode()
    rule = _rule(wctx, task.batch, uri, separator)
    name = uri.rsplit("/", 1)[-1]
    extension = name[name.rfind("."):] if "." in name.lstrip(".") else ""
    base = join(_batch_prefix(wctx), "batch-")
    count = 0
    part: list[bytes] = []
    used = 0

    def flush() -> None:
        nonlocal count, part, used
        count += 1
        wctx.storage.put(f"{base}{count}{extension}", b"".join(r + separator for r in part))
        part, used = [], 0

    with wctx.storage.open(uri) as stream:
        for record in _records(stream, separator):
            size = len(record) + len(separator)
            if part and rule(len(part), used, size, count):
                flush()
            part.append(record)
            used += size
    if part:
        flush()
    return {"numberOfBatches": count, BATCH_PREFIX: base, BATCH_EXTENSION: extension}


def _rule(wctx: WorkerContext, batch: Batch, uri: str, separator: bytes) -> Any:
    """When the current batch is full: f(records in it, bytes in it, size of the next record, batches done)."""
    if batch.bytes is not None:
        limit = _size(wctx.render_string(batch.bytes))
        return lambda n, used, size, done: used + size > limit
    if batch.partitions is not None:
        partitions = _positive(wctx.render_string(batch.partitions), "batch.partitions")
        with wctx.storage.open(uri) as stream:
            total = sum(1 for _ in _records(stream, separator))
        step, extra = divmod(total, partitions)
        # batch d (0-based) holds step + 1 records while d < extra, step after
        return lambda n, used, size, done: n >= step + (1 if done < extra else 0)
    rows = _positive(wctx.render_string(batch.rows), "batch.rows") if batch.rows is not None else 1
    return lambda n, used, size, done: n >= rows


def _records(stream: IO[bytes], separator: bytes) -> Iterator[bytes]:
    """The items of a binary stream, without their separator; a last item without one counts too."""
    rest = b""
    while chunk := stream.read(_CHUNK):
        pieces = (rest + chunk).split(separator)
        rest = pieces.pop()
        yield from pieces
    if rest:
        yield rest


def _positive(text: str, prop: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise TaskFailed(f"property '{prop}' must be a whole number, not {text!r}") from None
    if value <= 0:
        raise TaskFailed(f"property '{prop}' must be at least 1, not {value}")
    return value


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)B?\s*", text.upper())
    if not match or int(match.group(1)) <= 0:
        raise TaskFailed(f"property 'batch.bytes' must be a size like 10MB, 512KB or 1000, not {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


# merge ---------------------------------------------------------------------------------------------
def _merge(group: WorkerJob, wctx: WorkerContext) -> str:
    run, execution = wctx.task_run, wctx.execution
    total = ItemBatches.of(run).total
    store = group.worker.store
    with tempfile.TemporaryDirectory(prefix="legato-merge-") as tmp:
        local = Path(tmp) / "outputs.ion"
        with local.open("w", encoding="utf-8") as out:
            for index in range(total):
                child = store.get_execution(subflow_execution_id(execution.id, run.id, execution.restarts, index))
                if child is not None and child.outputs:
                    out.write(ion(child.outputs) + "\n")
        return wctx.storage.put_file(join(_prefix(wctx), "outputs.ion"), local)
