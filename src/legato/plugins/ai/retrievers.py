"""Kestra's content retrievers (`io.kestra.plugin.ai.retriever.*`) and web-search tools: where an agent or a RAG chat
finds the passages its answer is grounded in. Retrievers run before the model, on the prompt; the web-search tool
is a function the model calls with a query of its own."""

from __future__ import annotations

import urllib.parse
from abc import abstractmethod
from typing import Annotated, Any, ClassVar, TypeAlias

from pydantic import Field, SerializeAsAny

from legato.plugins.ai import http, wire
from legato.plugins.ai.chat import metric
from legato.plugins.ai.providers import Provider
from legato.plugins.ai.search import tavily_search
from legato.plugins.ai.vectors import EmbeddingStore
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_as
from legato.plugins.subplugins import SubPlugin, sub_plugin

Passage = tuple[str, dict[str, Any]]  # text, metadata


class ContentRetriever(SubPlugin):
    """Where a RAG task finds passages to ground its answer in (each retriever type says how)."""

    @abstractmethod
    async def retrieve(self, ctx: RunContext, query: str) -> list[Passage]:
        """The passages relevant to `query`."""


class TavilyWebSearch(ContentRetriever):
    """Ground the answer in web search results from Tavily."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.retriever.TavilyWebSearch"

    apiKey: str = Field(description="The Tavily API key (keep it in a secret).")
    maxResults: int | Expression = Field(default=3, description="Most results given to the model.")
    baseUrl: str = Field(default="https://api.tavily.com", description="Legato: Tavily's API base URL.")

    async def retrieve(self, ctx: RunContext, query: str) -> list[Passage]:
        count = render_as(ctx, self.maxResults, int, "maxResults")
        found = await tavily_search(ctx, self.apiKey, self.baseUrl, query, count)
        return [(str(r.get("content") or ""), {"title": r.get("title"), "url": r.get("url")}) for r in found[:count]]


class GoogleCustomWebSearch(ContentRetriever):
    """Ground the answer in Google Programmable Search results."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.retriever.GoogleCustomWebSearch"

    csi: str = Field(description="The Programmable Search Engine id (`cx`).")
    apiKey: str = Field(description="The Google API key (keep it in a secret).")
    maxResults: int | Expression = Field(default=3, description="Most results given to the model.")
    baseUrl: str = Field(default="https://www.googleapis.com/customsearch/v1", description="Legato: the API's URL.")

    async def retrieve(self, ctx: RunContext, query: str) -> list[Passage]:
        count = render_as(ctx, self.maxResults, int, "maxResults")
        params = urllib.parse.urlencode({"key": ctx.render_string(self.apiKey), "cx": ctx.render_string(self.csi),
                                         "q": query, "num": count})
        answer = await http.request("GET", f"{http.join(ctx.render_string(self.baseUrl), '')}?{params}".replace("/?", "?"),
                                    headers={}, body=None, timeout=60.0)
        data = answer.json() or {}
        return [(str(i.get("snippet") or ""), {"title": i.get("title"), "url": i.get("link")})
                for i in (data.get("items") or [])[:count] if isinstance(i, dict)]


class EmbeddingStoreRetriever(ContentRetriever):
    """Ground the answer in the closest segments of a vector store (filled by rag.IngestDocument)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.retriever.EmbeddingStoreRetriever"

    embeddings: EmbeddingStore = Field(description="The vector store (KestraKVStore).")
    embeddingProvider: Provider = Field(description="The provider of the embedding model the documents were ingested with.")
    maxResults: int | Expression = Field(default=3, description="Most segments given to the model.")
    minScore: float | Expression = Field(default=0.0, description="Lowest relevance (0 to 1) of a segment given to the model.")

    async def retrieve(self, ctx: RunContext, query: str) -> list[Passage]:
        metric(ctx, "ai.embedding.store.calls", 1, store=self.embeddings.TYPE)
        [vector], _ = await wire.embed(self.embeddingProvider.endpoint(ctx), [query])
        found = self.embeddings.search(ctx, vector, render_as(ctx, self.maxResults, int, "maxResults"),
                                       render_as(ctx, self.minScore, float, "minScore"))
        return [(s.text, {**s.metadata, "score": round(score, 6)}) for score, s in found]


RETRIEVERS: list[type[SubPlugin]] = [TavilyWebSearch, GoogleCustomWebSearch, EmbeddingStoreRetriever]
Retriever: TypeAlias = Annotated[SerializeAsAny[ContentRetriever], *sub_plugin("content retriever", RETRIEVERS)]


async def retrieve_all(ctx: RunContext, retrievers: list[ContentRetriever], query: str) -> list[Passage]:
    """The passages of every retriever, in the order the retrievers are listed."""
    found: list[Passage] = []
    for retriever in retrievers:
        found += await retriever.retrieve(ctx, query)
    return found


def augmented(question: str, contents: list[str]) -> str:
    """The user message with the retrieved segments (langchain4j's default injection)."""
    if not contents:
        return question
    return question + "\n\nAnswer using the following information:\n" + "\n\n".join(contents)
