"""File paths from requests, resolved inside their root or refused with a 400.

A path is split on `/`; each segment must still be a plain name after any number of percent-decodings (so
`..%2F` and `%252F` cannot smuggle a separator or a parent reference past a later decoding step), may not
hold a backslash or a NUL, and the resolved path (symlinks followed) must stay inside the root.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from legato.api import dto
from legato.api.errors import ApiError
from legato.storage import StorageError, parse_uri

MAX_DEPTH = 64


def _bad(what: str, path: str, why: str) -> ApiError:
    detail = dto.ErrorDetail(path=what, message=why)
    return ApiError(400, f"invalid {what} {path!r}: {why}", [detail])


def check_segment(segment: str, what: str, path: str) -> str:
    """`segment` when it is a plain file or folder name; 400 otherwise."""
    decoded, previous = segment, None
    for _ in range(4):  # decode until stable: every layer of encoding is looked through
        if decoded == previous:
            break
        previous, decoded = decoded, unquote(decoded)
    for form in (segment, decoded):
        if form in ("", ".", ".."):
            raise _bad(what, path, "empty, '.' and '..' segments are not allowed")
        if "/" in form or "\\" in form or "\x00" in form:
            raise _bad(what, path, "separators, backslashes and NUL are not allowed in names")
    return segment


def segments(path: str, what: str = "path") -> tuple[str, ...]:
    """The names of a slash-separated path relative to a root (a leading `/` means the root); () is the root."""
    if "\\" in path or "\x00" in path:
        raise _bad(what, path, "backslashes and NUL are not allowed")
    stripped = path.strip("/")
    if not stripped:
        return ()
    parts = tuple(check_segment(s, what, path) for s in stripped.split("/"))
    if len(parts) > MAX_DEPTH:
        raise _bad(what, path, f"more than {MAX_DEPTH} levels")
    return parts


def inside(root: Path, parts: tuple[str, ...], what: str = "path") -> Path:
    """`root` joined with `parts`, symlinks resolved, refused (400) unless it stays inside `root`."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and not target.is_relative_to(base):
        raise _bad(what, "/".join(parts), "it leads outside its root")
    return target


def storage_uri(uri: str, what: str = "path") -> tuple[str, ...]:
    """The segments of a `kestra:///` URI whose every segment is a plain name; 400 otherwise."""
    try:
        parts = parse_uri(uri)
    except StorageError as exc:
        raise _bad(what, uri, str(exc)) from None
    for part in parts:
        check_segment(part, what, uri)
    return parts
