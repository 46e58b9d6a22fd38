"""log.LogShipper's Elasticsearch and OpenSearch destinations (`io.kestra.plugin.elasticsearch.LogExporter`,
`io.kestra.plugin.opensearch.LogExporter`): the lines indexed into `indexName` through the bulk API, `chunk`
documents a request, over the families' REST client (hosts tried in order, the SSRF guard)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.log_exporters import Entry, LogExporter, Shipment
from legato.plugins.elasticsearch.client import SearchClient, SearchConnection
from legato.plugins.runnable import Expression, render_as, render_text


class ElasticsearchLogExporter(LogExporter):
    """Every line a document of `indexName` (its fields as Kestra's LogEntry), sent with the bulk API."""

    TYPE: ClassVar[str] = "io.kestra.plugin.elasticsearch.LogExporter"
    PRODUCT: ClassVar[str] = "Elasticsearch"

    connection: SearchConnection = Field(description="How to reach the cluster.")
    indexName: str = Field(description="The index the lines go to (rendered).")
    chunk: int | Expression = Field(default=1000, description="Documents sent in one bulk request.")

    def open(self, ctx: RunContext) -> Shipment:
        chunk = render_as(ctx, self.chunk, int, "chunk")
        if chunk < 1:
            raise TaskFailed(f"logExporters '{self.id}': chunk must be at least 1, got {chunk}")
        client = SearchClient(ctx, self.connection, self.PRODUCT, "application/json")
        return _Indexed(client, render_text(ctx, self.indexName), chunk, self.id)


class OpenSearchLogExporter(ElasticsearchLogExporter):
    """The same for an OpenSearch cluster."""

    TYPE: ClassVar[str] = "io.kestra.plugin.opensearch.LogExporter"
    PRODUCT: ClassVar[str] = "OpenSearch"


class _Indexed(Shipment):
    def __init__(self, client: SearchClient, index: str, chunk: int, exporter: str) -> None:
        self._client, self._index, self._chunk, self._exporter = client, index, chunk, exporter
        self._pending: list[Entry] = []
        self._documents = 0

    async def send(self, entries: list[Entry]) -> None:
        self._pending += entries
        while len(self._pending) >= self._chunk:
            await self._bulk(self._pending[:self._chunk])
            self._pending = self._pending[self._chunk:]

    async def _bulk(self, entries: list[Entry]) -> None:
        action = json.dumps({"index": {"_index": self._index}})
        body = "".join(f"{action}\n{json.dumps(e, ensure_ascii=False)}\n" for e in entries).encode()
        answer = (await self._client.call("POST", "/_bulk", ndjson=body)).json()
        if answer.get("errors"):
            failed = [item for item in answer.get("items", []) for result in item.values() if result.get("error")]
            reason = failed[0] if failed else answer
            raise TaskFailed(f"logExporters '{self._exporter}': {len(failed)} document(s) refused by "
                             f"{self._client.product}: {json.dumps(reason)[:300]}")
        self._documents += len(entries)

    async def close(self) -> dict[str, Any]:
        if self._pending:
            await self._bulk(self._pending)
            self._pending = []
        return {"documents": self._documents}


SEARCH_EXPORTERS: list[type[LogExporter]] = [ElasticsearchLogExporter, OpenSearchLogExporter]
