"""The `kestra:///` URI layout of internal storage, the same as Kestra's so that flows which build or parse
URIs keep working: a namespace `company.team` is the folder `company/team`."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

from legato.storage.port import StorageError

SCHEME = "kestra"


def parse_uri(uri: str) -> tuple[str, ...]:
    """The path segments of a `kestra:///a/b/c` URI; raises StorageError for anything that could leave the
    storage root (`..`, `.`, empty segments, a host part, another scheme, NUL bytes)."""
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        raise StorageError(f"not an internal storage URI (expected {SCHEME}:///...): {uri!r}")
    if parts.netloc:
        raise StorageError(f"internal storage URIs have no host part (write {SCHEME}:///path): {uri!r}")
    if parts.query or parts.fragment:
        raise StorageError(f"internal storage URIs take no query or fragment: {uri!r}")
    segments = tuple(unquote(s) for s in parts.path.strip("/").split("/")) if parts.path.strip("/") else ()
    for segment in segments:
        if segment in ("", ".", "..") or "/" in segment or "\x00" in segment:
            raise StorageError(f"invalid path segment {segment!r} in storage URI {uri!r}")
    return segments


def build_uri(*segments: str) -> str:
    """A `kestra:///` URI from path segments (each percent-encoded as needed)."""
    for segment in segments:
        if segment in ("", ".", "..") or "/" in segment or "\x00" in segment:
            raise StorageError(f"invalid path segment {segment!r} for a storage URI")
    return f"{SCHEME}:///" + "/".join(quote(s, safe="@:+,=-_.~") for s in segments)


def join(prefix: str, relative: str) -> str:
    """`prefix` (a URI) extended by a relative slash-separated path; `..` and absolute paths are refused."""
    if relative.startswith("/"):
        raise StorageError(f"expected a relative path, got {relative!r}")
    return build_uri(*parse_uri(prefix), *relative.split("/"))


def namespace_segments(namespace: str) -> tuple[str, ...]:
    """`company.team` → ("company", "team"); StorageError for a namespace with an empty segment (`a..b`, `a.`),
    which names no folder."""
    segments = tuple(namespace.split("."))
    if "" in segments:
        raise StorageError(f"namespace {namespace!r} has an empty segment (two dots in a row, or a dot at an end)")
    return segments


def task_run_prefix(namespace: str, flow_id: str, execution_id: str, task_id: str, task_run_id: str) -> str:
    """Where a task run's files go: kestra:///<ns>/<flow>/executions/<id>/tasks/<task>/<taskrun>."""
    return build_uri(*namespace_segments(namespace), flow_id, "executions", execution_id, "tasks", task_id, task_run_id)


def execution_prefix(namespace: str, flow_id: str, execution_id: str) -> str:
    """Every file of one execution lives under this URI."""
    return build_uri(*namespace_segments(namespace), flow_id, "executions", execution_id)


def namespace_files_prefix(namespace: str) -> str:
    """Namespace files of `namespace` (Kestra's layout: kestra:///<ns>/_files)."""
    return build_uri(*namespace_segments(namespace), "_files")
