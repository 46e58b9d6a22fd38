"""What the storage tasks share: where a task writes its files, reading a stored file as text lines or as
items (one JSON value per line, as Kestra's ION files of simple values read), and the `from` URI check."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from legato.plugins.context import RunContext, TaskFailed
from legato.storage import StorageError, task_run_prefix
from legato.storage.uris import join


def output_uri(ctx: RunContext, name: str) -> str:
    """The URI of a file `name` written by the running task (under its task run's folder)."""
    run = ctx.task_run
    prefix = task_run_prefix(ctx.execution.namespace, ctx.execution.flow_id, ctx.execution.id, run.task_id, run.id)
    try:
        return join(prefix, name)
    except StorageError as exc:
        raise TaskFailed(f"cannot store a file named {name!r}: {exc}") from None


def source_uri(ctx: RunContext, value: Any, prop: str = "from") -> str:
    """A rendered property that must name a file of internal storage."""
    uri = ctx.render_string(value).strip()
    if not uri.startswith("kestra:///"):
        raise TaskFailed(f"property '{prop}' must be an internal storage URI (kestra:///...), not {uri[:100]!r}")
    return uri


def read(ctx: RunContext, uri: str) -> bytes:
    try:
        return ctx.storage.get(uri)
    except StorageError as exc:
        raise TaskFailed(str(exc)) from None


def split_lines(data: bytes, separator: str = "\n") -> list[bytes]:
    """The records of `data`, cut at `separator`; a separator at the very end opens no empty record."""
    sep = separator.encode()
    if not data:
        return []
    parts = data.split(sep)
    if parts and parts[-1] in (b"", b"\r") and data.endswith(sep):
        parts.pop()
    return parts


def items(data: bytes) -> Iterable[Any]:
    """One value per non-empty line: JSON when it parses, else the line as a string."""
    for line in data.decode("utf-8").splitlines():
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError:
                yield line


def item_lines(values: Iterable[Any]) -> bytes:
    return "".join(json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str) + "\n" for v in values).encode()


def extension_of(uri: str, default: str = "") -> str:
    name = uri.rsplit("/", 1)[-1]
    return name[name.rfind("."):] if "." in name.lstrip(".") else default
