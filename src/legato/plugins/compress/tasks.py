"""Kestra's compress plugin (io.kestra.plugin.compress): ArchiveCompress and ArchiveDecompress (ZIP, JAR and
TAR archives, optionally compressed), FileCompress and FileDecompress (one file). Files are streamed through
temporary files, never held in memory."""

from __future__ import annotations

import asyncio
import json
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.compress import codecs
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import output_uri, source_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.storage import StorageError

Archive = Literal["AR", "ARJ", "CPIO", "DUMP", "JAR", "TAR", "ZIP"]
KESTRA = "io.kestra.plugin.compress"
COPY = 1 << 20


def _metric(ctx: RunContext, name: str, value: int) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value})


def _entry_name(name: str) -> str:
    """An archive entry's path as stored: spaces become '_' (as Kestra does); '..' and absolute paths are refused."""
    path = PurePosixPath(name.replace("\\", "/").replace(" ", "_"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise TaskFailed(f"Path traversal attempt detected in archive entry: {name}")
    return str(path)


class _ArchiveTask(RunnableTask):
    algorithm: Archive | Expression = Field(
        description="Archive container format: ZIP, JAR or TAR (AR, ARJ, CPIO, DUMP are not available)."
    )
    compression: codecs.Compression | Expression | None = Field(
        default=None,
        description="Optional compressor applied to the archive stream (GZIP, BZIP2, XZ, LZMA, DEFLATE, ZSTD).",
    )

    def _formats(self, ctx: RunContext) -> tuple[str, str | None]:
        algorithm = str(render_as(ctx, self.algorithm, Archive, "algorithm"))
        if algorithm not in ("ZIP", "JAR", "TAR"):
            raise TaskFailed(f"archive format {algorithm} is not available here; use ZIP, JAR or TAR")
        compression = (
            None
            if self.compression is None
            else str(render_as(ctx, self.compression, codecs.Compression, "compression"))
        )
        return algorithm, compression


@TASKS.register
class ArchiveCompress(_ArchiveTask):
    """Create an archive (ZIP, JAR or TAR, optionally compressed) from files of internal storage: `from` maps
    each entry's name to a file URI. Outputs `uri`."""

    TYPE: ClassVar[str] = "compress.ArchiveCompress"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.ArchiveCompress",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: archive_compress
type: io.kestra.plugin.compress.ArchiveCompress
from:
  products.csv: "{{ outputs.products_download.uri }}"
  orders.csv: "{{ outputs.orders_download.uri }}"
algorithm: TAR
compression: GZIP
""",
    )

    from_: dict[str, str] | Expression = Field(
        alias="from",
        description="The files to archive: a map of entry name to internal-storage URI (or an expression giving one).",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        files = self._files(ctx)
        algorithm, compression = self._formats(ctx)
        return await asyncio.to_thread(self._write, ctx, files, algorithm, compression)

    def _files(self, ctx: RunContext) -> dict[str, str]:
        rendered = ctx.render(self.from_)
        if isinstance(rendered, str):
            try:
                rendered = json.loads(rendered)
            except ValueError:
                rendered = None
        if not isinstance(rendered, dict):
            raise TaskFailed("property 'from' must be a map of entry name to file URI")
        return {_entry_name(str(k)): source_uri(ctx, v, f"from.{k}") for k, v in rendered.items()}

    def _write(
        self, ctx: RunContext, files: dict[str, str], algorithm: str, compression: str | None
    ) -> dict[str, Any]:
        extension = ".zip" if algorithm == "ZIP" else ".jar" if algorithm == "JAR" else ".tar"
        extension += codecs.EXTENSIONS.get(compression or "", "")
        with stream.Output(ctx, f"{ctx.task_run.task_id}{extension}") as out:
            with open(out.path, "wb") as raw:
                sink = codecs.wrap(raw, compression, "wb") if compression else raw
                with sink:
                    if algorithm == "TAR":
                        self._tar(ctx, sink, files)
                    else:
                        self._zip(ctx, sink, files)
            out.size = out.path.stat().st_size
            return {"uri": out.save()}

    @staticmethod
    def _zip(ctx: RunContext, sink: Any, files: dict[str, str]) -> None:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, uri in files.items():
                with stream.opened(ctx, uri) as source, archive.open(name, "w", force_zip64=True) as entry:
                    shutil.copyfileobj(source, entry, COPY)

    @staticmethod
    def _tar(ctx: RunContext, sink: Any, files: dict[str, str]) -> None:
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as archive:
            for name, uri in files.items():
                info = tarfile.TarInfo(name)
                try:
                    info.size = ctx.storage.size(uri)
                except StorageError as exc:
                    raise TaskFailed(str(exc)) from None
                with stream.opened(ctx, uri) as source:
                    archive.addfile(info, source)


@TASKS.register
class ArchiveDecompress(_ArchiveTask):
    """Extract the files of an archive (ZIP, JAR or TAR, optionally compressed) to internal storage.
    Outputs `files`: each entry's name mapped to its URI."""

    TYPE: ClassVar[str] = "compress.ArchiveDecompress"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.ArchiveDecompress",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: archive_decompress
type: io.kestra.plugin.compress.ArchiveDecompress
from: "{{ inputs.file }}"
algorithm: ZIP
""",
    )

    from_: str = Field(alias="from", description="Internal storage URI of the archive.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        algorithm, compression = self._formats(ctx)
        return await asyncio.to_thread(self._read, ctx, uri, algorithm, compression)

    def _read(self, ctx: RunContext, uri: str, algorithm: str, compression: str | None) -> dict[str, Any]:
        files: dict[str, str] = {}
        total = 0
        with tempfile.TemporaryDirectory(prefix="legato-archive-") as tmp, stream.opened(ctx, uri) as raw:
            source = codecs.wrap(raw, compression, "rb") if compression else raw
            try:
                entries = self._tar(source) if algorithm == "TAR" else self._zip(source, Path(tmp))
                for name, handle in entries:
                    stored = _entry_name(name)
                    local = Path(tmp) / "entry"
                    with open(local, "wb") as target:
                        shutil.copyfileobj(handle, target, COPY)
                    total += local.stat().st_size
                    try:
                        files[name] = ctx.storage.put_file(output_uri(ctx, stored), local)
                    except StorageError as exc:
                        raise TaskFailed(str(exc)) from None
            except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
                raise TaskFailed(f"cannot read {algorithm} archive {uri}: {exc}") from None
        _metric(ctx, "size", total)
        _metric(ctx, "count", len(files))
        return {"files": files}

    @staticmethod
    def _zip(source: Any, tmp: Path) -> Any:
        if not (hasattr(source, "seekable") and source.seekable()):
            copy = tmp / "archive.zip"  # a compressed zip stream: zipfile needs to seek
            with open(copy, "wb") as target:
                shutil.copyfileobj(source, target, COPY)
            source = open(copy, "rb")  # noqa: SIM115 - closed with the ZipFile below
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    with archive.open(info) as handle:
                        yield info.filename, handle

    @staticmethod
    def _tar(source: Any) -> Any:
        with tarfile.open(fileobj=source, mode="r|") as archive:
            for member in archive:
                if member.isfile():
                    handle = archive.extractfile(member)
                    if handle is not None:
                        yield member.name, handle


class _FileTask(RunnableTask):
    from_: str = Field(alias="from", description="Internal storage URI of the source file.")
    compression: codecs.Compression | Expression = Field(
        description="Compressor applied to the single file (GZIP, BZIP2, XZ, LZMA, DEFLATE, ZSTD)."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        compression = str(render_as(ctx, self.compression, codecs.Compression, "compression"))
        return await asyncio.to_thread(self._convert, ctx, uri, compression)

    def _convert(self, ctx: RunContext, uri: str, compression: str) -> dict[str, Any]:
        raise NotImplementedError


@TASKS.register
class FileCompress(_FileTask):
    """Compress one file of internal storage. Outputs `uri`."""

    TYPE: ClassVar[str] = "compress.FileCompress"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.FileCompress",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: file_compress
type: io.kestra.plugin.compress.FileCompress
from: "{{ inputs.file }}"
compression: GZIP
""",
    )

    def _convert(self, ctx: RunContext, uri: str, compression: str) -> dict[str, Any]:
        name = uri.rsplit("/", 1)[-1] + codecs.EXTENSIONS.get(compression, "")
        with stream.Output(ctx, name) as out, stream.opened(ctx, uri) as source:
            with open(out.path, "wb") as raw, codecs.wrap(raw, compression, "wb") as sink:
                shutil.copyfileobj(source, sink, COPY)
            return {"uri": out.save()}


@TASKS.register
class FileDecompress(_FileTask):
    """Decompress one file of internal storage. Outputs `uri`."""

    TYPE: ClassVar[str] = "compress.FileDecompress"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.FileDecompress",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: file_decompress
type: io.kestra.plugin.compress.FileDecompress
from: "{{ outputs.download.uri }}"
compression: GZIP
""",
    )

    def _convert(self, ctx: RunContext, uri: str, compression: str) -> dict[str, Any]:
        name = uri.rsplit("/", 1)[-1]
        suffix = codecs.EXTENSIONS.get(compression, "")
        if suffix and name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
        with stream.Output(ctx, name) as out, stream.opened(ctx, uri) as raw:
            try:
                with open(out.path, "wb") as target, codecs.wrap(raw, compression, "rb") as source:
                    shutil.copyfileobj(source, target, COPY)
            except (OSError, EOFError, ValueError) as exc:
                raise TaskFailed(f"cannot decompress {uri} as {compression}: {exc}") from None
            return {"uri": out.save()}
