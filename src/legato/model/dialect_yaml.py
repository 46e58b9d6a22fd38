"""Round-trip YAML for `legato flow migrate` and `legato flow validate --lint`: a flow is read with its comments,
key order, quoting and line numbers (ruamel.yaml), changed in place, and written back in the indentation style
that reproduces the original file best, so that the diff shows the migration and little else.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

# (mapping, sequence, offset) indentations tried, the most common Kestra styles first
_STYLES = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 2))


class DialectError(ValueError):
    """The file cannot be read as a flow (not YAML, not a map)."""


@dataclass
class Document:
    """A flow's YAML tree (ruamel's CommentedMap) and the style to write it back in."""

    tree: CommentedMap
    style: tuple[int, int, int]
    source: str


def _yaml(style: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold long expressions onto a second line
    yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
    return yaml


def load(text: str, source: str = "<flow>") -> Document:
    """The flow in `text`, ready to be changed and written back."""
    try:
        tree = _yaml(_STYLES[0]).load(text)
    except YAMLError as exc:
        raise DialectError(f"{source}: invalid YAML: {exc}") from None
    if not isinstance(tree, CommentedMap):
        raise DialectError(f"{source}: a flow must be a YAML map")
    return Document(tree, _best_style(text), text)


def _best_style(text: str) -> tuple[int, int, int]:
    """The indentation whose rewriting of the unchanged file differs from it the least."""
    best, best_changes = _STYLES[0], None
    for style in _STYLES:
        yaml = _yaml(style)
        out = io.StringIO()
        yaml.dump(yaml.load(text), out)
        changes = sum(1 for line in difflib.ndiff(text.splitlines(), out.getvalue().splitlines()) if line[:1] in "+-")
        if best_changes is None or changes < best_changes:
            best, best_changes = style, changes
        if changes == 0:
            break
    return best


def dump(document: Document) -> str:
    out = io.StringIO()
    _yaml(document.style).dump(document.tree, out)
    return out.getvalue()


def diff(before: str, after: str, name: str) -> str:
    """A unified diff of one file, empty when nothing changed."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def where(tree: Any, path: tuple[Any, ...]) -> tuple[int, int] | None:
    """The 1-based line and column of the node at `path` (its key, for a map entry)."""
    node = tree
    position = None
    for step in path:
        if isinstance(node, CommentedMap) and step in node:
            line, col = node.lc.key(step)
            position, node = (line + 1, col + 1), node[step]
        elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
            line, col = node.lc.item(step)
            position, node = (line + 1, col + 1), node[step]
        else:
            break
    return position


def new_map(items: dict[str, Any] | None = None) -> CommentedMap:
    out = CommentedMap()
    for key, value in (items or {}).items():
        out[key] = value
    return out


def new_seq(items: list[Any] | None = None) -> CommentedSeq:
    return CommentedSeq(items or [])
