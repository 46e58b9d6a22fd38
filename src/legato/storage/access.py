"""Which internal-storage files one execution may reach: the one check behind every way a task or an expression
names a URI (`read()` and the other file functions, script `inputFiles` and `namespaceFiles`, every
`core.storage.*` task, FILE inputs, subflow and ForEachItem file passing, the namespace tasks).

An execution may read
- its own files (`kestra:///<ns>/<flow>/executions/<id>/...`);
- the files of the execution that started it (a subflow's parent, the execution behind a Flow trigger) and of
  the executions it started (its subflows and ForEachItem children), as Kestra passes file URIs between them;
- its namespace's files (`kestra:///<ns>/_files/...`) and its flow's working-directory cache.
It may write and delete only its own files, its namespace's files and its flow's cache. Another namespace's
files are out of reach by every route (expressions, `namespaceFiles`, `namespace.*File(s)` tasks): namespaces
separate flow authors who do not trust each other (docs/security.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from legato.model.execution import Execution
from legato.storage.port import Storage, StorageError
from legato.storage.uris import execution_prefix, namespace_files_prefix, namespace_segments, parse_uri

Lookup = Callable[
    [str], Execution | None
]  # an execution by id (to recognise the executions this one started)


class FileScope:
    """The files one execution may reach (see the module's docstring)."""

    def __init__(
        self,
        namespace: str,
        flow_id: str,
        execution_id: str,
        *,
        trigger: Mapping[str, Any] | None = None,
        parent_id: str | None = None,
        lookup: Lookup | None = None,
    ) -> None:
        self.namespace = namespace
        self.flow_id = flow_id
        self.execution_id = execution_id
        self.trigger = trigger
        self.parent_id = parent_id
        self.lookup = lookup

    # Worked out on the first check: most task runs and engine events touch no file.
    @functools.cached_property
    def own(self) -> tuple[str, ...]:
        return parse_uri(execution_prefix(self.namespace, self.flow_id, self.execution_id))

    @functools.cached_property
    def writable(self) -> tuple[tuple[str, ...], ...]:
        return (
            self.own,
            parse_uri(namespace_files_prefix(self.namespace)),
            (*namespace_segments(self.namespace), self.flow_id, "_cache"),
        )

    @functools.cached_property
    def executions(self) -> tuple[tuple[str, ...], ...]:
        trigger = self.trigger
        if trigger and all(isinstance(trigger.get(k), str) for k in ("namespace", "flowId", "executionId")):
            return (self.own, parse_uri(execution_prefix(trigger["namespace"], trigger["flowId"], trigger["executionId"])))
        return (self.own,)

    def check(self, uri: str, *, write: bool = False) -> None:
        """StorageError unless this execution may read (or, with `write`, change) the file or folder `uri`."""
        segments = parse_uri(uri)
        if any(_under(segments, prefix) for prefix in self.writable):
            return
        if write:
            raise StorageError(
                f"cannot change {uri}: an execution writes only its own files and its namespace's "
                f"files ({self.namespace})"
            )
        if any(_under(segments, prefix) for prefix in self.executions) or self._related(segments):
            return
        raise StorageError(
            f"cannot read {uri}: it does not belong to the current execution (nor to its namespace's "
            "files, nor to the execution that started it or one it started)"
        )

    def check_namespace(self, namespace: str) -> None:
        """StorageError unless `namespace` is this execution's own (the only namespace whose files it reaches)."""
        check_namespace(self.namespace, namespace)

    def _related(self, segments: tuple[str, ...]) -> bool:
        """Whether `segments` lie in the files of this execution's parent or of one of its children."""
        for i in range(1, len(segments) - 2):
            if segments[i] != "executions":
                continue
            other = segments[i + 1]
            if other == self.parent_id:
                return True
            child = self.lookup(other) if self.lookup is not None else None
            if (
                child is not None
                and child.parent_id == self.execution_id
                and _under(segments, parse_uri(execution_prefix(child.namespace, child.flow_id, child.id)))
            ):
                return True
        return False


def check_namespace(own: str, asked: str) -> None:
    """StorageError unless an execution of namespace `own` may reach the files of namespace `asked`: only its own."""
    if asked != own:
        raise StorageError(
            f"cannot reach the files of namespace '{asked}' from an execution of '{own}': only its "
            "own namespace's files are reachable"
        )


def _under(segments: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    return segments[: len(prefix)] == prefix


class ScopedStorage:
    """A `Storage` that lets one execution reach only what its FileScope allows; tasks get this one."""

    def __init__(self, inner: Storage, scope: FileScope) -> None:
        self.inner = inner
        self.scope = scope
        # the local backend's paths (for namespace tasks' folders); None on object stores, which have none
        self.path_of: Callable[[str], Path] | None = self._path_of if hasattr(inner, "path_of") else None

    def put(self, uri: str, data: bytes) -> str:
        self.scope.check(uri, write=True)
        return self.inner.put(uri, data)

    def put_file(self, uri: str, source: Path) -> str:
        self.scope.check(uri, write=True)
        return self.inner.put_file(uri, source)

    def get(self, uri: str) -> bytes:
        self.scope.check(uri)
        return self.inner.get(uri)

    def open(self, uri: str) -> BinaryIO:
        self.scope.check(uri)
        return self.inner.open(uri)

    def download(self, uri: str, target: Path) -> Path:
        self.scope.check(uri)
        return self.inner.download(uri, target)

    def exists(self, uri: str) -> bool:
        self.scope.check(uri)
        return self.inner.exists(uri)

    def size(self, uri: str) -> int:
        self.scope.check(uri)
        return self.inner.size(uri)

    def delete(self, uri: str) -> bool:
        self.scope.check(uri, write=True)
        return self.inner.delete(uri)

    def list(self, prefix: str) -> list[str]:
        self.scope.check(prefix)
        return self.inner.list(prefix)

    def delete_prefix(self, prefix: str) -> int:
        self.scope.check(prefix, write=True)
        return self.inner.delete_prefix(prefix)

    def _path_of(self, uri: str) -> Path:
        self.scope.check(uri, write=True)
        path: Path = getattr(self.inner, "path_of")(uri)  # noqa: B009 - only set when the backend has it
        return path
