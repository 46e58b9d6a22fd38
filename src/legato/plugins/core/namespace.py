"""namespace.UploadFiles, DownloadFiles and DeleteFiles: tasks over a namespace's files (Kestra's
`io.kestra.plugin.core.namespace.*`), the same file tree the API and `namespaceFiles` use. Paths are confined
to the namespace's tree; files are copied as streams."""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.expressions import ExpressionError
from legato.model.flow import NAMESPACE_PATTERN
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, RunnableTask, render_bool, render_optional_text
from legato.storage import StorageError, access, namespace_files, namespace_files_prefix, parse_uri
from legato.storage.functions import FileScope
from legato.storage.uris import namespace_segments

_NAMESPACE = re.compile(NAMESPACE_PATTERN)


def _aliases(name: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.namespace.{name}",)


class _NamespaceTask(RunnableTask):
    namespace: str | None = Field(default=None, description="The namespace whose files to use; the flow's by default.")

    def _namespace(self, ctx: RunContext) -> str:
        namespace = render_optional_text(ctx, self.namespace) or ctx.flow_namespace
        if not _NAMESPACE.match(namespace) or len(namespace) > 150:
            raise TaskFailed(f"property 'namespace': {namespace!r} is not a valid namespace (lowercase letters, digits, '.', '_', '-')")
        try:
            namespace_segments(namespace)
            access.check_namespace(ctx.execution.namespace, namespace)
        except StorageError as exc:
            raise TaskFailed(f"property 'namespace': {exc}") from None
        return namespace


def _patterns(ctx: RunContext, value: Any) -> list[str]:
    """`files` as a list of glob patterns: a string, a list, or an expression giving either (or a JSON list)."""
    rendered = ctx.render(value)
    if isinstance(rendered, str):
        try:
            parsed = json.loads(rendered)
        except ValueError:
            parsed = rendered
        rendered = parsed if isinstance(parsed, list) else [rendered]
    if not isinstance(rendered, list) or not rendered or not all(isinstance(p, str) and p.strip() for p in rendered):
        raise TaskFailed("property 'files' must be a glob pattern or a non-empty list of them (e.g. '**.sql')")
    return [p.strip().removeprefix("glob:") for p in rendered]


def _metric(ctx: RunContext, name: str, value: int) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value})


@TASKS.register
class UploadFiles(_NamespaceTask):
    """Store files as namespace files: internal-storage URIs (outputs of earlier tasks, FILE inputs) or, inside a
    WorkingDirectory, files of its directory matching glob patterns. A list goes under `destination` by name
    (globbed files keep their relative path); a map names each file's path."""

    TYPE: ClassVar[str] = "namespace.UploadFiles"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("UploadFiles")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: upload
type: io.kestra.plugin.core.namespace.UploadFiles
namespace: company.team
files:
  /scripts/main.py: "{{ inputs.script }}"
""",
        """\
id: upload_reports
type: io.kestra.plugin.core.namespace.UploadFiles
files:
  - "{{ outputs.report.uri }}"
destination: /reports
conflict: SKIP
""",
    )

    files: list[str] | dict[str, str] | Expression | None = Field(
        default=None, description="A list of internal-storage URIs (or, inside a WorkingDirectory, glob patterns such "
        "as `glob:**/dbt/**`), or a map of namespace path → URI.")
    filesMap: dict[str, str] | Expression | None = Field(
        default=None, description="A map of namespace path → internal-storage URI (as `files` given a map).")
    destination: str = Field(default="/", description="The folder that receives a list of files.")
    conflict: Literal["OVERWRITE", "ERROR", "SKIP"] = Field(
        default="OVERWRITE", description="When a file already exists: replace it, fail, or keep it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.files is None and self.filesMap is None:
            raise TaskFailed("set 'files' (a list or a map) or 'filesMap'")
        namespace = self._namespace(ctx)
        plan: dict[str, str | Path] = {}  # namespace path → URI or local file
        for prop, value in (("files", self.files), ("filesMap", self.filesMap)):
            if value is not None:
                plan.update(self._plan(ctx, prop, ctx.render(value)))
        uploaded = await asyncio.to_thread(self._upload, ctx, namespace, plan)
        _metric(ctx, "uploaded", len(uploaded))
        return {"files": uploaded}

    def _plan(self, ctx: RunContext, prop: str, value: Any) -> dict[str, str | Path]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = [value]
        if isinstance(value, dict):
            return {_target(str(k)): _source(ctx, v, f"{prop}.{k}") for k, v in value.items()}
        if not isinstance(value, list) or prop == "filesMap":
            raise TaskFailed(f"property '{prop}' must be {'a map' if prop == 'filesMap' else 'a list or a map'} of files")
        folder = _target(ctx.render_string(self.destination) or "/", folder=True)
        plan: dict[str, str | Path] = {}
        for item in value:
            if not isinstance(item, str):
                raise TaskFailed(f"property '{prop}': {item!r} is not a URI or a glob pattern")
            if item.strip().startswith("kestra://"):
                uri = _source(ctx, item, prop)
                plan[_join(folder, parse_uri(uri)[-1])] = uri
            else:
                for relative, path in _working_files(ctx, item.strip().removeprefix("glob:")).items():
                    plan[_join(folder, relative)] = path
        return plan

    def _upload(self, ctx: RunContext, namespace: str, plan: dict[str, str | Path]) -> dict[str, str]:
        targets = {path: _namespace_uri(namespace, path) for path in plan}
        if self.conflict == "ERROR":  # checked for every file first, so a conflict uploads nothing
            taken = [path for path, target in targets.items() if ctx.storage.exists(target)]
            if taken:
                raise TaskFailed(f"the namespace file {taken[0]} already exists in {namespace} (conflict: ERROR)")
        uploaded: dict[str, str] = {}
        for path, source in plan.items():
            target = targets[path]
            if self.conflict == "SKIP" and ctx.storage.exists(target):
                ctx.logger.debug(f"kept the existing {path} (conflict: SKIP)")
                continue
            if isinstance(source, Path):
                ctx.storage.put_file(target, source)
            elif not ctx.storage.exists(source):
                ctx.logger.warn(f"no file in internal storage at {source}: {path} not uploaded")
                continue
            else:
                _copy(ctx, source, target)
            ctx.logger.debug(f"uploaded {path} to the files of {namespace}")
            uploaded[path] = target
        return uploaded


def _namespace_uri(namespace: str, path: str) -> str:
    try:
        return namespace_files.file_uri(namespace, path)
    except StorageError as exc:
        raise TaskFailed(f"cannot upload to {path!r}: {exc}") from None


def _target(path: str, folder: bool = False) -> str:
    """A namespace path (`/a/b.txt`), checked: no `..`, no empty name."""
    pure = PurePosixPath("/" + path.strip().lstrip("/"))
    if ".." in pure.parts or (not folder and str(pure) == "/"):
        raise TaskFailed(f"{path!r} is not a file path inside the namespace's files")
    return str(pure)


def _join(folder: str, relative: str) -> str:
    return _target(f"{folder.rstrip('/')}/{relative.lstrip('/')}")


def _source(ctx: RunContext, value: Any, prop: str) -> str:
    """An internal-storage URI the execution may read (its own files, its namespace's, its parent's)."""
    if not isinstance(value, str) or not value.strip().startswith("kestra://"):
        raise TaskFailed(f"property '{prop}' must be an internal storage URI (kestra:///...), not {str(value)[:100]!r}")
    execution = ctx.execution
    scope = FileScope(execution.namespace, execution.flow_id, execution.id, trigger=execution.trigger,
                      parent_id=execution.parent_id)
    try:
        return scope.resolve(value.strip())
    except ExpressionError as exc:
        raise TaskFailed(f"property '{prop}': {exc}") from None


def _working_files(ctx: RunContext, pattern: str) -> dict[str, Path]:
    """Files of the enclosing WorkingDirectory matching `pattern`: relative path → local path."""
    workdir = ctx.working_dir
    if workdir is None:
        raise TaskFailed(f"the glob pattern {pattern!r} matches files of a WorkingDirectory, and this task runs outside "
                         "one; give internal storage URIs (e.g. \"{{ outputs.task.uri }}\") instead")
    root = workdir.resolve()
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(root):
            relative = path.relative_to(root).as_posix()
            if namespace_files.matches("/" + relative, [pattern]):
                found[relative] = path
    return found


def _copy(ctx: RunContext, source: str, target: str) -> None:
    """Copy a stored file through a local temporary file (constant memory on every backend)."""
    with tempfile.TemporaryDirectory(prefix="legato-upload-") as folder:
        local = ctx.storage.download(source, Path(folder) / "file")
        ctx.storage.put_file(target, local)


@TASKS.register
class DownloadFiles(_NamespaceTask):
    """Copy the namespace files matching glob patterns into the task's internal storage; `files` in the
    outputs maps each file's namespace path to its new URI."""

    TYPE: ClassVar[str] = "namespace.DownloadFiles"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("DownloadFiles")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: download
type: io.kestra.plugin.core.namespace.DownloadFiles
namespace: company.shared
files:
  - "scripts/**.py"
""",
    )

    files: list[str] | str = Field(description="Glob patterns of the files (`**` crosses folders, `*` does not).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = self._namespace(ctx)
        patterns = _patterns(ctx, self.files)

        def download() -> dict[str, str]:
            copied = {}
            for path, uri in _matching(ctx, namespace, patterns):
                with stream.Output(ctx, path.lstrip("/")) as out, stream.opened(ctx, uri) as source:
                    while block := source.read(stream.CHUNK):
                        out.write(block)
                    copied[path] = out.save()
                ctx.logger.debug(f"downloaded {path} from the files of {namespace}")
            return copied

        copied = await asyncio.to_thread(download)
        _metric(ctx, "downloaded", len(copied))
        return {"files": copied}


@TASKS.register
class DeleteFiles(_NamespaceTask):
    """Delete the namespace files matching glob patterns; with `deleteParentFolder`, folders left empty go
    too."""

    TYPE: ClassVar[str] = "namespace.DeleteFiles"
    ALIASES: ClassVar[tuple[str, ...]] = _aliases("DeleteFiles")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: cleanup
type: io.kestra.plugin.core.namespace.DeleteFiles
namespace: company.team
files:
  - "**.tmp"
deleteParentFolder: true
""",
    )

    files: list[str] | str = Field(description="Glob patterns of the files to delete.")
    deleteParentFolder: bool | Expression = Field(default=False, description="Also remove folders the deletion leaves empty.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace = self._namespace(ctx)
        patterns = _patterns(ctx, self.files)
        prune = render_bool(ctx, self.deleteParentFolder, "deleteParentFolder")

        def delete() -> dict[str, str]:
            deleted = {}
            for path, uri in _matching(ctx, namespace, patterns):
                if ctx.storage.delete(uri):
                    deleted[path] = uri
                    ctx.logger.debug(f"deleted {path} from the files of {namespace}")
            if prune and deleted:
                _prune(ctx, namespace, deleted.values())
            return deleted

        deleted = await asyncio.to_thread(delete)
        _metric(ctx, "deleted", len(deleted))
        return {"files": deleted}


def _matching(ctx: RunContext, namespace: str, patterns: list[str]) -> list[tuple[str, str]]:
    """The namespace's files (path, URI) whose path matches one of the glob patterns (blocking)."""
    return [(path, uri) for path, uri in namespace_files.list_files(ctx.storage, namespace).items()
            if namespace_files.matches(path, patterns)]


def _prune(ctx: RunContext, namespace: str, uris: Iterable[str]) -> None:
    """Remove the folders of the deleted files that are now empty, up to the namespace's root (folders exist
    only on the local backend; an object store has none to remove)."""
    path_of = getattr(ctx.storage, "path_of", None)
    if path_of is None:
        return
    root = Path(path_of(namespace_files_prefix(namespace))).resolve()
    for uri in uris:
        folder = Path(path_of(uri)).parent
        while folder != root and folder.is_relative_to(root) and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
