"""Expression functions over internal storage, bound to one execution: `read`, `fileSize`, `fileExists`,
`isFileEmpty` (and its older name `fileEmpty`), `fileURI`.

What an execution may read is legato.storage.access's rule: its namespace's files (`read('scripts/a.sql')`,
`read('/scripts/a.sql')`, `read('nsfile:///scripts/a.sql')`), its own execution's files (`read(outputs.x.uri)`),
and those of the execution that started it or that it started. Anything else (another namespace's files,
another execution's files, `file://`) is refused with a message that says why. Text is read as UTF-8; `read` refuses files larger than `MAX_READ` (expressions produce at most
10 MB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from legato.expressions import ExpressionError
from legato.storage import access, namespace_files
from legato.storage.port import Storage, StorageError
from legato.storage.uris import SCHEME

MAX_READ = 10 * 1024 * 1024


class FileScope(access.FileScope):
    """Which files one execution may read (legato.storage.access), and the storage URI of a path given to a file
    function."""

    def resolve(self, path: Any, namespace: Any = None) -> str:
        """The kestra:/// URI of `path`; ExpressionError when it is out of this execution's reach."""
        if not isinstance(path, str) or not path.strip():
            raise ExpressionError("expects 'path': a namespace file path or an internal storage URI")
        text = path.strip()
        asked = None if namespace is None else str(namespace)
        try:
            if text.startswith(f"{SCHEME}://"):
                if asked is not None:
                    raise ExpressionError("takes no 'namespace' with an internal storage URI")
                self.check(text)
                return text
            if namespace_files.is_nsfile(text):
                given, relative = namespace_files.parse_nsfile(text)
                if given and asked:
                    raise ExpressionError("takes a namespace either as an argument or inside the nsfile URI, not both")
                return self._namespace_file(given or asked or self.namespace, relative)
            if "://" in text or text.startswith("file:"):
                raise ExpressionError(f"cannot read {text!r}: only namespace files and kestra:/// URIs can be read")
            return self._namespace_file(asked or self.namespace, text)
        except StorageError as exc:
            raise ExpressionError(str(exc)) from None

    def _namespace_file(self, namespace: str, path: str) -> str:
        self.check_namespace(namespace)
        return namespace_files.file_uri(namespace, path)


def bind(storage: Storage, scope: FileScope) -> dict[str, Callable[..., Any]]:
    """The file functions of one execution over `storage`."""

    def read(path: Any = None, namespace: Any = None) -> str:
        uri = scope.resolve(path, namespace)
        try:
            size = storage.size(uri)
            if size > MAX_READ:
                raise ExpressionError(f"cannot read {_shown(path)}: {size} bytes is more than the {MAX_READ // (1 << 20)} MB "
                                      "an expression may hold; pass the URI to a task instead")
            data = storage.get(uri)
        except StorageError as exc:
            raise _unreadable(path, exc) from None
        return data.decode("utf-8", errors="replace")

    def file_size(path: Any = None, namespace: Any = None) -> int:
        uri = scope.resolve(path, namespace)
        try:
            return storage.size(uri)
        except StorageError as exc:
            raise _unreadable(path, exc) from None

    def file_exists(path: Any = None, namespace: Any = None) -> bool:
        return storage.exists(scope.resolve(path, namespace))

    def is_file_empty(path: Any = None, namespace: Any = None) -> bool:
        """True when the file holds nothing but white space (Kestra's rule); reading stops at the first text."""
        uri = scope.resolve(path, namespace)
        try:
            with storage.open(uri) as handle:
                while block := handle.read(1 << 16):
                    if block.strip():
                        return False
        except StorageError as exc:
            raise _unreadable(path, exc) from None
        return True

    def file_uri(path: Any = None, namespace: Any = None) -> str:
        return scope.resolve(path, namespace)

    return {"read": read, "fileSize": file_size, "fileExists": file_exists, "isFileEmpty": is_file_empty,
            "fileEmpty": is_file_empty, "fileURI": file_uri}


def _unreadable(path: Any, exc: StorageError) -> ExpressionError:
    """'no file ...' for a missing file; the storage's own reason otherwise (a symbolic link, a refused URI)."""
    reason = str(exc)
    return ExpressionError(f"no file {_shown(path)}" if reason.startswith("no file") else f"cannot read {_shown(path)}: {reason}")


def _shown(path: Any) -> str:
    return repr(path) if isinstance(path, str) else str(path)
