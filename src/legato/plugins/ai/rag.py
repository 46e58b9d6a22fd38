"""Kestra's retrieval-augmented generation (`io.kestra.plugin.ai.rag.*`): `IngestDocument` cuts documents into
segments, embeds them with the provider's embedding API and keeps them in a vector store; `ChatCompletion` embeds
the prompt, retrieves the closest segments and has the chat model answer from them (`sources` lists them)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.ai import http, wire
from legato.plugins.ai.chat import ChatConfiguration, metric
from legato.plugins.ai.loop import converse
from legato.plugins.ai.memory import Memory
from legato.plugins.ai.providers import Provider
from legato.plugins.ai.retrievers import Retriever, augmented, retrieve_all
from legato.plugins.ai.toolset import Tool
from legato.plugins.ai.vectors import DocumentSplitter, EmbeddingStore, Segment
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_optional, task_timeout
from legato.storage import StorageError

_PROVIDER = """\
  type: io.kestra.plugin.ai.provider.OpenAI
  apiKey: "{{ secret('OPENAI_API_KEY') }}"
"""


class InlineDocument(Frozen):
    content: str = Field(description="The document's text (rendered).")
    metadata: dict[str, Any] | None = Field(default=None, description="Metadata kept with its segments.")


@TASKS.register
class IngestDocument(RunnableTask):
    """Embed documents (inline, files of internal storage or of the working directory, URLs) into a vector store."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.rag.IngestDocument"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: ingest\ntype: io.kestra.plugin.ai.rag.IngestDocument\nprovider:\n" + _PROVIDER
        + "  modelName: text-embedding-3-small\nembeddings:\n  type: io.kestra.plugin.ai.embeddings.KestraKVStore\n"
        "drop: true\nfromDocuments:\n  - content: Legato runs Kestra flows unchanged.\n",
    )

    provider: Provider = Field(description="The provider whose embedding model embeds the segments (modelName: the embedding model).")
    embeddings: EmbeddingStore = Field(description="Where the vectors are kept (KestraKVStore).")
    fromPath: str | None = Field(default=None, description="A file or folder of the working directory to ingest.")
    fromInternalURIs: list[str] | Expression | None = Field(default=None, description="Files of internal storage (kestra:/// URIs) to ingest.")
    fromExternalURLs: list[str] | Expression | None = Field(default=None, description="Documents to download and ingest.")
    fromDocuments: list[InlineDocument] | None = Field(default=None, description="Documents given inline.")
    metadata: dict[str, str] | None = Field(default=None, description="Metadata added to every segment.")
    documentSplitter: DocumentSplitter | None = Field(default=None, description="How documents are cut into segments (default: one segment per document).")
    drop: bool = Field(default=False, description="Empty the store before ingesting.")
    bulkSize: int = Field(default=500, ge=1, description="Segments embedded per API call.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        documents = await self._documents(ctx)
        if not documents:
            raise TaskFailed("no document to ingest: set fromDocuments, fromInternalURIs, fromExternalURLs or fromPath")
        common = ctx.render(self.metadata) or {}
        pieces: list[tuple[str, dict[str, Any]]] = []
        for text, meta in documents:
            parts = self.documentSplitter.split(text) if self.documentSplitter else [text]
            pieces += [(part, {**meta, **common}) for part in parts if part.strip()]
        timeout = task_timeout(ctx, self)
        endpoint = self.provider.endpoint(ctx, timeout.total_seconds() if timeout else 120.0)
        metric(ctx, "ai.provider.calls", 1, provider=self.provider.TYPE)
        metric(ctx, "ai.embedding.store.calls", 1, store=self.embeddings.TYPE)
        usage = wire.Usage()
        segments = [] if self.drop else self.embeddings.load(ctx)
        for start in range(0, len(pieces), self.bulkSize):
            batch = pieces[start:start + self.bulkSize]
            vectors, used = await wire.embed(endpoint, [text for text, _ in batch])
            usage.add(used)
            segments += [Segment(text, meta, vector) for (text, meta), vector in zip(batch, vectors, strict=True)]
        self.embeddings.save(ctx, segments)
        metric(ctx, "indexed.documents", len(documents))
        if usage.input:
            metric(ctx, "input.token.count", usage.input)
            metric(ctx, "total.token.count", usage.total)
        ctx.logger.info(f"ingested {len(documents)} document(s) as {len(pieces)} segment(s)")
        return {"ingestedDocuments": len(documents), "inputTokenCount": usage.input or None, "outputTokenCount": None,
                "totalTokenCount": usage.total or None, "embeddingStoreOutputs": self.embeddings.outputs(ctx)}

    async def _documents(self, ctx: RunContext) -> list[tuple[str, dict[str, Any]]]:
        docs = [(ctx.render_string(d.content), ctx.render(d.metadata) or {}) for d in self.fromDocuments or []]
        for uri in render_optional(ctx, self.fromInternalURIs, list[str], "fromInternalURIs") or []:
            checked = source_uri(ctx, uri, "fromInternalURIs")
            try:
                data = await asyncio.to_thread(ctx.storage.get, checked)
            except StorageError as exc:
                raise TaskFailed(f"property 'fromInternalURIs': {exc}") from None
            docs.append((data.decode(errors="replace"), {"uri": checked}))
        for url in render_optional(ctx, self.fromExternalURLs, list[str], "fromExternalURLs") or []:
            answer = await http.request("GET", str(url), headers={}, body=None, timeout=60.0)
            docs.append((answer.body.decode(errors="replace"), {"url": str(url)}))
        if self.fromPath is not None:
            docs += self._local(ctx, ctx.render_string(self.fromPath))
        return docs

    def _local(self, ctx: RunContext, path: str) -> list[tuple[str, dict[str, Any]]]:
        if ctx.working_dir is None:
            raise TaskFailed("property 'fromPath' needs a working directory: put the task in a WorkingDirectory task")
        base = ctx.working_dir.resolve()
        target = (base / path).resolve()
        if not target.is_relative_to(base) or not target.exists():
            raise TaskFailed(f"property 'fromPath': {path!r} is not a file or folder of the working directory")
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        return [(f.read_text(errors="replace"), {"file_name": f.name, "absolute_directory_path": str(f.parent)}) for f in files]


class ContentRetrieverConfiguration(Frozen):
    maxResults: int = Field(default=3, ge=1, description="Most segments given to the model.")
    minScore: float = Field(default=0.0, ge=0, le=1, description="Lowest relevance (0 to 1) of a segment given to the model.")


@TASKS.register
class ChatCompletion(RunnableTask):
    """Answer a prompt from the documents of a vector store: the closest segments are given to the chat model."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.rag.ChatCompletion"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.rag.ChatCompletion",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: ask\ntype: io.kestra.plugin.ai.rag.ChatCompletion\nchatProvider:\n" + _PROVIDER + "  modelName: gpt-4o-mini\n"
        "embeddingProvider:\n" + _PROVIDER + "  modelName: text-embedding-3-small\n"
        "embeddings:\n  type: io.kestra.plugin.ai.embeddings.KestraKVStore\n"
        "systemMessage: You answer questions about Legato.\nprompt: Does Legato run Kestra flows?\n",
    )

    chatProvider: Provider = Field(description="The chat model's provider.")
    embeddingProvider: Provider | None = Field(default=None, description="The embedding model's provider (default: chatProvider); use the model the documents were ingested with.")
    embeddings: EmbeddingStore = Field(description="The vector store to search (KestraKVStore).")
    prompt: str = Field(description="The question (rendered).")
    systemMessage: str | None = Field(default=None, description="Instructions for the model (rendered).")
    chatConfiguration: ChatConfiguration = Field(default_factory=ChatConfiguration, description="Sampling, limits and response format.")
    contentRetrieverConfiguration: ContentRetrieverConfiguration = Field(default_factory=ContentRetrieverConfiguration, description="How many segments, and how relevant, reach the model.")
    tools: list[Tool] | None = Field(default=None, description="Tools the model may call.")
    memory: Memory | None = Field(default=None, description="Keep the conversation between task runs.")
    contentRetrievers: list[Retriever] | None = Field(default=None, description="More retrievers whose passages join the store's (TavilyWebSearch, GoogleCustomWebSearch, EmbeddingStoreRetriever).")
    guardrails: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        timeout = task_timeout(ctx, self)
        seconds = timeout.total_seconds() if timeout else 120.0
        question = ctx.render_string(self.prompt)
        embedder = self.embeddingProvider or self.chatProvider
        metric(ctx, "ai.provider.calls", 1, provider=embedder.TYPE)
        metric(ctx, "ai.embedding.store.calls", 1, store=self.embeddings.TYPE)
        [vector], used = await wire.embed(embedder.endpoint(ctx, seconds), [question])
        config = self.contentRetrieverConfiguration
        found = [(score, s.text, {**s.metadata, "score": round(score, 6)})
                 for score, s in self.embeddings.search(ctx, vector, config.maxResults, config.minScore)]
        found += [(0.0, text, meta) for text, meta in await retrieve_all(ctx, self.contentRetrievers or [], question)]
        remembered = self.memory.load(ctx) if self.memory is not None else []
        messages = [m for m in remembered if m.role != "system"]
        if self.systemMessage is not None:
            messages.insert(0, wire.Message("system", ctx.render_string(self.systemMessage)))
        messages.append(wire.Message("user", augmented(question, [text for _, text, _ in found])))
        done, history = await converse(ctx, self.chatProvider, messages, config=self.chatConfiguration,
                                       tools=self.tools, timeout=seconds)
        if self.memory is not None:
            self.memory.save(ctx, history)
        done.usage.add(used)
        done.sources = [{"content": text, "metadata": meta} for _, text, meta in found]
        out = done.outputs(self.chatConfiguration)
        out["completion"] = out.get("textOutput")
        return out
