"""The registered OpenSearch tasks: the Elasticsearch family's behaviour under OpenSearch's type names, with
plain `application/json`, and Ppl (a Piped Processing Language query to `_plugins/_ppl`)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core import storage_stream as stream
from legato.plugins.elasticsearch import bulk, documents, searching
from legato.plugins.elasticsearch.base import FetchType, SearchTask, hand_over
from legato.plugins.elasticsearch.client import counter
from legato.plugins.runnable import Expression, render_as, render_optional

PREFIX = "io.kestra.plugin.opensearch"
HOSTS = "connection:\n  hosts:\n    - http://localhost:9200\n"
PplFormat = Literal["JDBC", "CSV", "RAW"]


class Open(SearchTask):
    PRODUCT: ClassVar[str] = "OpenSearch"


@TASKS.register
class Search(Open, searching.Search):
    __doc__ = searching.Search.__doc__
    TYPE: ClassVar[str] = "opensearch.Search"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Search",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: search\ntype: {PREFIX}.Search\n{HOSTS}indexes:\n  - customers\nrequest:\n  query:\n    term:\n      name:\n"
        "        value: john\n",
    )


@TASKS.register
class Scroll(Open, searching.Scroll):
    __doc__ = searching.Scroll.__doc__
    TYPE: ClassVar[str] = "opensearch.Scroll"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Scroll",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: export\ntype: {PREFIX}.Scroll\n{HOSTS}indexes:\n  - logs\nrequest:\n  query:\n    match_all: {{}}\n",
    )


@TASKS.register
class Get(Open, documents.Get):
    __doc__ = documents.Get.__doc__
    TYPE: ClassVar[str] = "opensearch.Get"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Get",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: get\ntype: {PREFIX}.Get\n{HOSTS}index: customers\nkey: \"{{{{ inputs.id }}}}\"\n",)


@TASKS.register
class Put(Open, documents.Put):
    __doc__ = documents.Put.__doc__
    TYPE: ClassVar[str] = "opensearch.Put"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Put",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: put\ntype: {PREFIX}.Put\n{HOSTS}index: customers\nkey: john\nvalue:\n  name: John Doe\n  city: Paris\n",
    )


@TASKS.register
class Request(Open, documents.Request):
    __doc__ = documents.Request.__doc__
    TYPE: ClassVar[str] = "opensearch.Request"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Request",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: count\ntype: {PREFIX}.Request\n{HOSTS}method: GET\nendpoint: customers/_count\n",)


@TASKS.register
class Load(Open, bulk.Load):
    __doc__ = bulk.Load.__doc__
    TYPE: ClassVar[str] = "opensearch.Load"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Load",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: load\ntype: {PREFIX}.Load\n{HOSTS}from: \"{{{{ outputs.to_ion.uri }}}}\"\nindex: customers\nidKey: id\n",
    )


@TASKS.register
class Bulk(Open, bulk.Bulk):
    __doc__ = bulk.Bulk.__doc__
    TYPE: ClassVar[str] = "opensearch.Bulk"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Bulk",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: bulk\ntype: {PREFIX}.Bulk\n{HOSTS}from: \"{{{{ inputs.file }}}}\"\n",)


@TASKS.register
class Ppl(Open):
    """Run a PPL query (`_plugins/_ppl`): with the JDBC format, `rows`/`row`/`uri` by fetchType, `size` and `total`;
    with CSV or RAW, the answer as `text` (or stored, `uri`)."""

    TYPE: ClassVar[str] = "opensearch.Ppl"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Ppl",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: top_errors\ntype: {PREFIX}.Ppl\n{HOSTS}query: source=logs | where level = 'ERROR' | stats count() by host\n",
    )

    query: str = Field(description="The PPL query (rendered).")
    fetchSize: int | Expression | None = Field(default=None, description="At most this many rows (`fetch_size`).")
    format: PplFormat | Expression = Field(default="JDBC", description="JDBC (rows), CSV or RAW (text).")
    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH, FETCH_ONE, STORE or NONE.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = render_as(ctx, self.format, PplFormat, "format")
        mode = render_as(ctx, self.fetchType, FetchType, "fetchType")
        body: dict[str, Any] = {"query": ctx.render_string(self.query)}
        if (size := render_optional(ctx, self.fetchSize, int, "fetchSize")) is not None:
            body["fetch_size"] = size
        answer = await self.client(ctx).call("POST", "/_plugins/_ppl", params={"format": kind.lower()}, body=body)
        counter(ctx, "requests.count", 1)
        if kind != "JDBC":
            if mode == "STORE":
                with stream.Output(ctx, f"result.{kind.lower()}") as out:
                    out.write(answer.text.encode())
                    return {"uri": out.save()}
            return {"text": answer.text} if mode in ("FETCH", "FETCH_ONE") else {}
        envelope = answer.json() or {}
        names = [c.get("name") for c in envelope.get("schema", [])]
        rows = [dict(zip(names, values, strict=False)) for values in envelope.get("datarows", [])]
        counter(ctx, "records", len(rows))
        found = hand_over(ctx, rows, mode) if mode != "NONE" else {"size": len(rows)}
        return {**found, "total": envelope.get("total")}
