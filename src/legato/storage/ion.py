"""Amazon Ion text, as Kestra stores rows in internal storage: a reader (whole text, or a stored file value by
value in bounded memory) and a writer.

Kestra writes one top-level value per line; the streaming reader takes a line at a time and joins lines only
while a value spans several (a long string, a struct written over lines), up to MAX_VALUE characters.
Typed reading gives timestamps as datetime/date, decimals as Decimal and blobs as bytes; untyped reading
(the UI's preview) keeps their text.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

MAX_VALUE = 64 * 1024 * 1024  # characters one top-level value may span

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*''')
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<symbol>'(?:[^'\\\n]|\\.)*')
  | (?P<blob>\{\{.*?\}\})
  | (?P<stamp>\d{4}-\d{2}(?:-\d{2})?(?:T(?:\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?)?(?![\w-]))
  | (?P<punct>::|[{}\[\]():,])
  | (?P<atom>[^\s{}\[\]():,"']+)
""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "0": "\0",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "/": "/",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unescape(raw: str) -> str:
    return re.sub(
        r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)",
        lambda m: (
            chr(int(m.group(1)[1:], 16))
            if m.group(1)[0] in "ux" and len(m.group(1)) > 1
            else _ESCAPES.get(m.group(1), m.group(1))
        ),
        raw,
    )


class IonText:
    """A reader of Amazon Ion text as Kestra writes row files: one top-level value after another (structs,
    lists, s-expressions, strings, symbols, numbers, timestamps, null, booleans, blobs; annotations dropped).
    Timestamps and decimals come back as their text; ValueError on anything else."""

    def __init__(self, text: str, *, typed: bool = False) -> None:
        self._typed = typed
        self._tokens: list[tuple[str | None, str]] = []
        at = 0
        while at < len(text):
            found = _TOKEN.match(text, at)
            if found is None:
                raise ValueError(f"not Ion text at character {at}")
            if found.lastgroup != "space":
                kind = "atom" if found.lastgroup == "stamp" and not typed else found.lastgroup
                self._tokens.append((kind, found.group()))
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
            return _blob(text[2:-2].strip()) if self._typed else text[2:-2].strip()
        if kind == "stamp":
            return _timestamp(text)
        if kind == "atom":
            return _typed_atom(text) if self._typed else _atom(text)
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


_DECIMAL = re.compile(r"[+-]?\d[\d_]*(\.[\d_]*)?([dD][+-]?\d+)?")
_SPECIAL_FLOATS = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf}


def _typed_atom(text: str) -> Any:
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    value = _atom(text)
    if isinstance(value, str) and _DECIMAL.fullmatch(text):
        try:
            return Decimal(text.replace("_", "").replace("d", "e").replace("D", "E"))
        except InvalidOperation:
            return value
    return value


def _blob(text: str) -> bytes | str:
    if text.startswith('"') or text.startswith("'''"):
        return text  # a clob: keep its text
    try:
        return base64.b64decode(text)
    except ValueError:
        return text


def _timestamp(text: str) -> Any:
    """An Ion timestamp: a date (day precision), a datetime (aware; naive for the unknown offset -00:00), or its
    text for the year and month precisions."""
    if "T" not in text or text.endswith("T"):
        day = text.rstrip("T")
        return date.fromisoformat(day) if len(day) == 10 else text
    naive = text.endswith("-00:00")
    stamp = text[:-6] if naive else text.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return text
    return parsed


# The common row, a struct of strings and numbers, is also JSON once its field names are quoted: read it
# with the json module (in C), decimals (no exponent) as Decimal and floats (with one) as float, as Ion does.
_JSON_KEYS = re.compile(r'("(?:[^"\\\n]|\\.)*")|([{,]\s*)([A-Za-z_$][\w$]*)(\s*:)')
_JSON = json.JSONDecoder(
    parse_float=lambda text: float(text) if "e" in text or "E" in text else Decimal(text)
)


def _quote_key(found: re.Match[str]) -> str:
    return found.group(1) or f'{found.group(2)}"{found.group(3)}"{found.group(4)}'


def _as_json(line: str) -> list[Any] | None:
    """The line's one value when it reads as JSON with bare field names; None when it needs the Ion reader."""
    try:
        return [_JSON.decode(_JSON_KEYS.sub(_quote_key, line))]
    except ValueError:
        return None


def values(stream: IO[bytes], *, typed: bool = True) -> Iterator[Any]:
    """Each top-level value of the Ion text in `stream`, reading it line by line (version markers skipped)."""
    pending = ""
    for raw in stream:
        text = pending + raw.decode("utf-8")
        if not text.strip():
            pending = ""
            continue
        if typed and not pending and (simple := _as_json(text)) is not None:
            yield from simple
            continue
        try:
            found = _all(text, typed)
        except ValueError as exc:
            if len(text) > MAX_VALUE:
                raise ValueError(
                    f"Ion value longer than {MAX_VALUE:,} characters or invalid: {exc}"
                ) from None
            pending = text
            continue
        pending = ""
        yield from found
    if pending.strip():
        yield from _all(pending, typed)


def _all(text: str, typed: bool) -> list[Any]:
    reader = IonText(text, typed=typed)
    out = []
    while reader.more():
        value = reader.value()
        if value != "$ion_1_0":
            out.append(value)
    return out


def loads(text: str, *, typed: bool = True) -> list[Any]:
    """Every top-level value of an Ion text."""
    return _all(text, typed) if text.strip() else []


_SYMBOL = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_RESERVED = frozenset({"null", "true", "false", "nan"})


def dumps(value: Any) -> str:
    """One value as Ion text (no newline): maps as structs, lists, strings, numbers, decimals, timestamps
    (datetime, date), blobs (bytes); a time of day is written as its ISO text, anything else as its str."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{symbol(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, datetime):
        return _datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _string(value.isoformat())
    if isinstance(value, bytes | bytearray | memoryview):
        return "{{" + base64.b64encode(bytes(value)).decode() + "}}"
    if isinstance(value, timedelta):
        return _string(str(value))
    return _string(str(value))


def _float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    text = repr(value)
    return text if "e" in text else text + "e0"


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        return _float(float(value))
    text = str(value)
    if "E" in text:
        mantissa, exponent = text.split("E")
        return f"{mantissa}d{int(exponent)}"
    return text if "." in text else text + "d0"


def _datetime(value: datetime) -> str:
    if value.tzinfo is None:
        return value.isoformat() + "-00:00"
    offset = value.utcoffset()
    text = value.isoformat()
    return text[:-6] + "Z" if offset == timedelta(0) and text.endswith("+00:00") else text


def _string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(ch, f"\\x{ord(ch):02x}"))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def symbol(key: str) -> str:
    """A struct field name: bare when it is an identifier, else quoted."""
    if _SYMBOL.fullmatch(key) and key not in _RESERVED:
        return key
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def utc_naive(value: datetime) -> datetime:
    """A datetime in UTC without its offset (naive datetimes are taken as UTC already)."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
