"""storage.Write, Concat, Split, Size, Delete, Reverse and PurgeCurrentExecutionFiles: files of internal
storage, addressed by their kestra:/// URIs (Kestra's `io.kestra.plugin.core.storage.*`, and the older
`io.kestra.core.tasks.storages.*`). Item filters live in `storage_items`."""

from __future__ import annotations

import abc
import asyncio
import json
import re
from typing import Any, ClassVar

from pydantic import Field, model_validator

from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import extension_of, output_uri, source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_bool
from legato.storage import StorageError
from legato.storage.uris import execution_prefix


def _aliases(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.storage.{name}", f"io.kestra.core.tasks.storages.{name}")


@TASKS.register
class Write(RunnableTask):
    """Write text to a new file of internal storage; `uri` in the outputs names it."""

    TYPE: ClassVar[str] = "storage.Write"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Write")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: write
type: io.kestra.plugin.core.storage.Write
content: "{{ outputs.fetch.body }}"
extension: .json
""",
    )

    content: Any = Field(description="The content (rendered; a map or list is written as JSON).")
    extension: str = Field(default=".ion", description="Extension of the file's name.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        content = ctx.render(self.content)
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        uri = await asyncio.to_thread(ctx.storage.put, output_uri(ctx, f"{ctx.task_run.task_id}{_ext(ctx, self.extension)}"), text.encode())
        return {"uri": uri}


@TASKS.register
class Concat(RunnableTask):
    """Concatenate files of internal storage into one, in the order given."""

    TYPE: ClassVar[str] = "storage.Concat"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Concat")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: concat
type: io.kestra.plugin.core.storage.Concat
files:
  - "{{ outputs.first.uri }}"
  - "{{ outputs.second.uri }}"
separator: "\\n"
""",
    )

    files: list[str] | Expression = Field(description="URIs of the files, or one expression giving a list (or a JSON list).")
    separator: str | None = Field(default=None, description="Text put between two files.")
    extension: str = Field(default=".tmp", description="Extension of the new file's name.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        rendered = ctx.render(self.files)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                rendered = [rendered]
        uris = [source_uri(ctx, u, "files") for u in render_as(ctx, rendered, list[str], "files")]
        separator = ctx.render_string(self.separator).encode() if self.separator is not None else b""
        name = f"{ctx.task_run.task_id}{_ext(ctx, self.extension)}"

        def concat() -> str:
            with stream.Output(ctx, name) as out:
                for n, uri in enumerate(uris):
                    if n and separator:
                        out.write(separator)
                    with stream.opened(ctx, uri) as source:
                        while block := source.read(stream.CHUNK):
                            out.write(block)
                return out.save()

        return {"uri": await asyncio.to_thread(concat)}


@TASKS.register
class Split(RunnableTask):
    """Split a file into several, by size, by number of rows, or into a number of partitions; records are
    never cut."""

    TYPE: ClassVar[str] = "storage.Split"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Split")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: split
type: io.kestra.plugin.core.storage.Split
from: "{{ outputs.download.uri }}"
rows: 1000
""",
    )

    from_: str = Field(alias="from", description="URI of the file to split.")
    bytes: str | int | None = Field(default=None, description="Largest size of each part (e.g. 10MB, 512KB, 1000).")
    partitions: int | Expression | None = Field(default=None, description="How many parts to make.")
    rows: int | Expression | None = Field(default=None, description="How many records in each part.")
    separator: str = Field(default="\n", description="What ends a record.")

    @model_validator(mode="after")
    def _one_way(self) -> Split:
        given = [n for n in ("bytes", "partitions", "rows") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("set exactly one of bytes, partitions or rows")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        sep = self.separator.encode()
        rows = partitions = limit = None
        if self.rows is not None:
            rows = _positive(render_as(ctx, ctx.render(self.rows), int, "rows"), "rows")
        elif self.partitions is not None:
            partitions = _positive(render_as(ctx, ctx.render(self.partitions), int, "partitions"), "partitions")
        else:
            limit = _size(ctx.render_string(self.bytes))

        def plan() -> _Parts:
            if rows is not None:
                return _ByRows(rows)
            if partitions is not None:  # a first pass counts the records
                return _ByPartitions(_count(ctx, uri, sep), partitions)
            assert limit is not None
            return _BySize(limit, len(sep))

        ext = extension_of(uri)
        task = ctx.task_run.task_id

        def split() -> list[str]:
            uris: list[str] = []
            parts = plan()
            out: stream.Output | None = None
            try:
                with stream.opened(ctx, uri) as source:
                    for record in stream.records(source, sep):
                        if parts.new_part(len(record)) or out is None:
                            if out is not None:
                                uris.append(out.save())
                            out = stream.Output(ctx, f"{task}-{len(uris)}{ext}")
                        out.write(record + sep)
                if out is not None:
                    uris.append(out.save())
            finally:
                if out is not None:
                    out.discard()
            return uris

        return {"uris": await asyncio.to_thread(split)}


@TASKS.register
class Size(RunnableTask):
    """The size in bytes of a file of internal storage."""

    TYPE: ClassVar[str] = "storage.Size"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Size")
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: size\ntype: io.kestra.plugin.core.storage.Size\nuri: \"{{ outputs.download.uri }}\"\n",)

    uri: str = Field(description="URI of the file.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.uri, "uri")
        try:
            return {"size": await asyncio.to_thread(ctx.storage.size, uri)}
        except StorageError as exc:
            raise TaskFailed(str(exc)) from None


@TASKS.register
class Delete(RunnableTask):
    """Delete a file of internal storage."""

    TYPE: ClassVar[str] = "storage.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Delete")
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete\ntype: io.kestra.plugin.core.storage.Delete\nuri: \"{{ outputs.download.uri }}\"\n",)

    uri: str = Field(description="URI of the file.")
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when there is no such file.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.uri, "uri")
        deleted = await asyncio.to_thread(ctx.storage.delete, uri)
        if not deleted and render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
            raise TaskFailed(f"no file in internal storage at {uri}")
        return {"uri": uri, "deleted": deleted}


@TASKS.register
class Reverse(RunnableTask):
    """Write a file's records in reverse order."""

    TYPE: ClassVar[str] = "storage.Reverse"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("Reverse")
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: reverse\ntype: io.kestra.plugin.core.storage.Reverse\nfrom: \"{{ outputs.download.uri }}\"\n",)

    from_: str = Field(alias="from", description="URI of the file.")
    separator: str = Field(default="\n", description="What ends a record.")
    charset: str | None = Field(default=None, description="Kestra compatibility: records are reversed as bytes, so any charset works.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        sep = self.separator.encode()

        def reverse() -> str:
            with stream.Output(ctx, f"{ctx.task_run.task_id}{extension_of(uri)}") as out, stream.opened(ctx, uri) as source:
                for record in stream.records_reversed(source, sep):
                    out.write(record + sep)
                return out.save()

        return {"uri": await asyncio.to_thread(reverse)}


@TASKS.register
class PurgeCurrentExecutionFiles(RunnableTask):
    """Delete every file the current execution stored (its outputs keep URIs that no longer resolve)."""

    TYPE: ClassVar[str] = "storage.PurgeCurrentExecutionFiles"
    ALIASES: ClassVar[tuple[str, ...]] = (*_aliases("PurgeCurrentExecutionFiles"), *_aliases("PurgeExecution"))
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: purge\ntype: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles\n",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        execution = ctx.execution
        prefix = execution_prefix(execution.namespace, execution.flow_id, execution.id)
        uris = await asyncio.to_thread(ctx.storage.list, prefix)
        await asyncio.to_thread(ctx.storage.delete_prefix, prefix)
        ctx.logger.info(f"deleted {len(uris)} file(s) of execution {execution.id}")
        return {"uris": uris}


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?B?)\s*", text.upper())
    if not match or int(match.group(1)) <= 0:
        raise TaskFailed(f"property 'bytes' must be a size like 10MB, 512KB or 1000, not {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2).removesuffix("B")]


class _Parts(abc.ABC):
    """Decides, record by record, when the current part is full and the next one starts."""

    def __init__(self) -> None:
        self.records = 0  # in the current part
        self.used = 0  # bytes in the current part

    def new_part(self, length: int) -> bool:
        """Account for the next record (of `length` bytes); True when it opens a new part."""
        start = self.records > 0 and self._full(length)
        if start:
            self.records, self.used = 0, 0
        self.records += 1
        self.used += length
        return start

    @abc.abstractmethod
    def _full(self, length: int) -> bool:
        """Whether the current part is full before a record of `length` bytes."""


class _ByRows(_Parts):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def _full(self, length: int) -> bool:
        return self.records >= self.rows


class _BySize(_Parts):
    """Parts of at most `limit` bytes (a record larger than that gets a part alone)."""

    def __init__(self, limit: int, separator: int) -> None:
        super().__init__()
        self.limit = limit
        self.separator = separator

    def _full(self, length: int) -> bool:
        return self.used + self.records * self.separator + length + self.separator > self.limit


class _ByPartitions(_Parts):
    """`count` parts as even as can be: the first `total % count` parts hold one record more."""

    def __init__(self, total: int, count: int) -> None:
        super().__init__()
        self.step, self.extra = divmod(total, count)
        self.index = 0  # of the current part

    def _full(self, length: int) -> bool:
        full = self.records >= self.step + (1 if self.index < self.extra else 0)
        if full:
            self.index += 1
        return full


def _count(ctx: RunContext, uri: str, separator: bytes) -> int:
    with stream.opened(ctx, uri) as source:
        return sum(1 for _ in stream.records(source, separator))


def _positive(value: int, prop: str) -> int:
    if value <= 0:
        raise TaskFailed(f"property '{prop}' must be at least 1, not {value}")
    return value


def _ext(ctx: RunContext, extension: str) -> str:
    ext = ctx.render_string(extension)
    if "/" in ext:
        raise TaskFailed(f"property 'extension' must not contain '/': {ext!r}")
    return ext if not ext or ext.startswith(".") else f".{ext}"


__all__ = ["Concat", "Delete", "PurgeCurrentExecutionFiles", "Reverse", "Size", "Split", "Write"]
