"""What every format conversion shares: the `from` file of internal storage read as a stream, one output file
written to a temporary file and stored, Kestra's outputs (`uri`, `size`: the number of records) and its
`records` metric, and typed properties that may also be expressions.

A conversion runs in a worker thread and holds one record (or one batch of them) at a time, whatever the
size of the file.
"""

from __future__ import annotations

import asyncio
import codecs
from abc import abstractmethod
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO, ClassVar, TypeAlias

from pydantic import Field, StringConstraints

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.storage import ion

Char: TypeAlias = Annotated[str, StringConstraints(min_length=1, max_length=1)]

KESTRA = "io.kestra.plugin.serdes"
BATCH = 2000  # lines joined before one write


def kestra_names(package: str, name: str, *old: str) -> tuple[str, ...]:
    """Kestra's class name of a conversion and its deprecated names (CsvReader, CsvWriter...)."""
    return (f"{KESTRA}.{package}.{name}", *(f"{KESTRA}.{package}.{o}" for o in old))


class Conversion(RunnableTask):
    """Base of the conversions: `convert` reads `source` and writes `out`, returning the number of records."""

    EXTENSION: ClassVar[str] = ".ion"

    from_: str = Field(
        alias="from", description="Source file URI (a file of internal storage, kestra:///...)."
    )
    charset: str = Field(
        default="UTF-8", description="The name of a supported charset (of the text read or written)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        return await asyncio.to_thread(self._convert_file, ctx, uri)

    def _convert_file(self, ctx: RunContext, uri: str) -> dict[str, Any]:
        with (
            stream.Output(ctx, f"{ctx.task_run.task_id}{self.extension(ctx)}") as out,
            stream.opened(ctx, uri) as source,
        ):
            try:
                size = self.convert(ctx, source, out)
            except (ValueError, UnicodeError, OSError) as exc:
                raise TaskFailed(f"{type(self).__name__} of {uri}: {exc}") from None
            result = {"uri": out.save(), "size": size}
        record_metric(ctx, size)
        return result

    def extension(self, ctx: RunContext) -> str:
        """The output file's extension (some depend on a property)."""
        return self.EXTENSION

    @abstractmethod
    def convert(self, ctx: RunContext, source: BinaryIO, out: stream.Output) -> int:
        """Convert `source` into `out`; the number of records written."""

    def prop(self, ctx: RunContext, name: str, tp: Any) -> Any:
        """The property `name` (its Python attribute name) rendered and converted to `tp`."""
        value = getattr(self, name)
        return None if value is None else render_as(ctx, value, tp, name.rstrip("_"))

    def encoding(self, ctx: RunContext) -> str:
        """`charset`, checked: the name of a Python codec."""
        name = ctx.render_string(self.charset)
        try:
            return codecs.lookup(name).name
        except LookupError:
            raise TaskFailed(f"property 'charset': unknown charset {name!r}") from None


def record_metric(ctx: RunContext, count: int) -> None:
    """Kestra's `records` counter."""
    ctx.effects.extra.setdefault("metrics", []).append({"name": "records", "type": "counter", "value": count})


def write_lines(out: stream.Output, lines: Iterator[str], encoding: str = "utf-8") -> int:
    """Write each line (its newline included) in batches; the number of lines."""
    count = 0
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= BATCH:
            out.write("".join(batch).encode(encoding))
            count += len(batch)
            batch.clear()
    if batch:
        out.write("".join(batch).encode(encoding))
        count += len(batch)
    return count


def write_ion(out: stream.Output, values: Iterator[Any]) -> int:
    """Write each value as one line of Ion text; the number of values."""
    return write_lines(out, (ion.dumps(v) + "\n" for v in values))


def read_ion(source: BinaryIO) -> Iterator[Any]:
    """The values of an Ion file (timestamps as datetime, decimals as Decimal)."""
    return ion.values(source)


BoolProp: TypeAlias = bool | Expression
IntProp: TypeAlias = int | Expression
CharProp: TypeAlias = Char | Expression
StrList: TypeAlias = list[str] | Expression
