"""File patterns, read one way everywhere (namespace files, `outputFiles`, `namespaceFiles.include/exclude`, the
working-directory cache, Git selections): Java's glob syntax, as Kestra reads them.

- `*` and `?` stay within a folder; `**` crosses folders (`**.sql`, `/scripts/**`, `dir/**` is everything beneath);
  `**/` also matches no folder at all (`**/*.csv` finds `a.csv` too);
- `{a,b}` is either, `[abc]` / `[a-z]` / `[!a]` one character, `\\` escapes the next one;
- a pattern is relative to its root; a leading `/` changes nothing.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

_WILD = re.compile(r"[*?\[{\\]")


class PatternError(ValueError):
    """A pattern that cannot be read; the message says which and why."""


def matches(path: str, patterns: Iterable[str]) -> bool:
    """Whether `path` (relative to the patterns' root, `/`-separated; a leading `/` changes nothing) matches one
    of `patterns`."""
    normalized = "/" + path.lstrip("/")
    return any(compiled(p).fullmatch(normalized) for p in patterns)


@functools.lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """The regular expression of `pattern`, matched against a path with a leading `/`."""
    glob = "/" + pattern.strip().lstrip("/")
    out, i, depth = [], 0, 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        elif char == "[" and "]" in glob[i + 1:]:
            end = glob.index("]", i + 1)
            body = glob[i + 1:end]
            body = ("^" + body[1:] if body.startswith("!") else body.replace("^", "\\^")).replace("[", "\\[")
            out.append(f"[{body}]")  # ranges (a-z) keep their meaning
            i = end
        elif char == "\\" and i + 1 < len(glob):
            i += 1
            out.append(re.escape(glob[i]))
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise PatternError(f"unbalanced '{{' in the file pattern {pattern!r}")
    return re.compile("".join(out))


def files(root: Path, patterns: Iterable[str]) -> dict[str, Path]:
    """Regular files under `root` (symbolic links left out) whose relative path matches one of `patterns`,
    by relative path, sorted. A pattern must stay inside the root (PatternError otherwise). Only the folders
    a pattern can reach are read: `*.csv` lists the root alone, `data/**` walks `data/`."""
    wanted = list(patterns)
    found: dict[str, Path] = {}
    for pattern in wanted:
        start, depth = _reach(pattern)
        for relative, path in _walk(root, start, depth):
            if relative not in found and compiled(pattern).fullmatch("/" + relative):
                found[relative] = path
    return dict(sorted(found.items()))


def _reach(pattern: str) -> tuple[str, int | None]:
    """The fixed folder a pattern starts in and how many levels below it can match (None: any)."""
    pure = PurePosixPath(pattern.strip())
    if ".." in pure.parts:
        raise PatternError(f"the file pattern {pattern!r} must stay inside its folder (no '..')")
    parts = [p for p in pattern.strip().strip("/").split("/") if p]
    fixed = 0
    while fixed < len(parts) - 1 and not _WILD.search(parts[fixed]):
        fixed += 1
    rest = parts[fixed:]
    if any("**" in p or "{" in p for p in rest):  # `{a,b/c}` can hold a slash: walk everything below
        return "/".join(parts[:fixed]), None
    return "/".join(parts[:fixed]), len(rest)


def _walk(root: Path, start: str, depth: int | None) -> Iterable[tuple[str, Path]]:
    base = root / start if start else root
    if not base.is_dir() or base.is_symlink():
        return
    top = len(base.parts)
    for folder, dirs, names in os.walk(base):
        level = len(Path(folder).parts) - top + 1
        if depth is not None and level >= depth:
            dirs[:] = []
        if depth is not None and level > depth:
            continue
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path
