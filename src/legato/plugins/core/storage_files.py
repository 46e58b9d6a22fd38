"""What the storage tasks share: where a task writes its files, the `from` URI check and file name extensions.
Reading and writing files as streams of records or items: `storage_stream`."""

from __future__ import annotations

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


def extension_of(uri: str, default: str = "") -> str:
    name = uri.rsplit("/", 1)[-1]
    return name[name.rfind("."):] if "." in name.lstrip(".") else default
