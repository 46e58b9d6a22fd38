"""The base of every Elasticsearch and OpenSearch task: the connection, `routing`, the product's name (in
errors) and its media type, and how result rows are handed over (`fetchType` FETCH → `rows`, FETCH_ONE → `row`,
STORE → `uri` of an Ion file in internal storage, NONE → nothing), with `size`."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.plugins.context import RunContext
from legato.plugins.core import storage_stream as stream
from legato.plugins.elasticsearch.client import SearchClient, SearchConnection
from legato.plugins.runnable import RunnableTask
from legato.storage import ion

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]


class SearchTask(RunnableTask):
    PRODUCT: ClassVar[str] = "Elasticsearch"

    connection: SearchConnection = Field(description="How to reach the cluster.")
    routing: str | None = Field(default=None, description="A custom routing value, hashed to choose the shard instead of the document id.")

    def media_type(self, ctx: RunContext) -> str:
        return "application/json"

    def client(self, ctx: RunContext) -> SearchClient:
        return SearchClient(ctx, self.connection, self.PRODUCT, self.media_type(ctx))

    def routed(self, ctx: RunContext) -> dict[str, Any]:
        return {"routing": ctx.render_string(self.routing)} if self.routing is not None else {}


def store_rows(ctx: RunContext, rows: list[Any]) -> str:
    """The rows as one Ion value a line in a new file of the task; its URI."""
    with stream.Output(ctx, "rows.ion") as out:
        for row in rows:
            out.write((ion.dumps(row) + "\n").encode())
        return out.save()


def hand_over(ctx: RunContext, rows: list[Any], mode: str) -> dict[str, Any]:
    """The outputs of `rows` by fetchType."""
    match mode:
        case "FETCH":
            return {"rows": rows, "size": len(rows)}
        case "FETCH_ONE":
            return {"row": rows[0] if rows else None, "size": 1 if rows else 0}
        case "STORE":
            return {"uri": store_rows(ctx, rows), "size": len(rows)}
    return {}
