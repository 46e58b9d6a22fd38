"""CSV to and from Ion (io.kestra.plugin.serdes.csv): CsvToIon (formerly CsvReader) and IonToCsv (CsvWriter)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from json.encoder import encode_basestring
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression
from legato.plugins.serdes.base import (
    BoolProp,
    CharProp,
    Conversion,
    IntProp,
    kestra_names,
    read_ion,
    write_lines,
)
from legato.plugins.serdes.text_writer import TextWriter
from legato.storage import ion

MAX_SIZE = 16 * 1024 * 1024
NULL = "\\N"  # a field of exactly these two characters is null


@TASKS.register
class CsvToIon(Conversion):
    """Convert a CSV file to the Amazon Ion format.

    Each row becomes a struct keyed by the header (or a list without header); every value stays text, and
    `\\N` is null. A leading UTF-8 byte-order mark is dropped; trailing unnamed header columns are dropped
    unless `onEmptyHeader` is RENAME. Outputs `uri` (the Ion file) and `size` (the number of records).
    """

    TYPE: ClassVar[str] = "serdes.csv.CsvToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("csv", "CsvToIon", "CsvReader")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_ion
type: io.kestra.plugin.serdes.csv.CsvToIon
from: "{{ outputs.http_download.uri }}"
""",
    )

    header: BoolProp = Field(default=True, description="Specifies if the first line should be the header.")
    fieldSeparator: CharProp = Field(default=",", description="The field separator character.")
    textDelimiter: CharProp = Field(default='"', description="The text delimiter character.")
    skipEmptyRows: BoolProp = Field(default=False, description="Specifies if empty rows should be skipped.")
    errorOnDifferentFieldCount: BoolProp | None = Field(
        default=None,
        description="Deprecated (use onBadLines): fail when a row has a different number of fields.",
    )
    onBadLines: Literal["ERROR", "WARN", "SKIP"] | Expression = Field(
        default="ERROR",
        description="How to handle bad lines (a line with a different number of fields): fail, log and skip, or skip.",
    )
    onEmptyHeader: Literal["DROP", "RENAME"] | Expression = Field(
        default="DROP",
        description="DROP removes trailing unnamed columns; RENAME keeps every column, naming unnamed ones col_0, col_1...",
    )
    skipRows: IntProp = Field(
        default=0, description="Number of lines to skip at the start of the file (after the header)."
    )
    maxBufferSize: IntProp = Field(default=MAX_SIZE, description="Maximum CSV parser buffer size (bytes).")
    allowExtraCharsAfterClosingQuote: BoolProp = Field(
        default=False, description="Allow extra characters after a closing quote."
    )
    maxFieldSize: IntProp = Field(default=MAX_SIZE, description="Maximum field size (characters).")

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        encoding = self.encoding(ctx)
        limit = self.prop(ctx, "maxFieldSize", int)
        csv.field_size_limit(max(limit, csv.field_size_limit()))  # process-wide: only ever raised
        text = io.TextIOWrapper(source, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="")
        rows = csv.reader(
            text,
            delimiter=self.prop(ctx, "fieldSeparator", str),
            quotechar=self.prop(ctx, "textDelimiter", str),
            strict=not self.prop(ctx, "allowExtraCharsAfterClosingQuote", bool),
        )
        try:
            return write_lines(out, self._lines(ctx, rows, limit))
        except csv.Error as exc:
            raise TaskFailed(f"CSV line {rows.line_num}: {exc}") from None
        finally:
            text.detach()

    def _bad_lines(self, ctx: RunContext) -> str:
        if self.errorOnDifferentFieldCount is not None and self.onBadLines == "ERROR":
            return "ERROR" if self.prop(ctx, "errorOnDifferentFieldCount", bool) else "SKIP"
        return str(self.prop(ctx, "onBadLines", Literal["ERROR", "WARN", "SKIP"]))

    def _lines(self, ctx: RunContext, rows: Any, limit: int) -> Iterator[str]:
        with_header = self.prop(ctx, "header", bool)
        skip = self.prop(ctx, "skipRows", int)
        skip_empty = self.prop(ctx, "skipEmptyRows", bool)
        bad = self._bad_lines(ctx)
        keys: list[str] = []
        struct = ""
        width = 0
        for row in rows:
            if not row:
                if skip_empty:
                    continue
                row = [""]
            if with_header and width == 0:
                keys, width = self._header(ctx, row)
                # one str.format per row, the escaping done by json's C encoder: the fast path of a row
                # without \N (null), about a third quicker than building each field in Python
                struct = (
                    "{{" + ",".join(k.replace("{", "{{").replace("}", "}}") + "{}" for k in keys) + "}}\n"
                )
                continue
            if skip > 0:
                skip -= 1
                continue
            if any(len(field) > limit for field in row):
                raise TaskFailed(f"CSV line {rows.line_num}: a field is longer than maxFieldSize ({limit})")
            if not with_header:
                yield (
                    "["
                    + ",".join(map(encode_basestring, row) if NULL not in row else map(_text, row))
                    + "]\n"
                )
                continue
            if len(row) != width:
                message = (
                    f"Bad line encountered (field count mismatch): Expected {width}, got {len(row)} fields."
                )
                if bad == "ERROR":
                    raise TaskFailed(f"CSV line {rows.line_num}: {message}")
                if bad == "WARN":
                    ctx.logger.warn(message)
                continue
            if NULL in row:
                yield "{" + ",".join([k + _text(v) for k, v in zip(keys, row, strict=False)]) + "}\n"
            else:
                yield struct.format(*map(encode_basestring, row))

    def _header(self, ctx: RunContext, names: list[str]) -> tuple[list[str], int]:
        """The Ion field prefixes (`name:`) of the kept columns, and the number of header fields."""
        mode = self.prop(ctx, "onEmptyHeader", Literal["DROP", "RENAME"])
        if mode == "RENAME":
            taken = set(names)
            named = []
            for index, name in enumerate(names):
                if not name:
                    name = next(
                        c
                        for c in (f"col_{index}" if n == 1 else f"col_{index}_{n}" for n in range(1, 10**6))
                        if c not in taken
                    )
                    taken.add(name)
                named.append(name)
            kept = named
        else:
            last = max((i for i, n in enumerate(names) if n), default=len(names) - 1)
            kept = names[: last + 1]
            if len(kept) < len(names):
                ctx.logger.warn(
                    f"Dropped {len(names) - len(kept)} trailing unnamed header column(s); their values are not emitted. "
                    "Set onEmptyHeader=RENAME to keep them."
                )
        # a name seen twice is written twice (Ion allows it); readers keep the last value, as Kestra does
        return [ion.symbol(name) + ":" for name in kept], len(names)


def _text(value: str) -> str:
    return "null" if value == NULL else str(encode_basestring(value))


class _Numeric(str):
    """Text the csv module's QUOTE_NONNUMERIC writes unquoted: it only looks for a number's slots."""

    __slots__ = ()

    def __float__(self) -> float:
        return float(self)


def _is_numeric(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return bool(body) and body.count(".") <= 1 and body.replace(".", "").isdigit() and body.isascii()


# csv.QUOTE_ALL, QUOTE_MINIMAL and QUOTE_NONNUMERIC
_QUOTING: dict[str, Literal[0, 1, 2]] = {"ALWAYS": 1, "REQUIRED": 0, "NON_NUMERIC": 2}


class _Sink:
    """A text writer over an Output, encoding each write."""

    def __init__(self, out: stream.Output, encoding: str) -> None:
        self.out, self.encoding = out, encoding

    def write(self, text: str) -> int:
        self.out.write(text.encode(self.encoding))
        return len(text)


@TASKS.register
class IonToCsv(TextWriter):
    """Convert an Ion file to the CSV format.

    Structs become rows under a header made of the first record's keys; lists become rows without header
    (they need `header: false`). Quoting follows `quoteMode` (REQUIRED by default). Outputs `uri` and `size`.
    """

    TYPE: ClassVar[str] = "serdes.csv.IonToCsv"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("csv", "IonToCsv", "CsvWriter")
    EXTENSION: ClassVar[str] = ".csv"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_csv
type: io.kestra.plugin.serdes.csv.IonToCsv
from: "{{ outputs.query.uri }}"
header: false
quoteMode: NON_NUMERIC
""",
    )

    header: BoolProp = Field(default=True, description="Specifies if the first line should be the header.")
    fieldSeparator: CharProp = Field(default=",", description="The field separator character.")
    textDelimiter: CharProp = Field(default='"', description="The text delimiter character.")
    lineDelimiter: str = Field(default="\n", description="The character used to separate rows.")
    alwaysDelimitText: BoolProp = Field(
        default=False, description="Deprecated (use quoteMode): always delimit fields with textDelimiter."
    )
    quoteMode: Literal["ALWAYS", "REQUIRED", "NON_NUMERIC"] | Expression | None = Field(
        default=None,
        description="When fields are quoted: ALWAYS, REQUIRED (only those with a separator, quote or newline) or "
        "NON_NUMERIC (all but integers and decimals). Takes precedence over alwaysDelimitText.",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        mode = self.prop(ctx, "quoteMode", Literal["ALWAYS", "REQUIRED", "NON_NUMERIC"])
        if mode is None:
            mode = "ALWAYS" if self.prop(ctx, "alwaysDelimitText", bool) else "REQUIRED"
        quoting = _QUOTING[mode]
        writer = csv.writer(
            _Sink(out, self.encoding(ctx)),
            delimiter=self.prop(ctx, "fieldSeparator", str),
            quotechar=self.prop(ctx, "textDelimiter", str),
            lineterminator=ctx.render_string(self.lineDelimiter),
            quoting=quoting,
        )
        printer = self.formatter(ctx)
        with_header = self.prop(ctx, "header", bool)

        def cells(values: Any) -> list[Any]:
            texts = [printer.text(v) for v in values]
            if mode == "NON_NUMERIC":
                return [
                    _Numeric(t) if t is not None and _is_numeric(t) else ("" if t is None else t)
                    for t in texts
                ]
            return texts

        count = 0
        first = True
        for row in read_ion(source):
            if isinstance(row, list):
                if with_header:
                    raise TaskFailed("Invalid data of type List with header: set header to false")
                writer.writerow(cells(row))
            elif isinstance(row, dict):
                if first and with_header:
                    writer.writerow(cells(row.keys()))
                writer.writerow(cells(row.values()))
            else:
                continue
            first = False
            count += 1
        return count
