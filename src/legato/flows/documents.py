"""Multi-document flow texts: one YAML document per flow, each document's line offset kept so errors point
at lines of the whole text the user sent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from legato.flows.parse import parse_flow
from legato.model.errors import FlowValidationError, Problem
from legato.model.flow import Flow

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
