"""Previews of stored files for the UI: the first rows of CSV, JSON (array or one document per line) and
ION files, the first characters of text, images as base64. Only the first MAX_BYTES are ever read."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from typing import Any

MAX_BYTES = 1024 * 1024
IMAGES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
          "bmp": "image/bmp"}
MAX_IMAGE = 10 * 1024 * 1024


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def preview(name: str, head: bytes, size: int, rows: int) -> dict[str, Any]:
    """What the UI shows of a file: `head` is its beginning (all of it when size <= len(head))."""
    ext = extension(name)
    cut = size > len(head)
    body: dict[str, Any] = {"extension": ext, "size": size, "truncated": cut}
    if ext in IMAGES:
        if cut:
            return body | {"type": "NONE", "content": None}
        return body | {"type": "IMAGE", "content": f"data:{IMAGES[ext]};base64," + base64.b64encode(head).decode()}
    text = _text(head, cut)
    if text is None:
        return body | {"type": "NONE", "content": None}
    readers = {"csv": _csv, "tsv": _tsv, "json": _json, "jsonl": _lines, "ndjson": _lines, "ion": _ion}
    reader = readers.get(ext)
    if reader is not None:
        try:
            found, more = reader(text, rows, cut)
            return body | {"type": "LIST", "content": found, "truncated": more}
        except (ValueError, csv.Error):
            pass  # not what its name says: shown as text
    limit = rows * 200
    return body | {"type": "TEXT", "content": text[:limit], "truncated": cut or len(text) > limit}


def _text(head: bytes, cut: bool) -> str | None:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if cut and exc.start >= len(head) - 3:  # a character split by the cut
            return head[:exc.start].decode("utf-8")
        return None


def _complete_lines(text: str, cut: bool) -> list[str]:
    lines = text.splitlines()
    return lines[:-1] if cut and lines else lines  # the last line of a cut file may be partial


def _csv(text: str, rows: int, cut: bool, delimiter: str = ",") -> tuple[list[Any], bool]:
    lines = _complete_lines(text, cut)
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    out: list[Any] = []
    for row in reader:
        if len(out) == rows:
            return out, True
        out.append(dict(row))
    return out, cut


def _tsv(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    return _csv(text, rows, cut, "\t")


def _json(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    if cut:
        return _lines(text, rows, cut)
    value = json.loads(text)
    if isinstance(value, list):
        return value[:rows], len(value) > rows
    return [value], False


def _lines(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    lines = [ln for ln in _complete_lines(text, cut) if ln.strip()]
    return [json.loads(ln) for ln in lines[:rows]], cut or len(lines) > rows


def _ion(text: str, rows: int, cut: bool) -> tuple[list[Any], bool]:
    body = "\n".join(_complete_lines(text, cut))
    reader = IonText(body)
    out: list[Any] = []
    while reader.more():
        if len(out) == rows:
            return out, True
        out.append(reader.value())
    return out, cut


_TOKEN = re.compile(r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<symbol>'(?:[^'\\\n]|\\.)*')
  | (?P<blob>\{\{.*?\}\})
  | (?P<stamp>\d{4}-\d{2}(?:-\d{2})?(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?)?(?![\w-]))
  | (?P<punct>::|[{}\[\]():,])
  | (?P<atom>[^\s{}\[\]():,"']+)
""", re.VERBOSE | re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'", "/": "/", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v"}


def _unescape(raw: str) -> str:
    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)",
                  lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] in "ux" and len(m.group(1)) > 1
                  else _ESCAPES.get(m.group(1), m.group(1)), raw)


class IonText:
    """A reader of Amazon Ion text as Kestra writes row files: one top-level value after another (structs,
    lists, s-expressions, strings, symbols, numbers, timestamps, null, booleans, blobs; annotations dropped).
    Timestamps and decimals come back as their text; ValueError on anything else."""

    def __init__(self, text: str) -> None:
        self._tokens: list[tuple[str | None, str]] = []
        at = 0
        while at < len(text):
            found = _TOKEN.match(text, at)
            if found is None:
                raise ValueError(f"not Ion text at character {at}")
            if found.lastgroup != "space":
                self._tokens.append(("atom" if found.lastgroup == "stamp" else found.lastgroup, found.group()))
            at = found.end()
        self._at = 0

    def more(self) -> bool:
        return self._at < len(self._tokens)

    def _next(self) -> tuple[str | None, str]:
        if self._at >= len(self._tokens):
            raise ValueError("unexpected end of Ion text")
        token = self._tokens[self._at]
        self._at += 1
        return token

    def _peek(self) -> str | None:
        return self._tokens[self._at][1] if self._at < len(self._tokens) else None

    def value(self) -> Any:
        kind, text = self._next()
        while self._peek() == "::":  # an annotation: skip it
            self._at += 1
            kind, text = self._next()
        if text == "{":
            return self._struct()
        if text in ("[", "("):
            return self._sequence("]" if text == "[" else ")")
        if kind == "string":
            return _unescape(text[1:-1])
        if kind == "long":
            parts = []
            while True:
                parts.append(_unescape(text[3:-3]))
                if self._at < len(self._tokens) and self._tokens[self._at][0] == "long":
                    _, text = self._next()
                    continue
                return "".join(parts)
        if kind == "symbol":
            return _unescape(text[1:-1])
        if kind == "blob":
            return text[2:-2].strip()
        if kind == "atom":
            return _atom(text)
        raise ValueError(f"unexpected {text!r} in Ion text")

    def _struct(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self._peek() != "}":
            kind, name = self._next()
            key = _unescape(name[1:-1]) if kind in ("string", "symbol") else name
            if self._next()[1] != ":":
                raise ValueError("expected ':' in an Ion struct")
            out[key] = self.value()
            if self._peek() == ",":
                self._at += 1
        self._at += 1
        return out

    def _sequence(self, end: str) -> list[Any]:
        out = []
        while self._peek() != end:
            if self._peek() is None:
                raise ValueError("unterminated Ion list")
            out.append(self.value())
            if self._peek() == ",":
                self._at += 1
        self._at += 1
        return out


def _atom(text: str) -> Any:
    if text == "true" or text == "false":
        return text == "true"
    if text == "null" or text.startswith("null."):
        return None
    if re.fullmatch(r"[+-]?(0|[1-9][0-9_]*)", text):
        return int(text.replace("_", ""))
    if re.fullmatch(r"[+-]?\d[\d_]*(\.\d*)?([eE][+-]?\d+)", text):
        return float(text.replace("_", ""))
    if re.fullmatch(r"0[xX][0-9a-fA-F_]+", text):
        return int(text.replace("_", ""), 16)
    return text  # decimals (1.5, 2d3), timestamps and plain symbols keep their text
