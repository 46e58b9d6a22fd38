"""Markdown as Notion blocks: `#`/`##`/`###` headings, `-`/`*` bullets, `1.` numbered items, `- [ ]`/`- [x]` to-dos,
`>` quotes, fenced code (with its language), `---` dividers, and paragraphs (consecutive lines joined). Inline
**bold**, *italic*, `code` and [links](url) become rich text annotations. Text longer than Notion's 2,000
characters per rich text object is split."""

from __future__ import annotations

import re
from typing import Any

Block = dict[str, Any]
_MOST = 2000  # characters in one rich text object
_INLINE = re.compile(r"\*\*(?P<bold>.+?)\*\*|`(?P<code>[^`]+)`|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)|"
                     r"(?<![*\w])\*(?P<italic>[^*\s][^*]*?)\*(?!\*)")
_LANGUAGES = {"python", "javascript", "typescript", "java", "sql", "bash", "shell", "json", "yaml", "go", "rust",
              "ruby", "c", "c++", "c#", "html", "css", "markdown", "plain text", "r", "scala", "kotlin", "php"}


def rich_text(text: str) -> list[dict[str, Any]]:
    """Text with its inline marks, as Notion's rich text objects (each at most 2,000 characters)."""
    spans: list[tuple[str, dict[str, bool], str | None]] = []
    at = 0
    for match in _INLINE.finditer(text):
        if match.start() > at:
            spans.append((text[at:match.start()], {}, None))
        if match["bold"] is not None:
            spans.append((match["bold"], {"bold": True}, None))
        elif match["code"] is not None:
            spans.append((match["code"], {"code": True}, None))
        elif match["label"] is not None:
            spans.append((match["label"], {}, match["url"]))
        else:
            spans.append((match["italic"], {"italic": True}, None))
        at = match.end()
    if at < len(text):
        spans.append((text[at:], {}, None))
    out = []
    for content, marks, url in spans:
        for start in range(0, len(content), _MOST):
            piece: dict[str, Any] = {"type": "text", "text": {"content": content[start:start + _MOST]}}
            if url:
                piece["text"]["link"] = {"url": url}
            if marks:
                piece["annotations"] = marks
            out.append(piece)
    return out


def _block(kind: str, text: str, **extra: Any) -> Block:
    return {"object": "block", "type": kind, kind: {"rich_text": rich_text(text), **extra}}


def blocks(markdown: str) -> list[Block]:
    """The blocks of a Markdown text, in order."""
    out: list[Block] = []
    paragraph: list[str] = []
    lines = markdown.splitlines()

    def flush() -> None:
        if paragraph:
            out.append(_block("paragraph", " ".join(paragraph)))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            language = stripped[3:].strip().lower() or "plain text"
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            out.append(_block("code", "\n".join(code), language=language if language in _LANGUAGES else "plain text"))
        elif not stripped:
            flush()
        elif m := re.match(r"^(#{1,3})\s+(.*)$", stripped):
            flush()
            out.append(_block(f"heading_{len(m[1])}", m[2]))
        elif m := re.match(r"^[-*]\s+\[([ xX])\]\s+(.*)$", stripped):
            flush()
            out.append(_block("to_do", m[2], checked=m[1] != " "))
        elif re.match(r"^(-{3,}|\*{3,})$", stripped):
            flush()
            out.append({"object": "block", "type": "divider", "divider": {}})
        elif m := re.match(r"^[-*+]\s+(.*)$", stripped):
            flush()
            out.append(_block("bulleted_list_item", m[1]))
        elif m := re.match(r"^\d+[.)]\s+(.*)$", stripped):
            flush()
            out.append(_block("numbered_list_item", m[1]))
        elif stripped.startswith(">"):
            flush()
            out.append(_block("quote", stripped[1:].strip()))
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return out
