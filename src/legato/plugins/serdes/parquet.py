"""Parquet to and from Ion (io.kestra.plugin.serdes.parquet): IonToParquet (formerly ParquetWriter) and
ParquetToIon (ParquetReader), with pyarrow (the `serdes` extra). Records go through an Avro schema, given or
inferred, as in Kestra; rows are written in row groups of about `rowGroupSize` bytes and read back batch by
batch, so memory holds one row group."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any, BinaryIO, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression
from legato.plugins.serdes.avro_base import AvroConversion
from legato.plugins.serdes.base import Conversion, IntProp, kestra_names, write_ion

BATCH_ROWS = 10_000
DEFAULT_ROW_GROUP = 128 * 1024 * 1024  # Parquet's default block size
DEFAULT_PAGE = 1024 * 1024


def pyarrow() -> tuple[Any, Any]:
    """pyarrow and pyarrow.parquet."""
    return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")


def arrow_type(pa: Any, schema: Any, named: dict[str, Any]) -> tuple[Any, bool]:
    """The Arrow type of an Avro schema, and whether it is nullable."""
    if isinstance(schema, list):
        rest = [s for s in schema if s != "null"]
        inner, _ = arrow_type(pa, rest[0], named) if len(rest) == 1 else (pa.string(), True)
        return inner, "null" in schema
    if isinstance(schema, str) and schema in named:
        return arrow_type(pa, named[schema], named)
    kind = schema["type"] if isinstance(schema, dict) else schema
    logical = schema.get("logicalType") if isinstance(schema, dict) else None
    if isinstance(kind, dict | list):
        return arrow_type(pa, kind, named)
    logical_types = {
        "date": pa.date32(),
        "time-millis": pa.time32("ms"),
        "time-micros": pa.time64("us"),
        "timestamp-millis": pa.timestamp("ms", tz="UTC"),
        "timestamp-micros": pa.timestamp("us", tz="UTC"),
        "local-timestamp-millis": pa.timestamp("ms"),
        "local-timestamp-micros": pa.timestamp("us"),
        "uuid": pa.string(),
    }
    if logical in logical_types:
        return logical_types[logical], False
    if logical == "decimal":
        return pa.decimal128(int(schema.get("precision", 38)), int(schema.get("scale", 0))), False
    if kind == "record":
        named[schema["name"]] = schema
        fields = []
        for f in schema["fields"]:
            tp, nullable = arrow_type(pa, f["type"], named)
            fields.append(pa.field(f["name"], tp, nullable=nullable))
        return pa.struct(fields), False
    if kind == "array":
        return pa.list_(arrow_type(pa, schema["items"], named)[0]), False
    if kind == "map":
        return pa.map_(pa.string(), arrow_type(pa, schema["values"], named)[0]), False
    primitives = {
        "null": pa.null(),
        "boolean": pa.bool_(),
        "int": pa.int32(),
        "long": pa.int64(),
        "float": pa.float32(),
        "double": pa.float64(),
        "bytes": pa.binary(),
        "fixed": pa.binary(),
        "string": pa.string(),
        "enum": pa.string(),
    }
    if kind not in primitives:
        raise TaskFailed(f"Avro type {kind} has no Parquet equivalent here")
    return primitives[kind], kind == "null"


@TASKS.register
class IonToParquet(AvroConversion):
    """Convert an Ion file to the Parquet format, with the Avro `schema` given or one inferred from the data.
    Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.parquet.IonToParquet"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("parquet", "IonToParquet", "ParquetWriter")
    REQUIRES: ClassVar[tuple[str, ...]] = ("pyarrow",)
    EXTENSION: ClassVar[str] = ".parquet"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: to_parquet
type: io.kestra.plugin.serdes.parquet.IonToParquet
from: "{{ outputs.to_ion.uri }}"
compressionCodec: SNAPPY
""",
    )

    compressionCodec: Literal["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"] | Expression = Field(
        default="GZIP", description="Compression codec."
    )
    parquetVersion: Literal["V1", "V2"] | Expression = Field(
        default="V2", description="Parquet format version."
    )
    rowGroupSize: IntProp = Field(default=DEFAULT_ROW_GROUP, description="Target row group size (bytes).")
    pageSize: IntProp = Field(default=DEFAULT_PAGE, description="Target page size (bytes).")
    dictionaryPageSize: IntProp = Field(default=DEFAULT_PAGE, description="Max dictionary page size (bytes).")

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        pa, pq = pyarrow()
        root, _ = arrow_type(pa, self._schema, {})
        schema = pa.schema(list(root))
        codec = self.prop(ctx, "compressionCodec", Literal["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"])
        version = "1.0" if self.prop(ctx, "parquetVersion", Literal["V1", "V2"]) == "V1" else "2.6"
        group_bytes = self.prop(ctx, "rowGroupSize", int)
        count = 0
        with pq.ParquetWriter(
            str(out.path),
            schema,
            compression="NONE" if codec == "UNCOMPRESSED" else codec,
            version=version,
            data_page_size=self.prop(ctx, "pageSize", int),
            dictionary_pagesize_limit=self.prop(ctx, "dictionaryPageSize", int),
        ) as writer:
            pending: list[Any] = []
            pending_bytes = 0
            for rows in _batches(self.records(ctx, source)):
                batch = pa.RecordBatch.from_pylist(rows, schema=schema)
                pending.append(batch)
                pending_bytes += batch.nbytes
                count += len(rows)
                if pending_bytes >= group_bytes:
                    writer.write_table(pa.Table.from_batches(pending), row_group_size=1 << 62)
                    pending, pending_bytes = [], 0
            if pending:
                writer.write_table(pa.Table.from_batches(pending), row_group_size=1 << 62)
        return count


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


@TASKS.register
class ParquetToIon(Conversion):
    """Convert a Parquet file to the Amazon Ion format, one record per row. Outputs `uri` and `size`."""

    TYPE: ClassVar[str] = "serdes.parquet.ParquetToIon"
    ALIASES: ClassVar[tuple[str, ...]] = kestra_names("parquet", "ParquetToIon", "ParquetReader")
    REQUIRES: ClassVar[tuple[str, ...]] = ("pyarrow",)
    EXTRA: ClassVar[str] = "serdes"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: parquet_to_ion
type: io.kestra.plugin.serdes.parquet.ParquetToIon
from: "{{ outputs.download.uri }}"
""",
    )

    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        pa, pq = pyarrow()
        try:
            parquet = pq.ParquetFile(source)
        except (pa.ArrowException, OSError) as exc:
            raise TaskFailed(f"not a readable Parquet file: {exc}") from None

        def rows() -> Iterator[Any]:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                yield from batch.to_pylist()

        return write_ion(out, rows())
