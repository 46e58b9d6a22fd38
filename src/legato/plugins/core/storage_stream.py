"""Streaming over files of internal storage, so storage tasks work in constant memory whatever the file's
size: records read forwards or backwards in fixed-size chunks, items decoded line by line, and a new file
written to a local temporary file before it is stored.

Memory is bounded by the chunk size plus the longest record; a file with no separator at all is one record.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.storage import StorageError

CHUNK = 1 << 20


@contextlib.contextmanager
def opened(ctx: RunContext, uri: str) -> Iterator[BinaryIO]:
    """The stored file at `uri`, open for reading; TaskFailed when it does not exist."""
    try:
        handle = ctx.storage.open(uri)
    except StorageError as exc:
        raise TaskFailed(str(exc)) from None
    with handle:
        yield handle


def records(stream: IO[bytes], separator: bytes, chunk: int = CHUNK) -> Iterator[bytes]:
    """The records of `stream`, each without its separator; a separator at the very end opens no empty
    record (the same records as `bytes.split` minus that last empty one)."""
    pending = b""
    seen = False
    while block := stream.read(chunk):
        seen = True
        pending += block
        parts = pending.split(separator)
        pending = parts.pop()
        yield from parts
    if seen and pending:
        yield pending


def records_reversed(stream: IO[bytes], separator: bytes, chunk: int = CHUNK) -> Iterator[bytes]:
    """The records of a seekable `stream` from the last to the first, reading it backwards in chunks."""
    position = stream.seek(0, os.SEEK_END)
    if position == 0:
        return
    buffer = b""
    last = True  # the text after the final separator: an empty one is no record
    while position > 0:
        step = min(chunk, position)
        position -= step
        stream.seek(position)
        buffer = stream.read(step) + buffer
        cut = buffer.rfind(separator)
        while cut >= 0:
            record = buffer[cut + len(separator):]
            if record or not last:
                yield record
            last = False
            buffer = buffer[:cut]
            cut = buffer.rfind(separator)
    if buffer or not last:
        yield buffer


def items(stream: IO[bytes]) -> Iterator[Any]:
    """One value per non-empty line: JSON when it parses, else the line as a string."""
    for raw in records(stream, b"\n"):
        line = raw.decode("utf-8").rstrip("\r")
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError:
                yield line


def item_line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode()


class Output:
    """A new file of the running task, written to a local temporary file and stored by `save`; the temporary
    file is removed either way (`with Output(ctx, "a.txt") as out: out.write(b"..."); uri = out.save()`)."""

    def __init__(self, ctx: RunContext, name: str) -> None:
        self._ctx = ctx
        self._uri = output_uri(ctx, name)
        handle, path = tempfile.mkstemp(prefix="legato-out-")
        self.path = Path(path)
        self._file = os.fdopen(handle, "wb", buffering=CHUNK)
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)

    def write_all(self, parts: Iterable[bytes]) -> None:
        for part in parts:
            self.write(part)

    def save(self) -> str:
        """Store what was written and return its URI (the temporary file is removed)."""
        self._file.close()
        try:
            return self._ctx.storage.put_file(self._uri, self.path)
        except StorageError as exc:
            raise TaskFailed(str(exc)) from None
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary file (nothing is stored unless `save` was called)."""
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()
