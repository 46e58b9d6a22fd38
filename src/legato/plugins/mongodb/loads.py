"""Load (the records of an Ion file of internal storage, each inserted as a document) and Bulk (newline-
delimited JSON write operations: insertOne, replaceOne, updateOne, updateMany, deleteOne, deleteMany), both sent
in bulkWrite calls of `chunk` operations, read from storage a line at a time."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.mongodb.connection import CONNECTION, PREFIX, MongoTask, collection, counter
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional
from legato.storage import ion


class LoadTask(MongoTask):
    """What Load and Bulk share: the records of an internal-storage file, written in `chunk`-sized bulkWrite calls."""

    from_: str = Field(alias="from", description="The internal-storage URI of the file to read (rendered).")
    chunk: int | Expression = Field(default=1000, description="Write operations per bulkWrite call.")

    @abc.abstractmethod
    def operations(self, ctx: RunContext, handle: Any) -> Iterator[Any]:
        """The write operations for the file open as `handle`."""

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        size = int(render_as(ctx, self.chunk, int, "chunk"))
        if size < 1:
            raise TaskFailed("property 'chunk' must be at least 1")
        uri = ctx.render_string(self.from_).strip()
        totals = {"insertedCount": 0, "matchedCount": 0, "modifiedCount": 0, "deletedCount": 0}
        count = requests = 0
        async with collection(ctx.render, self) as coll:
            with stream.opened(ctx, uri) as handle:
                batch: list[Any] = []
                for operation in self.operations(ctx, handle):
                    batch.append(operation)
                    count += 1
                    if len(batch) == size:
                        await self._write(coll, batch, totals)
                        requests, batch = requests + 1, []
                if batch:
                    await self._write(coll, batch, totals)
                    requests += 1
        ctx.logger.info(f"sent {requests} requests for {count} records")
        counter(ctx, "requests.count", requests, database, name)
        counter(ctx, "records", count, database, name)
        return {"size": count, **totals}

    @staticmethod
    async def _write(coll: Any, batch: list[Any], totals: dict[str, int]) -> None:
        result = await coll.bulk_write(batch)
        totals["insertedCount"] += result.inserted_count
        totals["matchedCount"] += result.matched_count
        totals["modifiedCount"] += result.modified_count
        totals["deletedCount"] += result.deleted_count


@TASKS.register
class Load(LoadTask):
    """Insert every record of an Ion file of internal storage as a document (`idKey` names the field that
    becomes the ObjectId `_id`): `size`, `insertedCount`, `matchedCount`, `modifiedCount`, `deletedCount`."""

    TYPE: ClassVar[str] = "mongodb.Load"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Load",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: load\ntype: {PREFIX}.Load\n{CONNECTION}collection: orders\nfrom: \"{{{{ outputs.to_ion.uri }}}}\"\n",
    )

    idKey: str | None = Field(default=None, description="A field whose value (24 hex digits) becomes the ObjectId `_id`.")
    removeIdKey: bool | Expression = Field(default=True, description="Drop the `idKey` field once copied to `_id`.")

    def operations(self, ctx: RunContext, handle: Any) -> Iterator[Any]:
        from bson import ObjectId
        from bson.errors import InvalidId
        from pymongo import InsertOne

        key = render_optional(ctx, self.idKey, str, "idKey")
        remove = render_bool(ctx, self.removeIdKey, "removeIdKey")
        for record in ion.values(handle):
            if not isinstance(record, dict):
                raise TaskFailed(f"property 'from': each record must be a map, not {type(record).__name__}")
            if key is not None:
                try:
                    record["_id"] = ObjectId(str(record.get(key)))
                except InvalidId as exc:
                    raise TaskFailed(f"idKey '{key}': {exc}") from None
                if remove:
                    record.pop(key, None)
            yield InsertOne(record)


def _write_model(line: str) -> Any:
    from bson import json_util
    from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, UpdateMany, UpdateOne

    try:
        request = json_util.loads(line)
    except (ValueError, TypeError) as exc:
        raise TaskFailed(f"invalid bulk request ({exc}) on {line[:200]!r}") from None
    if not isinstance(request, dict) or not request:
        raise TaskFailed(f"invalid bulk request type on {line[:200]!r}")
    kind, spec = next(iter(request.items()))
    if not isinstance(spec, dict):
        raise TaskFailed(f"invalid bulk request on {line[:200]!r}: {kind} needs a document")
    options = {k: spec[k] for k in ("upsert", "collation") if k in spec}
    try:
        match kind:
            case "insertOne":
                return InsertOne(spec)
            case "replaceOne":
                return ReplaceOne(spec["filter"], spec["replacement"], **options)
            case "updateOne" | "updateMany":
                model = UpdateOne if kind == "updateOne" else UpdateMany
                return model(spec["filter"], spec["update"], array_filters=spec.get("arrayFilters"), **options)
            case "deleteOne":
                return DeleteOne(spec["filter"])
            case "deleteMany":
                return DeleteMany(spec["filter"])
    except KeyError as exc:
        raise TaskFailed(f"invalid bulk request on {line[:200]!r}: {kind} needs {exc}") from None
    raise TaskFailed(f"invalid bulk request type on {line[:200]!r}")


@TASKS.register
class Bulk(LoadTask):
    """Run write operations from a newline-delimited JSON file of internal storage, one operation a line
    (`{"insertOne": {...}}`, `{"updateMany": {"filter": ..., "update": ...}}`, `{"deleteOne": {"filter": ...}}`...):
    `size`, `insertedCount`, `matchedCount`, `modifiedCount`, `deletedCount`."""

    TYPE: ClassVar[str] = "mongodb.Bulk"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Bulk",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: bulk\ntype: {PREFIX}.Bulk\n{CONNECTION}collection: customers\nfrom: \"{{{{ outputs.write_actions.uri }}}}\"\n",
    )

    def operations(self, ctx: RunContext, handle: Any) -> Iterator[Any]:
        for raw in stream.records(handle, b"\n"):
            line = raw.decode("utf-8").strip()
            if line:
                yield _write_model(line)
