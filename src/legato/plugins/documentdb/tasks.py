"""io.kestra.plugin.documentdb.Insert, Read, Update and Delete, as Kestra's: one data API action each.

- Insert: `document` (insertOne) or `documents` (insertMany, at most 10); outputs `insertedId` (the first),
  `insertedIds`, `insertedCount`.
- Read: `find` with `filter`, `limit`, `skip`, or `aggregate` with `aggregationPipeline` (which then overrides
  them); `fetchType` FETCH (`rows`), FETCH_ONE (`row`), STORE (`uri`, an ION file, one document a line) or NONE;
  `size` always. Each document's `_id` is given as text (an ObjectId's hex).
- Update: `update` operators on the first match (updateOne) or all (`updateMany`); outputs `matchedCount`,
  `modifiedCount`, `upsertedId`.
- Delete: the first match (deleteOne) or all (`deleteMany`); outputs `deletedCount`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.documentdb.client import (
    CONNECTION,
    MAX_INSERT,
    PREFIX,
    DocumentDbTask,
    MapProperty,
    count,
    id_text,
    optional_map,
)
from legato.plugins.runnable import Expression, render_as, render_bool, render_optional
from legato.storage import ion

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]


def _metric(ctx: RunContext, name: str, value: int, database: str, collection: str) -> None:
    ctx.effects.extra.setdefault("metrics", []).append(
        {"name": name, "type": "counter", "value": value, "tags": {"database": database, "collection": collection}})


@TASKS.register
class Insert(DocumentDbTask):
    """Insert one document (`document`) or up to 10 (`documents`); outputs `insertedId`, `insertedIds` and
    `insertedCount`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Insert"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: insert_user\ntype: {PREFIX}.Insert\n{CONNECTION}collection: users\ndocument:\n  name: Ada Lovelace\n"
        "  email: ada@example.com\n  created_at: \"{{ now() }}\"\n",
        f"id: insert_products\ntype: {PREFIX}.Insert\n{CONNECTION}collection: products\ndocuments:\n"
        "  - sku: A-1\n    price: 12.5\n  - sku: B-2\n    price: 7\n",
    )

    document: MapProperty | None = Field(default=None, description="The one document to insert (insertOne); not with `documents`.")
    documents: list[dict[str, Any]] | Expression | None = Field(default=None, description="The documents to insert (insertMany, at most 10, in order); not with `document`.")

    @model_validator(mode="after")
    def _one_of(self) -> Insert:
        if self.document is None and self.documents is None:
            raise ValueError("set 'document' (one document) or 'documents' (a list of them)")
        if self.document is not None and self.documents is not None:
            raise ValueError("set 'document' or 'documents', not both")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, collection = self.names(ctx)
        one = optional_map(ctx, self.document, "document")
        many: list[dict[str, Any]] | None = render_optional(ctx, self.documents, list[dict[str, Any]], "documents")
        if one:
            answer = await self.call(ctx, "insertOne", {"document": one})
            ids = [id_text(answer.get("insertedId"))]
        elif many:
            if len(many) > MAX_INSERT:
                raise TaskFailed(f"property 'documents': {len(many)} documents, the data API inserts at most {MAX_INSERT} at once")
            answer = await self.call(ctx, "insertMany", {"documents": many})
            ids = [id_text(i) for i in answer.get("insertedIds") or []]
        else:
            raise TaskFailed("nothing to insert: 'document' and 'documents' render empty")
        inserted = [i for i in ids if i is not None]
        ctx.logger.info(f"Inserted {len(inserted)} document(s) into {database}.{collection}")
        _metric(ctx, "inserted.count", len(inserted), database, collection)
        return {"insertedId": inserted[0] if inserted else None, "insertedIds": inserted, "insertedCount": len(inserted)}


@TASKS.register
class Read(DocumentDbTask):
    """Find documents (`filter`, `limit`, `skip`) or run an `aggregationPipeline`; by `fetchType`, `rows`, `row` or
    `uri` (an ION file), and `size`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Read"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: active_users\ntype: {PREFIX}.Read\n{CONNECTION}collection: users\nfilter:\n  status: active\n"
        "  age:\n    $gte: 18\nlimit: 100\nfetchType: FETCH\n",
        f"id: revenue_by_status\ntype: {PREFIX}.Read\n{CONNECTION}collection: orders\naggregationPipeline:\n"
        "  - $group:\n      _id: $status\n      revenue:\n        $sum: $amount\n  - $sort:\n      revenue: -1\n"
        "fetchType: STORE\n",
    )

    filter: MapProperty | None = Field(default=None, description="The query filter (MongoDB operators), rendered; unset: every document.")
    aggregationPipeline: list[dict[str, Any]] | Expression | None = Field(default=None, description="Aggregation stages to run instead of a find; `filter`, `limit` and `skip` are then not used.")
    limit: int | Expression | None = Field(default=None, description="At most this many documents (find).")
    skip: int | Expression | None = Field(default=None, description="Documents to skip first (find).")
    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH: every document in `rows`; FETCH_ONE: the first in `row`; STORE: an ION file of internal storage in `uri`; NONE: only `size`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, collection = self.names(ctx)
        pipeline = render_optional(ctx, self.aggregationPipeline, list[dict[str, Any]], "aggregationPipeline")
        if pipeline:
            answer = await self.call(ctx, "aggregate", {"pipeline": pipeline})
        else:
            body: dict[str, Any] = {}
            if found := optional_map(ctx, self.filter, "filter"):
                body["filter"] = found
            for name in ("limit", "skip"):
                value = render_optional(ctx, getattr(self, name), int, name)
                if value is not None:
                    body[name] = value
            answer = await self.call(ctx, "find", body)
        documents = [_plain(d) for d in answer.get("documents") or [] if isinstance(d, dict)]
        ctx.logger.info(f"Found {len(documents)} document(s) in {database}.{collection}")
        _metric(ctx, "records", len(documents), database, collection)
        fetch = render_as(ctx, self.fetchType, FetchType, "fetchType")
        if fetch == "FETCH_ONE":
            return {"row": documents[0] if documents else None, "size": min(1, len(documents))}
        if fetch == "NONE":
            return {"size": len(documents)}
        if fetch == "STORE":
            with stream.Output(ctx, "documents.ion") as out:
                out.write_all((ion.dumps(d) + "\n").encode() for d in documents)
                return {"uri": out.save(), "size": len(documents)}
        return {"rows": documents, "size": len(documents)}


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    if "_id" in document:
        return {**document, "_id": id_text(document["_id"])}
    return document


@TASKS.register
class Update(DocumentDbTask):
    """Apply `update` operators (`$set`, `$inc`, ...) to the first document matching `filter`, or all of them with
    `updateMany`; outputs `matchedCount`, `modifiedCount` and `upsertedId`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Update"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: activate_user\ntype: {PREFIX}.Update\n{CONNECTION}collection: users\nfilter:\n  email: ada@example.com\n"
        "update:\n  $set:\n    status: active\n  $inc:\n    logins: 1\n",
    )

    filter: MapProperty | None = Field(default=None, description="Which documents to update (MongoDB operators), rendered; unset: any document.")
    update: MapProperty = Field(description="The update operators (`$set`, `$inc`, `$unset`, ...), rendered.")
    updateMany: bool | Expression = Field(default=False, description="Update every matching document; false: only the first.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, collection = self.names(ctx)
        operators = optional_map(ctx, self.update, "update")
        if not operators:
            raise TaskFailed("property 'update': the update operators render empty")
        body: dict[str, Any] = {"update": operators}
        if found := optional_map(ctx, self.filter, "filter"):
            body["filter"] = found
        action = "updateMany" if render_bool(ctx, self.updateMany, "updateMany") else "updateOne"
        answer = await self.call(ctx, action, body)
        matched, modified = count(answer, "matchedCount"), count(answer, "modifiedCount")
        ctx.logger.info(f"{action}: {modified} of {matched} matching document(s) modified in {database}.{collection}")
        _metric(ctx, "updated.count", modified, database, collection)
        return {"matchedCount": matched, "modifiedCount": modified, "upsertedId": id_text(answer.get("upsertedId"))}


@TASKS.register
class Delete(DocumentDbTask):
    """Delete the first document matching `filter`, or all of them with `deleteMany` (an unset filter then deletes
    the whole collection); outputs `deletedCount`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: delete_inactive\ntype: {PREFIX}.Delete\n{CONNECTION}collection: users\nfilter:\n  status: inactive\n"
        "deleteMany: true\n",
    )

    filter: MapProperty | None = Field(default=None, description="Which documents to delete (MongoDB operators), rendered; unset: any document.")
    deleteMany: bool | Expression = Field(default=False, description="Delete every matching document; false: only the first.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, collection = self.names(ctx)
        body: dict[str, Any] = {}
        if found := optional_map(ctx, self.filter, "filter"):
            body["filter"] = found
        action = "deleteMany" if render_bool(ctx, self.deleteMany, "deleteMany") else "deleteOne"
        deleted = count(await self.call(ctx, action, body), "deletedCount")
        ctx.logger.info(f"{action}: {deleted} document(s) deleted from {database}.{collection}")
        _metric(ctx, "deleted.count", deleted, database, collection)
        return {"deletedCount": deleted}
