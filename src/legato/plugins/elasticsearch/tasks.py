"""The registered Elasticsearch tasks (`io.kestra.plugin.elasticsearch.*`): the shared behaviour of
documents/searching/bulk/esql under Elasticsearch's type names, its connection (with `targetServerVersion`) and
its versioned media type (`application/vnd.elasticsearch+json; compatible-with=8`)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.elasticsearch import bulk, documents, esql, searching
from legato.plugins.elasticsearch.base import SearchTask
from legato.plugins.elasticsearch.client import SearchConnection
from legato.plugins.runnable import Expression, render_as

PREFIX = "io.kestra.plugin.elasticsearch"
HOSTS = "connection:\n  hosts:\n    - http://localhost:9200\n"


class ElasticsearchConnection(SearchConnection):
    targetServerVersion: int | Expression = Field(default=8, description="The cluster's major version (8 or 9), for the compatibility media type.")


class Elastic(SearchTask):
    PRODUCT: ClassVar[str] = "Elasticsearch"

    connection: ElasticsearchConnection = Field(description="How to reach the cluster.")

    def media_type(self, ctx: RunContext) -> str:
        version = int(render_as(ctx, self.connection.targetServerVersion, int, "connection.targetServerVersion"))
        if version not in (8, 9):
            raise TaskFailed("`targetServerVersion` must be 8 or 9")
        return f"application/vnd.elasticsearch+json; compatible-with={version}"


@TASKS.register
class Search(Elastic, searching.Search):
    __doc__ = searching.Search.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Search"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Search",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: search\ntype: {PREFIX}.Search\n{HOSTS}indexes:\n  - customers\nrequest:\n  query:\n    term:\n      name:\n"
        "        value: john\n",
    )


@TASKS.register
class Scroll(Elastic, searching.Scroll):
    __doc__ = searching.Scroll.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Scroll"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Scroll",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: export\ntype: {PREFIX}.Scroll\n{HOSTS}indexes:\n  - logs\nrequest:\n  query:\n    match_all: {{}}\n",
    )


@TASKS.register
class Get(Elastic, documents.GetOrFail):
    __doc__ = documents.Get.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Get"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Get",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: get\ntype: {PREFIX}.Get\n{HOSTS}index: customers\nkey: \"{{{{ inputs.id }}}}\"\n",)


@TASKS.register
class Put(Elastic, documents.Put):
    __doc__ = documents.Put.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Put"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Put",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: put\ntype: {PREFIX}.Put\n{HOSTS}index: customers\nkey: john\nvalue:\n  name: John Doe\n  city: Paris\n",
    )


@TASKS.register
class Request(Elastic, documents.Request):
    __doc__ = documents.Request.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Request"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Request",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: count\ntype: {PREFIX}.Request\n{HOSTS}method: GET\nendpoint: customers/_count\n",
    )


@TASKS.register
class Load(Elastic, bulk.Load):
    __doc__ = bulk.Load.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Load"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Load",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: load\ntype: {PREFIX}.Load\n{HOSTS}from: \"{{{{ outputs.to_ion.uri }}}}\"\nindex: customers\nidKey: id\n",
    )


@TASKS.register
class Bulk(Elastic, bulk.Bulk):
    __doc__ = bulk.Bulk.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Bulk"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Bulk",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: bulk\ntype: {PREFIX}.Bulk\n{HOSTS}from: \"{{{{ inputs.file }}}}\"\n",)


@TASKS.register
class Esql(Elastic, esql.EsqlBase):
    __doc__ = esql.EsqlBase.__doc__
    TYPE: ClassVar[str] = "elasticsearch.Esql"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Esql",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: errors\ntype: {PREFIX}.Esql\n{HOSTS}query: |\n  FROM logs\n  | WHERE service == ?\n  | LIMIT 100\n"
        "params:\n  - \"{{ inputs.service }}\"\n",
    )
