"""Avro to and from Ion (io.kestra.plugin.serdes.avro): IonToAvro (formerly AvroWriter) and AvroToIon
(AvroReader), with fastavro (the `serdes` extra)."""

from __future__ import annotations

import asyncio
import importlib
import json
from itertools import islice
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.plugins.serdes import avro_schema
from legato.plugins.serdes.avro_base import AvroConversion
from legato.plugins.serdes.base import Conversion, IntProp, kestra_names, read_ion, write_ion


def fastavro() -> Any:
    return importlib.import_module("fastavro")


@TASKS.register
class IonToAvro(AvroConversion):
    """Convert an Ion file to the Avro format, with the `schema` given or one inferred from the data.
    Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.avro.IonToAvro"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("avro", "IonToAvro", "AvroWriter")
    REQUIRES: ClassVar[tuple[str, ...]] = ("fastavro",)
    EXTENSION: ClassVar[str] = ".avro"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_avro
type: io.kestra.plugin.serdes.avro.IonToAvro
from: "{{ outputs.to_ion.uri }}"
schema: |
  {
    "type": "record",
    "name": "Product",
    "fields": [
      {"name": "id", "type": "int"},
      {"name": "name", "type": ["null", "string"]},
      {"name": "price", "type": ["null", "double"]}
    ]
  }
""",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        module = fastavro()
        try:
            parsed = module.parse_schema(self._schema)
        except Exception as exc:  # fastavro raises several kinds for a bad schema
            raise TaskFailed(f"invalid Avro schema: {exc}") from None
        counted = _Counted(self.records(ctx, source))
        with open(out.path, "wb") as target:  # fastavro seeks: it writes the file itself
            module.writer(target, parsed, counted, codec="null")
        return counted.count


class _Counted:
    def __init__(self, items: Any) -> None:
        self.items, self.count = items, 0

    def __iter__(self) -> Any:
        for item in self.items:
            self.count += 1
            yield item


@TASKS.register
class AvroToIon(Conversion):
    """Convert an Avro file to the Amazon Ion format, one record per Avro record. Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.avro.AvroToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("avro", "AvroToIon", "AvroReader")
    REQUIRES: ClassVar[tuple[str, ...]] = ("fastavro",)
    EXTRA: ClassVar[str] = "serdes"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: avro_to_ion
type: io.kestra.plugin.serdes.avro.AvroToIon
from: "{{ outputs.download.uri }}"
""",
    )

    onBadLines: Literal["ERROR", "WARN", "SKIP"] | Expression = Field(
        default="ERROR",
        description="How to handle bad records (accepted; an unreadable Avro block always fails).",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        try:
            return write_ion(out, iter(fastavro().reader(source)))
        except (ValueError, EOFError, StopIteration) as exc:
            raise TaskFailed(f"not a readable Avro file: {exc}") from None


@TASKS.register
class InferAvroSchemaFromIon(RunnableTask):
    """Infer an Avro schema from the first `numberOfRowsToScan` rows of an Ion file, as IonToAvro and
    IonToParquet do, and store it as an `.avsc` file (pass it on with `schema: "{{ read(outputs.infer.uri) }}"`).
    Outputs `uri`."""

    TYPE: ClassVar[str] = "serdes.avro.InferAvroSchemaFromIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("avro", "InferAvroSchemaFromIon")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: infer
type: io.kestra.plugin.serdes.avro.InferAvroSchemaFromIon
from: "{{ outputs.previous_task.uri }}"
numberOfRowsToScan: 100
""",
    )

    from_: str = Field(alias="from", description="Ion source file URI.")
    numberOfRowsToScan: IntProp = Field(
        default=100, description="The number of rows scanned to infer the schema."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        rows = render_as(ctx, self.numberOfRowsToScan, int, "numberOfRowsToScan")
        if rows < 1:
            raise TaskFailed("property 'numberOfRowsToScan': Number of rows to scan must be greater than 0")
        return await asyncio.to_thread(self._infer, ctx, uri, rows)

    def _infer(self, ctx: RunContext, uri: str, rows: int) -> dict[str, Any]:
        with stream.opened(ctx, uri) as source:
            try:
                schema = avro_schema.infer_all(islice(read_ion(source), rows))
            except ValueError as exc:
                raise TaskFailed(str(exc)) from None
        with stream.Output(ctx, f"{ctx.task_run.task_id}.avsc") as out:
            out.write(json.dumps(schema).encode())
            return {"uri": out.save()}
