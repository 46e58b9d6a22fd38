"""SQL text as the JDBC tasks need it: split into statements, and placeholders translated for the driver.

A small scanner tells code from string literals ('...', "...", `...`, PostgreSQL's $tag$...$tag$) and
comments (--, /* */), so a `;` or `:name` inside them is left alone, and `::` (a PostgreSQL cast) is no
parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

Kind = Literal["code", "text", "comment"]
_DOLLAR = re.compile(r"\$([A-Za-z_]\w*)?\$")
_NAME = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def scan(sql: str) -> Iterator[tuple[Kind, str]]:
    """The pieces of `sql` in order, each code, a literal (text) or a comment."""
    i, start, n = 0, 0, len(sql)
    while i < n:
        c = sql[i]
        end = -1
        kind: Kind = "text"
        if c in "'\"`":
            end = _closing_quote(sql, i, c)
        elif c == "-" and sql.startswith("--", i):
            newline = sql.find("\n", i)
            end, kind = (n if newline < 0 else newline), "comment"
        elif c == "/" and sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            end, kind = (n if close < 0 else close + 2), "comment"
        elif c == "$" and (match := _DOLLAR.match(sql, i)) and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
            close = sql.find(match.group(0), match.end())
            end = n if close < 0 else close + len(match.group(0))
        if end < 0:
            i += 1
            continue
        if start < i:
            yield "code", sql[start:i]
        yield kind, sql[i:end]
        i = start = end
    if start < n:
        yield "code", sql[start:]


def _closing_quote(sql: str, i: int, quote: str) -> int:
    j = i + 1
    while j < len(sql):
        if sql[j] == "\\" and quote != "`":
            j += 2
            continue
        if sql[j] == quote:
            if sql.startswith(quote * 2, j):
                j += 2
                continue
            return j + 1
        j += 1
    return len(sql)


def split_statements(sql: str) -> list[str]:
    """The statements of `sql` (separated by `;`), stripped, empty ones and bare comments dropped."""
    statements: list[str] = []
    current: list[str] = []
    meaningful = False
    for kind, piece in scan(sql):
        if kind != "code":
            current.append(piece)
            meaningful = meaningful or kind == "text"
            continue
        parts = piece.split(";")
        for k, part in enumerate(parts):
            if k:
                if meaningful:
                    statements.append("".join(current).strip())
                current, meaningful = [], False
            current.append(part)
            meaningful = meaningful or bool(part.strip())
    if meaningful:
        statements.append("".join(current).strip())
    return statements


def bind_named(sql: str, parameters: Mapping[str, Any], marker: str) -> tuple[str, list[Any]]:
    """Kestra's `:name` placeholders → the driver's positional `marker` (%s, ?, or :n numbered from 1), with
    the values in order. Names absent from `parameters` are left as they are; with the `%s` marker every
    literal % is doubled."""
    values: list[Any] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in parameters:
            return match.group(0)
        values.append(parameters[name])
        return f":{len(values)}" if marker == ":n" else marker

    pieces = []
    for kind, piece in scan(sql):
        escaped = piece.replace("%", "%%") if marker == "%s" else piece
        pieces.append(_NAME.sub(replace, escaped) if kind == "code" else escaped)
    return "".join(pieces), values


def positional(sql: str, marker: str) -> str:
    """JDBC's `?` placeholders (Batch) → the driver's `marker`."""
    if marker == "?":
        return sql
    pieces = []
    count = 0
    for kind, piece in scan(sql):
        escaped = piece.replace("%", "%%") if marker == "%s" else piece
        if kind == "code" and marker == ":n":
            parts = escaped.split("?")
            numbered = [parts[0]]
            for part in parts[1:]:
                count += 1
                numbered.append(f":{count}{part}")
            escaped = "".join(numbered)
        elif kind == "code":
            escaped = escaped.replace("?", marker)
        pieces.append(escaped)
    return "".join(pieces)


def placeholders(sql: str) -> int:
    """How many `?` placeholders the code of `sql` has."""
    return sum(piece.count("?") for kind, piece in scan(sql) if kind == "code")


def first_keyword(statement: str) -> str:
    """The statement's first word, upper-cased (comments skipped)."""
    for kind, piece in scan(statement):
        if kind == "code" and piece.strip():
            return piece.split()[0].strip("(").upper()
        if kind == "text":
            return ""
    return ""
