"""PyYAML's syntax errors said in plain words: what is wrong, on which line, and what to do.

PyYAML reports the parser's state ("expected <block end>, but found '<block mapping start>'"), which means
nothing to someone who mis-indented one key. The common mistakes of a hand-written flow are recognised from
the error and the text around its mark; anything else keeps PyYAML's words after "invalid YAML:".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

# A line's leading "- " markers, then its key: `  - id: x` has its dash at column 2 and its key at column 4.
_LINE = re.compile(r"^(?P<indent> *)(?P<dashes>(?:- +)*)(?P<key>[^\s#:][^:#]*?)?\s*:(?:\s|$)")
_DASH = re.compile(r"^(?P<indent> *)- ")


@dataclass(frozen=True)
class Explained:
    """A syntax error in plain words, at a 1-based line and column (None when PyYAML gave no mark)."""

    message: str
    line: int | None
    column: int | None


def explain(exc: yaml.YAMLError, text: str) -> Explained:
    """The plain-words version of a PyYAML syntax error raised on `text`."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    problem = str(getattr(exc, "problem", None) or exc).strip()
    context = str(getattr(exc, "context", None) or "")
    lines = text.splitlines()
    if "\\t" in problem:
        return Explained("tab characters cannot indent YAML; use spaces", line, column)
    if line is not None and problem.startswith("expected <block end>"):
        if problem.endswith("'<scalar>'"):
            return Explained(
                "text follows a quoted value: put the whole value inside the quotes", line, column
            )
        found = _indentation(lines, line)
        if found:
            return Explained(found, line, column)
    if line is not None and problem == "mapping values are not allowed here":
        return Explained(_mapping_value(lines, line), line, column)
    context_mark = getattr(exc, "context_mark", None)
    start = context_mark.line + 1 if context_mark is not None else line
    if "while scanning a quoted scalar" in context and start is not None:
        quote = '"' if '"' in lines[start - 1] else "'"
        return Explained(
            f"the quoted value that starts on line {start} is never closed: add the closing {quote} at its end",
            start,
            context_mark.column + 1 if context_mark is not None else column,
        )
    if context.startswith("while parsing a flow") and start is not None:
        bracket = "[" if "sequence" in context else "{"
        closing = "]" if bracket == "[" else "}"
        return Explained(
            f"the {bracket} opened on line {start} is not closed with {closing} before line {line} "
            f"(or a value inside it needs quotes)",
            line,
            column,
        )
    if problem.startswith("found undefined alias"):
        return Explained("a value starting with * is read as a YAML alias: put it in quotes", line, column)
    suffix = f" ({context})" if context else ""
    return Explained(f"invalid YAML: {problem}{suffix}", line, column)


def _columns(text: str) -> tuple[int, int | None, str | None]:
    """(column of the first dash or key, column of the key, the key) of one line, 0-based."""
    found = _LINE.match(text)
    indent = len(text) - len(text.lstrip(" "))
    if not found:
        return indent, None, None
    key_column = len(found.group("indent")) + len(found.group("dashes"))
    return indent, key_column, (found.group("key") or "").strip() or None


def _meaningful(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indentation(lines: list[str], line: int) -> str | None:
    """A key or a list item that does not line up with its siblings (the parser saw a new block start)."""
    here = lines[line - 1] if line - 1 < len(lines) else ""
    column, _, key = _columns(here)
    dash = _DASH.match(here)
    candidate: tuple[int, int, str] | None = None  # (line, column, what)
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        if not _meaningful(above):
            continue
        indent, key_column, above_key = _columns(above)
        if dash:
            above_dash = _DASH.match(above)
            if above_dash and indent > column:
                candidate = (number, indent, "the - of the item")
        elif key_column is not None and above_key and key_column > column:
            candidate = (number, key_column, f"`{above_key}:`")
        if indent < column:
            break
    if candidate is None:
        return None
    number, target, what = candidate
    shown = "`- ...`" if dash else f"`{key}:`" if key else "this line"
    where = "more" if target > column else "less"
    return (
        f"indentation: {shown} should line up with {what} on line {number} "
        f"(column {target + 1}); indent it {where}, to {target} spaces"
    )


def _mapping_value(lines: list[str], line: int) -> str:
    """A key indented under a value (read as part of it), or a value holding ': ' without quotes."""
    here = lines[line - 1] if line - 1 < len(lines) else ""
    _, key_column, key = _columns(here)
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        if not _meaningful(above):
            continue
        _, above_column, above_key = _columns(above)
        if (
            key
            and key_column is not None
            and above_column is not None
            and above_key
            and key_column > above_column
        ):
            return (
                f"indentation: `{key}:` should line up with `{above_key}:` on line {number} "
                f"(column {above_column + 1}); indent it less, to {above_column} spaces"
            )
        break
    return "a value that contains ': ' must be put in quotes, e.g. message: \"a: b\""


def builder_hint(node: Any) -> str | None:
    """Why a map or list sits where a key was expected, when the text shows an unquoted `{{ expression }}`."""
    mark = getattr(node, "start_mark", None)
    buffer = getattr(mark, "buffer", None)
    pointer = getattr(mark, "pointer", None)
    # The inner map of `{{ x }}` starts at its second brace.
    if (
        isinstance(buffer, str)
        and isinstance(pointer, int)
        and "{{" in buffer[max(0, pointer - 1) : pointer + 2]
    ):
        return 'a value that starts with {{ must be put in quotes, e.g. message: "{{ outputs.x }}"'
    return None
