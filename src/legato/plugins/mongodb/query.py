"""Find and Aggregate, and the Find that the Trigger polls with: documents fetched into `rows`, or streamed
one per line into an Ion file of internal storage (`uri`), with their count in `size`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.mongodb.connection import (
    CONNECTION,
    PREFIX,
    MongoTask,
    collection,
    counter,
    document,
    jsonable,
    plain,
)
from legato.plugins.runnable import Expression, render_as, render_bool
from legato.storage import ion


class FindFields(Frozen):
    """What Find and the Trigger ask the server for."""

    filter: dict[str, Any] | str | None = Field(default=None, description="The query filter: a map or (extended) JSON text, rendered; none matches every document.")
    projection: dict[str, Any] | str | None = Field(default=None, description="The fields to return: a map or JSON text, rendered.")
    sort: dict[str, Any] | str | None = Field(default=None, description="The sort order (`{field: 1 | -1}`), rendered.")
    limit: int | Expression | None = Field(default=None, description="At most this many documents.")
    skip: int | Expression | None = Field(default=None, description="Documents to skip first.")
    store: bool | Expression = Field(default=False, description="true: write the documents to an Ion file in internal storage (`uri`); false: return them as `rows`.")


def cursor(render: Any, fields: FindFields, coll: Any) -> Any:
    """The find cursor the fields describe."""
    options: dict[str, Any] = {}
    if fields.projection is not None:
        options["projection"] = document(render, fields.projection, "projection")
    if fields.sort is not None:
        options["sort"] = list(document(render, fields.sort, "sort").items())
    if fields.limit is not None:
        options["limit"] = _integer(render, fields.limit, "limit")
    if fields.skip is not None:
        options["skip"] = _integer(render, fields.skip, "skip")
    return coll.find(document(render, fields.filter, "filter"), **options)


def _integer(render: Any, value: Any, prop: str) -> int:
    rendered = render(value) if isinstance(value, str) else value
    try:
        return int(rendered)
    except (TypeError, ValueError):
        raise TaskFailed(f"property '{prop}': {rendered!r} is not a valid integer") from None


async def fetch(found: Any) -> list[Any]:
    return [jsonable(plain(doc)) async for doc in found]


async def store(found: Any, out: stream.Output) -> int:
    """Each document as one Ion line of `out`; how many."""
    size = 0
    async for doc in found:
        out.write((ion.dumps(plain(doc)) + "\n").encode())
        size += 1
    return size


async def outputs(ctx: RunContext, found: Any, to_storage: bool) -> dict[str, Any]:
    if not to_storage:
        rows = await fetch(found)
        return {"rows": rows, "size": len(rows)}
    with stream.Output(ctx, "documents.ion") as out:
        size = await store(found, out)
        return {"uri": out.save(), "size": size}


@TASKS.register
class Find(MongoTask, FindFields):
    """Query documents of a collection: `rows` (or, with `store: true`, `uri` of an Ion file) and `size`."""

    TYPE: ClassVar[str] = "mongodb.Find"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Find",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: find\ntype: {PREFIX}.Find\n{CONNECTION}collection: orders\nfilter:\n  status: open\n  total:\n    $gt: 100\n"
        "sort:\n  total: -1\nlimit: 10\n",
        f"id: export\ntype: {PREFIX}.Find\n{CONNECTION}collection: orders\nstore: true\n",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        to_storage = render_bool(ctx, self.store, "store")
        async with collection(ctx.render, self) as coll:
            result = await outputs(ctx, cursor(ctx.render, self, coll), to_storage)
        counter(ctx, "records", result["size"], database, name)
        return result


@TASKS.register
class Aggregate(MongoTask):
    """Run an aggregation pipeline: `rows` (or, with `store: STORE`, `uri` of an Ion file) and `size`."""

    TYPE: ClassVar[str] = "mongodb.Aggregate"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Aggregate",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: totals\ntype: {PREFIX}.Aggregate\n{CONNECTION}collection: sales\npipeline:\n  - $match:\n      status: active\n"
        "  - $group:\n      _id: $category\n      total:\n        $sum: $amount\n  - $sort:\n      total: -1\n",
    )

    pipeline: list[dict[str, Any] | str] | Expression = Field(description="The stages, each a map or JSON text (rendered).")
    allowDiskUse: bool | Expression = Field(default=True, description="Let stages over 100 MB write temporary files on the server.")
    maxTimeMs: int | Expression = Field(default=60000, description="The server's time limit for the pipeline, in milliseconds (0: none).")
    batchSize: int | Expression = Field(default=1000, description="Documents per batch of the cursor.")
    store: Literal["FETCH", "STORE", "FETCH_ONE", "NONE"] | Expression = Field(
        default="FETCH", description="FETCH: `rows`; STORE: an Ion file in internal storage (`uri`). FETCH_ONE and NONE fetch, as Kestra does.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        stages = ctx.render(self.pipeline)
        if isinstance(stages, str):
            stages = document(lambda v: v, '{"p": ' + stages + "}", "pipeline")["p"]
        if not isinstance(stages, list):
            raise TaskFailed("property 'pipeline' must be a list of stages")
        pipeline = [document(lambda v: v, stage, f"pipeline[{i}]") for i, stage in enumerate(stages)]
        options: dict[str, Any] = {"allowDiskUse": render_bool(ctx, self.allowDiskUse, "allowDiskUse")}
        if (limit := int(render_as(ctx, self.maxTimeMs, int, "maxTimeMs"))) > 0:
            options["maxTimeMS"] = limit
        if (batch := int(render_as(ctx, self.batchSize, int, "batchSize"))) > 0:
            options["batchSize"] = batch
        mode = render_as(ctx, self.store, Literal["FETCH", "STORE", "FETCH_ONE", "NONE"], "store")
        async with collection(ctx.render, self) as coll:
            found = await coll.aggregate(pipeline, **options)
            result = await outputs(ctx, found, mode == "STORE")
        counter(ctx, "records", result["size"], database, name)
        return result

