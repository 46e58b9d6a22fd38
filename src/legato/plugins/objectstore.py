"""What the object-storage families (aws.s3, gcp.gcs, azure.storage.blob) share: the listing filters
(`regexp`, `filter: FILES|DIRECTORY|BOTH`, `maxFiles`), the `action` taken on downloaded objects, reading the
files a task uploads and storing the ones it downloads in internal storage."""

from __future__ import annotations

import json
import posixpath
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from legato import regex
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri, source_uri
from legato.storage import StorageError

Filter = Literal["FILES", "DIRECTORY", "BOTH"]
Action = Literal["MOVE", "DELETE", "NONE"]
On = Literal["CREATE", "UPDATE", "CREATE_OR_UPDATE"]
T = TypeVar("T")


def keep(name: str, pattern: str | None, kind: str) -> bool:
    """Whether an object named `name` passes `regexp` (a full match, as Java's String.matches) and `filter`
    (a name ending in '/' is a directory marker)."""
    if pattern is not None and not regex.fullmatch(pattern, name):
        return False
    directory = name.endswith("/")
    return kind == "BOTH" or (kind == "DIRECTORY") == directory


def capped(ctx: RunContext, found: list[T], max_files: int) -> list[T]:
    """The first `max_files` of `found`, warning (as Kestra does) when some are left out."""
    if len(found) > max_files:
        ctx.logger.warn(f"Listing returned {len(found)} files but maxFiles limit is {max_files}. Only the first "
                        f"{max_files} files will be returned. Increase the maxFiles property if you need more files.")
        return found[:max_files]
    return found


def sources(ctx: RunContext, value: Any, prop: str = "from") -> list[str]:
    """The internal-storage URIs of an upload's `from`: one URI, a list of them, or an expression giving either
    (a JSON list in text counts as a list)."""
    rendered = ctx.render(value)
    if isinstance(rendered, str) and rendered.strip().startswith("["):
        try:
            rendered = json.loads(rendered)
        except ValueError:
            raise TaskFailed(f"property '{prop}' is not a URI nor a JSON list of URIs: {rendered[:100]!r}") from None
    items = rendered if isinstance(rendered, list) else [rendered]
    if not items:
        raise TaskFailed(f"property '{prop}' names no file")
    return [source_uri(ctx, item, prop) for item in items]


def named_sources(ctx: RunContext, value: Any, prop: str = "from") -> dict[str, str]:
    """An upload's `from` as object name → internal-storage URI: a map is taken as it is, a URI or a list of them
    is named by each file's last name part (as Kestra does)."""
    rendered = ctx.render(value)
    if isinstance(rendered, str) and rendered.strip().startswith("{"):
        try:
            rendered = json.loads(rendered)
        except ValueError:
            raise TaskFailed(f"property '{prop}' is not a map of name to URI: {rendered[:100]!r}") from None
    if isinstance(rendered, dict):
        if not rendered:
            raise TaskFailed(f"property '{prop}' names no file")
        return {str(k): source_uri(ctx, v, f"{prop}.{k}") for k, v in rendered.items()}
    files = sources(ctx, rendered, prop)
    named = {posixpath.basename(uri): uri for uri in files}
    if len(named) < len(files):
        raise TaskFailed(f"property '{prop}' names two files with the same name; give a map of object name to URI")
    return named


def local_copy(ctx: RunContext, uri: str, folder: Path) -> Path:
    """A file of internal storage copied to `folder` (client libraries upload from local paths)."""
    target = folder / (posixpath.basename(uri) or "file")
    try:
        with ctx.storage.open(uri) as source, target.open("wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
    except StorageError as exc:
        raise TaskFailed(str(exc)) from None
    return target


def store_download(ctx: RunContext, name: str, fetch: Callable[[IO[bytes]], None]) -> tuple[str, int]:
    """Store in internal storage what `fetch` writes into the file it is given; returns the URI and the size.
    The file keeps the object's name (its folders included, so two objects never share a file) under the running
    task's folder."""
    parts = [p for p in name.split("/") if p not in ("", ".", "..")]
    base = "/".join(parts) or "object"
    with tempfile.TemporaryDirectory(prefix="legato-object-") as folder:
        local = Path(folder) / "object"
        with local.open("wb") as out:
            fetch(out)
        size = local.stat().st_size
        try:
            return ctx.storage.put_file(output_uri(ctx, base), local), size
        except StorageError as exc:
            raise TaskFailed(str(exc)) from None


def moved_name(directory: str, name: str) -> str:
    """Where MOVE puts an object: its last name part under `directory` (as Kestra does)."""
    return directory.rstrip("/") + "/" + posixpath.basename(name)
