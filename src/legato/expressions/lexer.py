"""Split template text into tokens: text, delimiters, and the tokens of expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from legato.expressions.errors import ExpressionError

TEXT, PRINT_OPEN, PRINT_CLOSE, TAG_OPEN, TAG_CLOSE = "text", "{{", "}}", "{%", "%}"
NAME, NUMBER, STRING, OP, EOF = "name", "number", "string", "op", "eof"
INTERPOLATED = "interpolated"  # "a #{expr} b": value is a list of str parts and (source, pos) expressions


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: Any
    line: int
    column: int


_OPEN = re.compile(r"\{\{|\{%|\{#")
_COMMENT_END = re.compile(r"-?#\}")
_RAW_START = re.compile(r"\s*(?:raw|verbatim)\s*(-?)%\}")  # Kestra documents raw, Pebble verbatim
_RAW_END = re.compile(r"\{%(-?)\s*end(?:raw|verbatim)\s*(-?)%\}")
_SPACE = re.compile(r"\s+")
_OPERATORS = ("???", "??", "..", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
              "|", "(", ")", "[", "]", "{", "}", ",", ":", ".", "?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0",
            "\\": "\\", "'": "'", '"': '"'}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_TOKEN = re.compile(
    r"(?P<str>['\"])|(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>"
    + "|".join(re.escape(op) for op in _OPERATORS) + ")"
)


class Lexer:
    """Tokenizes one template; `tokens()` returns the list ending with EOF."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[Token] = []
        self.strip_next = False
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def where(self, pos: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, pos - self._line_starts[lo] + 1

    def fail(self, message: str, pos: int) -> ExpressionError:
        line, col = self.where(pos)
        return ExpressionError(message, expression=self.src, line=line, column=col)

    def tokens(self) -> list[Token]:
        src = self.src
        while self.pos < len(src):
            m = _OPEN.search(src, self.pos)
            if m is None:
                self._text(src[self.pos:], self.pos)
                break
            self._text(src[self.pos:m.start()], self.pos)
            start = m.start()
            self.pos = m.end()
            trim_left = src.startswith("-", self.pos)
            if trim_left:
                self.pos += 1
                self._rstrip_last()
            kind = m.group()
            if kind == "{#":
                self._comment(start)
            elif kind == "{%" and (raw := _RAW_START.match(src, self.pos)):
                self._raw(start, raw)
            else:
                self._expression(kind, start)
        self.out.append(Token(EOF, None, *self.where(len(src))))
        return self.out

    def _text(self, text: str, pos: int) -> None:
        if self.strip_next:
            text = text.lstrip()
            self.strip_next = False
        if text:
            self.out.append(Token(TEXT, text, *self.where(pos)))

    def _rstrip_last(self) -> None:
        if self.out and self.out[-1].kind == TEXT:
            last = self.out.pop()
            text = last.value.rstrip()
            if text:
                self.out.append(Token(TEXT, text, last.line, last.column))

    def _comment(self, start: int) -> None:
        m = _COMMENT_END.search(self.src, self.pos)
        if m is None:
            raise self.fail("Unclosed comment '{#'", start)
        self.pos = m.end()
        self.strip_next = m.group().startswith("-")

    def _raw(self, start: int, raw: re.Match[str]) -> None:
        end = _RAW_END.search(self.src, raw.end())
        if end is None:
            raise self.fail("Unclosed '{% raw %}' block (expected '{% endraw %}')", start)
        text = self.src[raw.end():end.start()]
        if raw.group(1):
            text = text.lstrip()
        if end.group(1):
            text = text.rstrip()
        self.pos = end.end()
        if text:
            self.out.append(Token(TEXT, text, *self.where(raw.end())))
        self.strip_next = bool(end.group(2))

    def _expression(self, kind: str, start: int) -> None:
        closer = "}}" if kind == "{{" else "%}"
        self.out.append(Token(kind, kind, *self.where(start)))
        src, stack = self.src, list[str]()
        while True:
            m = _SPACE.match(src, self.pos)
            if m:
                self.pos = m.end()
            if self.pos >= len(src):
                raise self.fail(f"Unclosed '{kind}' (expected '{closer}')", start)
            if not stack:
                trim = src.startswith("-" + closer, self.pos)
                if trim or src.startswith(closer, self.pos):
                    self.out.append(Token(closer, closer, *self.where(self.pos)))
                    self.pos += len(closer) + (1 if trim else 0)
                    self.strip_next = trim
                    return
            tok = self._one(start)
            if tok.kind == OP and tok.value in _CLOSERS:
                stack.append(_CLOSERS[tok.value])
            elif tok.kind == OP and tok.value in (")", "]", "}") and (not stack or stack.pop() != tok.value):
                raise self.fail(f"Unexpected '{tok.value}'", self.pos - 1)
            self.out.append(tok)

    def _one(self, start: int) -> Token:
        src, pos = self.src, self.pos
        m = _TOKEN.match(src, pos)
        if m is None:
            raise self.fail(f"Unexpected character {src[pos]!r}", pos)
        line, col = self.where(pos)
        kind = m.lastgroup
        text = m.group()
        if kind == "str":
            value, self.pos = self._string(pos)
            if isinstance(value, list):
                return Token(INTERPOLATED, value, line, col)
            return Token(STRING, value, line, col)
        self.pos = m.end()
        if kind == "num":
            return Token(NUMBER, float(text) if "." in text else int(text), line, col)
        if kind == "name":
            return Token(NAME, text, line, col)
        return Token(OP, text, line, col)

    def _string(self, pos: int) -> tuple[str | list[Any], int]:
        src, quote = self.src, self.src[pos]
        parts: list[str] = []
        pieces: list[Any] = []  # Pebble's interpolation in double quotes: "#{ expr }"
        i = pos + 1
        while i < len(src):
            ch = src[i]
            if ch == quote:
                if not pieces:
                    return "".join(parts), i + 1
                pieces.append("".join(parts))
                return pieces, i + 1
            if ch == "#" and quote == '"' and src.startswith("#{", i):
                end = self._interpolation_end(i + 2)
                pieces.append("".join(parts))
                pieces.append((src[i + 2:end], i + 2))
                parts = []
                i = end + 1
                continue
            if ch == "\\" and i + 1 < len(src):
                i = self._escape(parts, i + 1)
                continue
            parts.append(ch)
            i += 1
        raise self.fail("Unclosed string literal", pos)

    def _interpolation_end(self, i: int) -> int:
        depth, src = 1, self.src
        while i < len(src):
            ch = src[i]
            if ch in "'\"":
                _, i = self._string(i)
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        raise self.fail("Unclosed '#{' in string", i)

    def _escape(self, parts: list[str], i: int) -> int:
        src, ch = self.src, self.src[i]
        width = {"x": 2, "u": 4}.get(ch)
        if width is not None:
            digits = src[i + 1:i + 1 + width]
            if len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
                parts.append(chr(int(digits, 16)))
                return i + 1 + width
        if ch in _ESCAPES:
            parts.append(_ESCAPES[ch])
        else:
            parts.append("\\" + ch)
        return i + 1


def tokenize(source: str) -> list[Token]:
    """Tokens of a template; raises ExpressionError on unclosed delimiters or bad characters."""
    return Lexer(source).tokens()
