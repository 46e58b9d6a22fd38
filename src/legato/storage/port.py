"""The internal storage port: every backend (local filesystem, S3-compatible) offers these operations on
`kestra:///` URIs. Calls are blocking; async callers run them in a thread."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol


class StorageError(Exception):
    """A storage URI is invalid, escapes its root, or names a missing file; the message says which."""


class Storage(Protocol):
    def put(self, uri: str, data: bytes) -> str:
        """Store `data` at `uri` (replacing any file there) and return the URI."""
        ...

    def put_file(self, uri: str, source: Path) -> str:
        """Copy the local file `source` to `uri` and return the URI."""
        ...

    def get(self, uri: str) -> bytes:
        """The content at `uri`; StorageError when it does not exist."""
        ...

    def open(self, uri: str) -> BinaryIO:
        """The file at `uri` opened for reading in binary (seekable; close it); StorageError when it does not
        exist. Tasks stream large files through it instead of `get`."""
        ...

    def download(self, uri: str, target: Path) -> Path:
        """Copy the file at `uri` to the local path `target` (parents created) and return `target`."""
        ...

    def exists(self, uri: str) -> bool: ...

    def size(self, uri: str) -> int:
        """Size in bytes; StorageError when the file does not exist."""
        ...

    def delete(self, uri: str) -> bool:
        """Delete one file; False when there was none."""
        ...

    def list(self, prefix: str) -> list[str]:
        """URIs of every file under the folder `prefix`, recursively, sorted."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every file under the folder `prefix`; returns how many were deleted."""
        ...
