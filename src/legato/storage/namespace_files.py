"""Namespace files as tasks and expressions address them: a path inside a namespace's file tree (Kestra's layout,
kestra:///<namespace as folders>/_files/<path>, the same tree the API serves), an `nsfile:///path` URI (the
current namespace) or `nsfile://<namespace>/path`. Every path is confined to its namespace's tree: `..`, empty
segments and NUL bytes are refused by the URI builder."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from legato import globs
from legato.storage.port import Storage, StorageError
from legato.storage.uris import build_uri, namespace_files_prefix, parse_uri

NSFILE_SCHEME = "nsfile"


def file_uri(namespace: str, path: str) -> str:
    """The storage URI of the namespace file `path` (a leading `/` is the namespace's root)."""
    relative = path.strip().lstrip("/")
    if not relative:
        raise StorageError(f"a namespace file path is empty: {path!r}")
    prefix = parse_uri(namespace_files_prefix(namespace))
    segments = relative.split("/")
    for segment in segments:
        if segment in ("", ".", "..") or "\x00" in segment:
            raise StorageError(f"namespace file path {path!r} must stay inside the namespace's files")
    return build_uri(*prefix, *segments)


def relative_path(namespace: str, uri: str) -> str:
    """`/path` of a storage URI under the namespace's files (the inverse of `file_uri`)."""
    depth = len(parse_uri(namespace_files_prefix(namespace)))
    return "/" + "/".join(parse_uri(uri)[depth:])


def list_files(storage: Storage, namespace: str) -> dict[str, str]:
    """Every file of the namespace: `/path` → storage URI, sorted by path. Temporary files of the API's atomic
    writes are left out."""
    found = {}
    for uri in storage.list(namespace_files_prefix(namespace)):
        path = relative_path(namespace, uri)
        if not path.rsplit("/", 1)[-1].startswith(".tmp-"):
            found[path] = uri
    return found


def is_nsfile(value: str) -> bool:
    return value.strip().startswith(f"{NSFILE_SCHEME}://")


def parse_nsfile(value: str) -> tuple[str | None, str]:
    """(namespace or None for the current one, path) of `nsfile:///path` or `nsfile://<namespace>/path`."""
    parts = urlsplit(value.strip())
    if parts.scheme != NSFILE_SCHEME or parts.query or parts.fragment:
        raise StorageError(f"expected nsfile:///path or nsfile://namespace/path, not {value!r}")
    path = unquote(parts.path)
    if not path.strip("/"):
        raise StorageError(f"the namespace file URI {value!r} names no file")
    return (parts.netloc or None), path


def matches(path: str, patterns: list[str]) -> bool:
    """Whether the `/path` of a namespace file matches one of the glob patterns (`legato.globs`: Java's glob
    syntax, as Kestra reads them)."""
    try:
        return globs.matches(path, patterns)
    except globs.PatternError as exc:
        raise StorageError(str(exc)) from None
