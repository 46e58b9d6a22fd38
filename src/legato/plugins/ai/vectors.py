"""A local vector store for RAG: text segments with their embedding vectors, searched by cosine similarity, kept
as one JSON value in the namespace's KV store (Kestra's `io.kestra.plugin.ai.embeddings.KestraKVStore`). Meant,
as in Kestra, for prototypes and small corpora: the whole store is loaded for each search."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import Field, SerializeAsAny

from legato.model.task import Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.subplugins import SubPlugin, sub_plugin


@dataclass(frozen=True)
class Segment:
    text: str
    metadata: dict[str, Any]
    vector: list[float]


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity mapped to 0..1, as langchain4j's relevance score."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return 0.0 if norm == 0 else (dot / norm + 1) / 2


class KestraKVStore(SubPlugin):
    """Keep the embeddings as one KV pair of the flow's namespace."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.embeddings.KestraKVStore"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.embeddings.KestraKVStore",)

    kvName: str = Field(default="{{ flow.id }}-embedding-store", description="The KV key holding the store (rendered).")

    def key(self, ctx: RunContext) -> str:
        return ctx.render_string(self.kvName)

    def load(self, ctx: RunContext) -> list[Segment]:
        found = ctx.kv.get(self.key(ctx))
        if found is None:
            return []
        rows = found[1].get("segments") if isinstance(found[1], dict) else None
        if not isinstance(rows, list):
            raise TaskFailed(f"the KV pair '{self.key(ctx)}' is not an embedding store")
        return [Segment(str(r["text"]), dict(r.get("metadata") or {}), [float(x) for x in r["vector"]]) for r in rows]

    def save(self, ctx: RunContext, segments: list[Segment]) -> None:
        value = {"segments": [{"text": s.text, "metadata": s.metadata, "vector": s.vector} for s in segments]}
        ctx.kv.set(self.key(ctx), value, type="JSON", ttl_seconds=None)

    def drop(self, ctx: RunContext) -> None:
        ctx.kv.delete(self.key(ctx))

    def search(self, ctx: RunContext, vector: list[float], max_results: int, min_score: float) -> list[tuple[float, Segment]]:
        scored = [(cosine(vector, s.vector), s) for s in self.load(ctx)]
        ranked = sorted((p for p in scored if p[0] >= min_score), key=lambda p: p[0], reverse=True)
        return ranked[:max_results]

    def outputs(self, ctx: RunContext) -> dict[str, Any]:
        return {"kvName": self.key(ctx)}


STORES: list[type[SubPlugin]] = [KestraKVStore]
EmbeddingStore: TypeAlias = Annotated[SerializeAsAny[KestraKVStore], *sub_plugin("embedding store", STORES)]


class DocumentSplitter(Frozen):
    """Kestra's `documentSplitter`: how documents are cut into segments before they are embedded."""

    splitter: Literal["RECURSIVE", "PARAGRAPH", "LINE", "SENTENCE", "WORD"] = Field(default="RECURSIVE", description="RECURSIVE (paragraphs, then lines, sentences, words, characters as needed), PARAGRAPH, LINE, SENTENCE or WORD.")
    maxSegmentSizeInChars: int = Field(ge=1, description="Longest segment, in characters.")
    maxOverlapSizeInChars: int = Field(default=0, ge=0, description="Characters of the previous segment repeated at the start of the next.")

    def split(self, text: str) -> list[str]:
        order: list[str] = ["PARAGRAPH", "LINE", "SENTENCE", "WORD"]
        levels: list[str] = order if self.splitter == "RECURSIVE" else [self.splitter]
        pieces = _split(text, levels, self.maxSegmentSizeInChars)
        return _pack(pieces, self.maxSegmentSizeInChars, self.maxOverlapSizeInChars)


_SEPARATORS = {"PARAGRAPH": r"\n\s*\n", "LINE": r"\n", "SENTENCE": r"(?<=[.!?])\s+", "WORD": r"\s+"}


def _split(text: str, levels: list[str], size: int) -> list[str]:
    """Pieces no longer than `size`: split at the first level's boundaries, the next levels for what is still too
    long, characters last."""
    if len(text) <= size:
        return [text.strip()] if text.strip() else []
    if not levels:
        return [text[i:i + size] for i in range(0, len(text), size)]
    out: list[str] = []
    for part in re.split(_SEPARATORS[levels[0]], text):
        out += _split(part, levels[1:], size)
    return out


def _pack(pieces: list[str], size: int, overlap: int) -> list[str]:
    """Fit as many consecutive pieces as possible into each segment, with `overlap` characters carried over."""
    segments: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}".strip() if current else piece
        if len(candidate) <= size:
            current = candidate
            continue
        if current:
            segments.append(current)
        carried = current[-overlap:] if overlap and current else ""
        current = f"{carried} {piece}".strip() if carried and len(carried) + len(piece) < size else piece
    if current:
        segments.append(current)
    return segments
