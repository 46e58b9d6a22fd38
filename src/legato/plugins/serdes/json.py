"""JSON to and from Ion (io.kestra.plugin.serdes.json): JsonToIon (formerly JsonReader), IonToJson (JsonWriter)
and JsonToJsonl."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext
from legato.plugins.core import storage_stream as stream
from legato.plugins.serdes import jsonish
from legato.plugins.serdes.base import BoolProp, Conversion, kestra_names, read_ion, write_ion, write_lines


def json_values(ctx: RunContext, task: Conversion, source: BinaryIO, newline: bool) -> Iterator[Any]:
    """The records of a JSON file: one per line (JSONL), or the items of a top-level array, or the one value."""
    text = io.TextIOWrapper(source, encoding=task.encoding(ctx))
    try:
        if newline:
            for number, line in enumerate(text, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as exc:
                        raise ValueError(f"line {number} is not JSON: {exc}") from None
            return
        # One document: Python has no streaming JSON parser, so it is read whole (JSONL streams).
        whole = json.load(text)
        yield from whole if isinstance(whole, list) else [whole]
    finally:
        text.detach()


@TASKS.register
class JsonToIon(Conversion):
    """Convert a JSON file to the Amazon Ion format.

    With `newLine` (the default) each line is one JSON record (JSONL); without it the file is one JSON
    document, and a top-level array gives one record per item. Outputs `uri` and `size`.
    """

    TYPE: ClassVar[str] = "serdes.json.JsonToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("json", "JsonToIon", "JsonReader")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_ion
type: io.kestra.plugin.serdes.json.JsonToIon
from: "{{ outputs.http_download.uri }}"
newLine: false
""",
    )

    newLine: BoolProp = Field(default=True, description="Whether the file is newline-delimited JSON (JSONL).")

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        return write_ion(out, json_values(ctx, self, source, self.prop(ctx, "newLine", bool)))


@TASKS.register
class IonToJson(Conversion):
    """Convert an Ion file into JSONL (one record per line), or with `newLine: false` into one JSON document
    (an array when there are several records). Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.json.IonToJson"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("json", "IonToJson", "JsonWriter")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_json
type: io.kestra.plugin.serdes.json.IonToJson
from: "{{ outputs.to_ion.uri }}"
""",
    )

    newLine: BoolProp = Field(default=True, description="Whether to write newline-delimited JSON (JSONL).")
    timeZoneId: str | None = Field(
        default=None, description="Timezone to use when no timezone can be parsed on the source."
    )
    shouldKeepAnnotations: BoolProp = Field(
        default=False,
        description="Keep Ion annotations in the output JSON (accepted; annotations are dropped).",
    )

    def extension(self, ctx: RunContext) -> str:
        return ".jsonl" if self.prop(ctx, "newLine", bool) else ".json"

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        encoding = self.encoding(ctx)
        rows = read_ion(source)
        if self.prop(ctx, "newLine", bool):
            return write_lines(out, (jsonish.dumps(row) + "\n" for row in rows), encoding)
        first = next(rows, _NONE)
        if first is _NONE:
            return 0
        second = next(rows, _NONE)
        if second is _NONE:
            out.write(jsonish.dumps(first).encode(encoding))
            return 1
        out.write(("[" + jsonish.dumps(first) + "," + jsonish.dumps(second)).encode(encoding))
        count = 2 + write_lines(out, ("," + jsonish.dumps(row) for row in rows), encoding)
        out.write(b"]")
        return count


_NONE = object()


@TASKS.register
class JsonToJsonl(Conversion):
    """Convert a JSON file (an array, or one document) to JSONL, one record per line. Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.json.JsonToJsonl"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("json", "JsonToJsonl")
    EXTENSION: ClassVar[str] = ".jsonl"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_jsonl
type: io.kestra.plugin.serdes.json.JsonToJsonl
from: "{{ outputs.api_call.uri }}"
""",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        return write_lines(out, (jsonish.dumps(v) + "\n" for v in json_values(ctx, self, source, False)))
