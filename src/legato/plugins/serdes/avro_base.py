"""Kestra's AbstractAvroConverter: the properties IonToAvro and IonToParquet share to turn Ion records into
records of an Avro schema, given (`schema`) or inferred from the first `numberOfRowsToScan` records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression
from legato.plugins.serdes import avro_schema
from legato.plugins.serdes.base import BoolProp, CharProp, Conversion, IntProp, StrList, read_ion

NULL_VALUES = [
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "1.#IND",
    "1.#QNAN",
    "NA",
    "n/a",
    "nan",
    "null",
]


class AvroConversion(Conversion):
    """Ion records converted to an Avro schema's types."""

    EXTRA: ClassVar[str] = "serdes"

    schema_: str | None = Field(
        default=None,
        alias="schema",
        description="The Avro schema associated with the data (JSON). If empty, it is inferred from the data; "
        "see numberOfRowsToScan.",
    )
    numberOfRowsToScan: IntProp = Field(
        default=100, description="Number of rows scanned to infer the schema."
    )
    trueValues: StrList = Field(
        default=["t", "true", "enabled", "1", "on", "yes"], description="Values to consider as True."
    )
    falseValues: StrList = Field(
        default=["f", "false", "disabled", "0", "off", "no", ""], description="Values to consider as False."
    )
    nullValues: StrList = Field(default=NULL_VALUES, description="Values to consider as null.")
    dateFormat: str = Field(
        default="yyyy-MM-dd[XXX]", description="Format to use when parsing dates (ISO-8601 text is read)."
    )
    timeFormat: str = Field(
        default="HH:mm[:ss][.SSSSSS][XXX]",
        description="Format to use when parsing times (ISO-8601 text is read).",
    )
    datetimeFormat: str = Field(
        default="yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]",
        description="Format to use when parsing datetimes (ISO-8601 text is read).",
    )
    decimalSeparator: CharProp = Field(
        default=".", description="Character to recognize as decimal point (',' for European data)."
    )
    strictSchema: BoolProp = Field(
        default=False, description="Fail on a field present in the data but not declared in the schema."
    )
    inferAllFields: BoolProp = Field(
        default=False, description="Scan every row (not numberOfRowsToScan) to infer the schema."
    )
    timeZoneId: str | None = Field(
        default=None,
        description="Timezone to use when no timezone can be parsed on the source (accepted; local timestamps stay local).",
    )
    onBadLines: Literal["ERROR", "WARN", "SKIP"] | Expression = Field(
        default="ERROR",
        description="How to handle bad records (a null in a non-nullable field, a type mismatch).",
    )

    def avro_schema(self, ctx: RunContext, uri: str) -> Any:
        """The schema given, or one inferred from the file's first records."""
        if self.schema_:
            text = ctx.render_string(self.schema_)
            try:
                return json.loads(text)
            except ValueError as exc:
                raise TaskFailed(f"property 'schema': not a JSON Avro schema ({exc})") from None
        scan = None if self.prop(ctx, "inferAllFields", bool) else self.prop(ctx, "numberOfRowsToScan", int)
        if scan is not None and scan < 1:
            raise TaskFailed("property 'numberOfRowsToScan': must be greater than 0")
        with stream.opened(ctx, uri) as source:
            try:
                return avro_schema.infer_all(islice(read_ion(source), scan))
            except ValueError as exc:
                raise TaskFailed(str(exc)) from None

    def _convert_file(self, ctx: RunContext, uri: str) -> dict[str, Any]:
        self._schema = self.avro_schema(ctx, uri)
        return super()._convert_file(ctx, uri)

    def records(self, ctx: RunContext, source: BinaryIO) -> Iterator[Any]:
        """The records of the Ion file, converted to the schema; bad ones fail, warn or are skipped (onBadLines)."""
        rules = avro_schema.TextRules(
            frozenset(v.lower() for v in self.prop(ctx, "trueValues", list[str])),
            frozenset(v.lower() for v in self.prop(ctx, "falseValues", list[str])),
            frozenset(self.prop(ctx, "nullValues", list[str])),
            self.prop(ctx, "decimalSeparator", str),
            self.prop(ctx, "strictSchema", bool),
        )
        converter = avro_schema.Converter(self._schema, rules)
        bad = self.prop(ctx, "onBadLines", Literal["ERROR", "WARN", "SKIP"])
        for number, row in enumerate(read_ion(source), 1):
            try:
                yield converter.record(row)
            except avro_schema.BadRecord as exc:
                if bad == "ERROR":
                    raise TaskFailed(f"record {number}: {exc}") from None
                if bad == "WARN":
                    ctx.logger.warn(f"Bad record {number} skipped: {exc}")

    _schema: Any = None
