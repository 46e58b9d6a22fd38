"""Load (the records of an Ion file of internal storage, each indexed as a document) and Bulk (a bulk file —
action lines, each followed by its document — in newline-delimited JSON or Ion), sent to the `_bulk` endpoint in
requests of `chunk` operations while the file is read a line at a time. An operation the cluster refuses fails
the task with the index, status and reason of each refused one. Not registered here: each product registers
its own subclasses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.elasticsearch.base import SearchTask
from legato.plugins.elasticsearch.client import SearchClient, counter
from legato.plugins.elasticsearch.documents import OpType
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional
from legato.storage import ion

Operation = tuple[dict[str, Any], Any]  # the action line and its document (None for delete)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode() + b"\n"


class AbstractLoad(SearchTask):
    from_: str = Field(alias="from", description="The internal-storage URI of the file to send (rendered).")
    chunk: int | Expression = Field(default=1000, description="Operations per bulk request.")

    def operations(self, ctx: RunContext, handle: IO[bytes]) -> Iterator[Operation]:
        raise NotImplementedError

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        size = int(render_as(ctx, self.chunk, int, "chunk"))
        if size < 1:
            raise TaskFailed("property 'chunk' must be at least 1")
        client = self.client(ctx)
        count = requests = 0
        batch: list[bytes] = []
        with stream.opened(ctx, ctx.render_string(self.from_).strip()) as handle:
            for action, document in self.operations(ctx, handle):
                batch.append(_line(action) + (b"" if document is None else _line(document)))
                count += 1
                if len(batch) == size:
                    await self._send(client, batch)
                    requests, batch = requests + 1, []
        if batch:
            await self._send(client, batch)
            requests += 1
        ctx.logger.info(f"sent {requests} requests for {count} records")
        counter(ctx, "requests.count", requests)
        counter(ctx, "records", count)
        return {"size": count}

    async def _send(self, client: SearchClient, batch: list[bytes]) -> None:
        answer = (await client.call("POST", "/_bulk", ndjson=b"".join(batch))).json()
        if answer.get("errors"):
            failed = []
            for item in answer.get("items", []):
                (_, result), = item.items()
                if result.get("error"):
                    error = result["error"]
                    reason = error.get("reason") if isinstance(error, dict) else error
                    failed.append(f"{result.get('_index')}: {result.get('status')} - {reason}")
            raise TaskFailed("Indexer failed bulk:\n " + "\n".join(failed))


class Load(AbstractLoad):
    """Index every record of an Ion file of internal storage (`idKey` names the field used as document id):
    `size`."""

    index: str = Field(description="The index (rendered).")
    opType: OpType | Expression | None = Field(default=None, description="INDEX (default) or CREATE.")
    idKey: str | None = Field(default=None, description="A field whose value becomes the document id.")
    removeIdKey: bool | Expression = Field(default=True, description="Drop the `idKey` field from the document.")

    def operations(self, ctx: RunContext, handle: IO[bytes]) -> Iterator[Operation]:
        index = ctx.render_string(self.index)
        key = render_optional(ctx, self.idKey, str, "idKey")
        remove = render_bool(ctx, self.removeIdKey, "removeIdKey")
        kind = "create" if render_optional(ctx, self.opType, OpType, "opType") == "CREATE" else "index"
        for record in ion.values(handle):
            if not isinstance(record, dict):
                raise TaskFailed(f"property 'from': each record must be a map, not {type(record).__name__}")
            action: dict[str, Any] = {"_index": index, **self.routed(ctx)}
            if key is not None:
                action["_id"] = str(record.get(key))
                if remove:
                    record.pop(key, None)
            yield {kind: action}, record


class Bulk(AbstractLoad):
    """Replay a bulk file from internal storage (`{"index": {"_index": ..., "_id": ...}}` then the document;
    `create`, `update` — applied as a partial document, upserted — and `delete`), JSON or Ion lines: `size`."""

    def operations(self, ctx: RunContext, handle: IO[bytes]) -> Iterator[Operation]:
        lines = (raw.decode("utf-8") for raw in stream.records(handle, b"\n"))
        lines = (line for line in lines if line.strip())
        is_json: bool | None = None
        for line in lines:
            if is_json is None:
                is_json = _is_json(line)
            action = _parse(line, is_json)
            if not isinstance(action, dict) or len(action) != 1:
                raise TaskFailed(f"Invalid bulk request type on '{line[:200]}'")
            (kind, meta), = action.items()
            meta = {k: v for k, v in (meta or {}).items() if k in ("_index", "_id", "routing")}
            if kind == "delete":
                yield {kind: meta}, None
                continue
            if kind not in ("index", "create", "update"):
                raise TaskFailed(f"Invalid bulk request type on '{line[:200]}'")
            source = next(lines, None)
            if source is None:
                raise TaskFailed(f"the bulk file ends after '{line[:200]}': its document is missing")
            document = _parse(source, is_json)
            yield {kind: meta}, ({"doc": document, "doc_as_upsert": True} if kind == "update" else document)


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True


def _parse(line: str, is_json: bool) -> Any:
    try:
        if is_json:
            return json.loads(line)
        values = ion.loads(line)
    except ValueError as exc:
        raise TaskFailed(f"invalid bulk line ({exc}): {line[:200]!r}") from None
    return values[0] if values else None
