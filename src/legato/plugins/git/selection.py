"""Which resources a Git task works on: the namespace it names (checked), the glob patterns of `flows`/`files`,
and the files of a repository folder (without git's own files and what `.kestraignore` leaves out)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from legato.model.flow import NAMESPACE_PATTERN
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import render_optional_text
from legato.storage import StorageError, access, namespace_files

_NAMESPACE = re.compile(NAMESPACE_PATTERN)
_GIT_OWN = (".git", ".gitignore", ".gitkeep", ".kestraignore")


def namespace(ctx: RunContext, value: str | None, prop: str) -> str:
    """The namespace a task names (the flow's when unset), checked by the rule every route follows: an execution
    reaches its own namespace only (legato.storage.access). `includeChildNamespaces` then extends a flow sync to
    the namespaces under it."""
    name = render_optional_text(ctx, value) or ctx.flow_namespace
    if not _NAMESPACE.match(name) or len(name) > 150:
        raise TaskFailed(
            f"property '{prop}': {name!r} is not a valid namespace (lowercase letters, digits, '.', '_', '-')"
        )
    try:
        access.check_namespace(ctx.flow_namespace, name)
    except StorageError as exc:
        raise TaskFailed(f"property '{prop}': {exc}") from None
    return name


def patterns(ctx: RunContext, value: Any, prop: str) -> list[str] | None:
    """Glob patterns from a string, a list or an expression giving either (or a JSON list); None when unset."""
    if value is None:
        return None
    rendered = ctx.render(value)
    if isinstance(rendered, str):
        try:
            parsed = json.loads(rendered)
        except ValueError:
            parsed = rendered
        rendered = parsed if isinstance(parsed, list) else [rendered]
    if not isinstance(rendered, list) or not all(isinstance(p, str) and p.strip() for p in rendered):
        raise TaskFailed(f"property '{prop}' must be a glob pattern or a list of them (e.g. '**.sql')")
    return [p.strip().removeprefix("glob:") for p in rendered] or None


def selected(path: str, globs: list[str] | None) -> bool:
    """Whether `/path` (or its file name, or its name without extension, as Kestra tries) matches one of `globs`."""
    if globs is None:
        return True
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return any(namespace_files.matches(candidate, globs) for candidate in (path, "/" + name, "/" + stem))


def repository_files(base: Path, *, recursive: bool = True) -> Iterator[tuple[str, Path]]:
    """`relative/path` and file of every file under `base`, sorted, skipping git's own files and what
    `base/.kestraignore` (one glob per line, `#` comments) ignores."""
    ignore_file = base / ".kestraignore"
    ignored = (
        [
            line.strip()
            for line in ignore_file.read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        if ignore_file.is_file()
        else []
    )
    ignored = [
        p if p.startswith("/") else "**/" + p.rstrip("/") + ("/**" if p.endswith("/") else "")
        for p in ignored
    ]
    candidates = base.rglob("*") if recursive else base.glob("*")
    for path in sorted(candidates):
        relative = path.relative_to(base).as_posix()
        if not path.is_file() or any(part in _GIT_OWN for part in relative.split("/")):
            continue
        if ignored and namespace_files.matches("/" + relative, ignored):
            continue
        yield relative, path
