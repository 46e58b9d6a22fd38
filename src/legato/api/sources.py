"""Flow sources as the API handles them: one YAML document per flow, multi-document texts split with each
document's line offset kept (so errors point at lines of the text the user sent), and flows as JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from legato.model.errors import FlowValidationError, Problem
from legato.model.flow import Flow
from legato.model.loader import load_yaml_value
from legato.runtime.runtime import parse_flow
from legato.store.ports import FlowRecord

# A document marker at column 0 always starts a new document, even where a block scalar was going on.
_MARKER = re.compile(r"^---(?=[ \t]|$)")
_END = re.compile(r"^\.\.\.[ \t]*$")


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    first_line: int  # 1-based line of the text where this document's lines start


def split_documents(text: str) -> list[Chunk]:
    """The non-empty YAML documents of `text`, each with its own source text."""
    chunks: list[Chunk] = []
    lines: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if _MARKER.match(line) or _END.match(line):
            _append(chunks, lines, start)
            rest = line[3:].strip() if _MARKER.match(line) else ""
            lines, start = ([line[3:].lstrip()] if rest else []), (number if rest else number + 1)
            continue
        lines.append(line)
    _append(chunks, lines, start)
    return chunks


def _append(chunks: list[Chunk], lines: list[str], start: int) -> None:
    text = "".join(lines)
    meaningful = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if meaningful:
        chunks.append(Chunk(index=len(chunks), text=text, first_line=start))


def shifted(problems: list[Problem], offset: int) -> list[Problem]:
    """The problems with their lines moved down by `offset` (to lines of the whole text)."""
    return [Problem(p.path, p.message, p.line + offset if p.line is not None else None, p.column, p.source)
            for p in problems]


def parse_chunk(chunk: Chunk, name: str = "<body>") -> Flow:
    """The flow of one document; FlowValidationError with lines of the whole text."""
    try:
        return parse_flow(chunk.text, name)
    except FlowValidationError as exc:
        raise FlowValidationError(shifted(exc.problems, chunk.first_line - 1)) from None


@lru_cache(maxsize=1024)
def cached_flow(source: str) -> Flow:
    """A stored (hence valid) source parsed once; searches and graphs read many of them."""
    return parse_flow(source)


@lru_cache(maxsize=1024)
def _raw(source: str) -> Any:
    return load_yaml_value(source)


def flow_json(record: FlowRecord, *, source: bool = False) -> dict[str, Any]:
    """The flow as written (YAML as JSON) plus what the server knows about the revision."""
    raw = _raw(record.source)
    body: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    body.update(id=record.id, namespace=record.namespace, revision=record.revision, disabled=record.disabled,
                deleted=record.deleted, updated=record.updated.isoformat())
    if source:
        body["source"] = record.source
    return body
