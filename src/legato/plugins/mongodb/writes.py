"""The MongoDB tasks that write one document or one filter's worth: InsertOne, Update (UPDATE_ONE, UPDATE_MANY,
REPLACE_ONE) and Delete (DELETE_ONE, DELETE_MANY), with Kestra's outputs and counters."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.mongodb.connection import CONNECTION, PREFIX, MongoTask, collection, counter, document
from legato.plugins.runnable import Expression, render_as

UpdateOperation = Literal["UPDATE_ONE", "UPDATE_MANY", "REPLACE_ONE"]
DeleteOperation = Literal["DELETE_ONE", "DELETE_MANY"]


def _id_text(value: Any) -> str | None:
    return None if value is None else str(value)


@TASKS.register
class InsertOne(MongoTask):
    """Insert one document: `insertedId` (its _id as text) and `wasAcknowledged`."""

    TYPE: ClassVar[str] = "mongodb.InsertOne"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.InsertOne",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: insert\ntype: {PREFIX}.InsertOne\n{CONNECTION}collection: customers\ndocument:\n  name: Ada Lovelace\n  city: London\n",
        f"id: insert_json\ntype: {PREFIX}.InsertOne\n{CONNECTION}collection: events\ndocument: \"{{{{ outputs.fetch.body }}}}\"\n",
    )

    document: dict[str, Any] | str = Field(description="The document: a map or (extended) JSON text, rendered.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        doc = document(ctx.render, self.document, "document")
        async with collection(ctx.render, self) as coll:
            result = await coll.insert_one(doc)
        ctx.logger.info(f"inserted document {result.inserted_id}")
        counter(ctx, "inserted.count", 1, database, name)
        return {"insertedId": _id_text(result.inserted_id), "wasAcknowledged": result.acknowledged}


@TASKS.register
class Update(MongoTask):
    """Update the documents a filter matches (UPDATE_ONE, the default, or UPDATE_MANY with update operators such
    as `$set`), or replace one (REPLACE_ONE): `matchedCount`, `modifiedCount`, `upsertedId`, `wasAcknowledged`."""

    TYPE: ClassVar[str] = "mongodb.Update"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Update",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: tag\ntype: {PREFIX}.Update\n{CONNECTION}collection: customers\nfilter:\n  city: London\n"
        "operation: UPDATE_MANY\ndocument: '{\"$set\": {\"region\": \"EMEA\"}}'\n",
    )

    document: dict[str, Any] | str = Field(description="The update (operators such as $set) or, for REPLACE_ONE, the new document; rendered.")
    filter: dict[str, Any] | str = Field(description="Which documents: a map or JSON text, rendered.")
    operation: UpdateOperation | Expression = Field(default="UPDATE_ONE", description="UPDATE_ONE, UPDATE_MANY or REPLACE_ONE.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        doc = document(ctx.render, self.document, "document")
        where = document(ctx.render, self.filter, "filter")
        operation = render_as(ctx, self.operation, UpdateOperation, "operation")
        async with collection(ctx.render, self) as coll:
            call = {"REPLACE_ONE": coll.replace_one, "UPDATE_ONE": coll.update_one, "UPDATE_MANY": coll.update_many}
            result = await call[operation](where, doc)
        counter(ctx, "updated.count", result.modified_count, database, name)
        return {"upsertedId": _id_text(result.upserted_id), "wasAcknowledged": result.acknowledged,
                "matchedCount": result.matched_count, "modifiedCount": result.modified_count}


@TASKS.register
class Delete(MongoTask):
    """Delete the first document a filter matches (DELETE_ONE, the default) or all of them (DELETE_MANY):
    `deletedCount` and `wasAcknowledged`."""

    TYPE: ClassVar[str] = "mongodb.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: purge\ntype: {PREFIX}.Delete\n{CONNECTION}collection: sessions\noperation: DELETE_MANY\nfilter:\n  expired: true\n",
    )

    filter: dict[str, Any] | str | None = Field(default=None, description="Which documents: a map or JSON text, rendered; none matches every document.")
    operation: DeleteOperation | Expression = Field(default="DELETE_ONE", description="DELETE_ONE or DELETE_MANY.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        database, name = self.names(ctx)
        where = document(ctx.render, self.filter, "filter")
        operation = render_as(ctx, self.operation, DeleteOperation, "operation")
        async with collection(ctx.render, self) as coll:
            result = await (coll.delete_one(where) if operation == "DELETE_ONE" else coll.delete_many(where))
        counter(ctx, "deleted.count", result.deleted_count, database, name)
        return {"wasAcknowledged": result.acknowledged, "deletedCount": result.deleted_count}
