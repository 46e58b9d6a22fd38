"""Search (one request; its hits by fetchType, `total` as the cluster counts) and Scroll (every hit of a search,
page after page through a 60 s scroll context, into an Ion file). Not registered here: each product registers
its own subclasses."""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.elasticsearch.base import FetchType, SearchTask, hand_over
from legato.plugins.elasticsearch.client import SearchClient, body_of, counter, path
from legato.plugins.runnable import Expression, render_as, render_optional
from legato.storage import ion


class AbstractSearch(SearchTask):
    indexes: list[str] | Expression | None = Field(default=None, description="The indices to search (rendered); none: every index.")
    request: dict[str, Any] | str = Field(description="The search body (query, size, sort, aggs...): a map or JSON text, rendered.")
    contentType: str | None = Field(default=None, description="Deprecated and unused (kept for Kestra's flows).")

    def endpoint(self, ctx: RunContext) -> str:
        indexes = render_optional(ctx, self.indexes, list[str], "indexes") or []
        return path(",".join(indexes), "_search") if indexes else "/_search"

    def body(self, ctx: RunContext) -> dict[str, Any]:
        body = body_of(ctx, self.request, "request")
        if not isinstance(body, dict):
            raise TaskFailed("property 'request' must be a search body (a map)")
        return body


def _total(hits: dict[str, Any]) -> int | None:
    total = hits.get("total")
    return total.get("value") if isinstance(total, dict) else total


class Search(AbstractSearch):
    """Run a search: `rows` (FETCH, the default), `row` (FETCH_ONE) or `uri` (STORE) of the hits' sources, `size`,
    and `total` as the cluster counts them. Only the answer's page: set `size` and `from` in the request."""

    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH, FETCH_ONE, STORE or NONE.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        mode = render_as(ctx, self.fetchType, FetchType, "fetchType")
        answer = (await self.client(ctx).call("POST", self.endpoint(ctx), params=self.routed(ctx), body=self.body(ctx))).json()
        hits = answer.get("hits") or {}
        rows = [hit.get("_source") for hit in hits.get("hits", [])]
        counter(ctx, "requests.count", 1)
        counter(ctx, "records", len(rows))
        return {**hand_over(ctx, rows, mode), "total": _total(hits)}


class Scroll(AbstractSearch):
    """Every hit of a search, read page by page with the scroll API, into an Ion file: `uri` and `size`."""

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        client = self.client(ctx)
        params = {"scroll": "60s", **self.routed(ctx)}
        answer = (await client.call("POST", self.endpoint(ctx), params=params, body=self.body(ctx))).json()
        requests = size = 0
        scroll_id = answer.get("_scroll_id")
        try:
            with stream.Output(ctx, "rows.ion") as out:
                while True:
                    requests += 1
                    hits = (answer.get("hits") or {}).get("hits", [])
                    if not hits:
                        break
                    for hit in hits:
                        out.write((ion.dumps(hit.get("_source")) + "\n").encode())
                    size += len(hits)
                    if scroll_id is None:
                        break
                    answer = (await client.call("POST", "/_search/scroll",
                                                body={"scroll": "60s", "scroll_id": scroll_id})).json()
                    scroll_id = answer.get("_scroll_id", scroll_id)
                uri = out.save()
        finally:
            await _clear(client, scroll_id)
        counter(ctx, "requests.count", requests)
        counter(ctx, "records", size)
        return {"size": size, "uri": uri}


async def _clear(client: SearchClient, scroll_id: str | None) -> None:
    if scroll_id is None:
        return
    with contextlib.suppress(TaskFailed):
        await client.call("DELETE", "/_search/scroll", body={"scroll_id": scroll_id})
