"""ForEach (and the older EachSequential / EachParallel) become Kestra 2.0's Loop, when that keeps what the flow
does: inside an iteration `taskrun.value` is `item.value`, `taskrun.iteration` is `item.index`, the value of an
enclosing task run (`parent.taskrun.value`, `parents[i].taskrun.value`) is the item of the loop it belongs to
(`item.value`, `item.parent.value`, `item.parents[j].value`), and `outputs.x[taskrun.value]` of a task of the
same iteration is `outputs.x`. ForEach ran one iteration at a time by default, Loop runs them all: the limit
is written out.

2.0 hides the outputs of a loop's tasks from everything outside the loop; a flow that reads them there (or
whose expressions use a form this rewrite cannot map) keeps its loops, and the finding says why. All loops of
a flow are rewritten together, or none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

if TYPE_CHECKING:
    from legato.model.dialect import Path, Upgrade

LOOPS = ("ForEach", "EachSequential", "EachParallel")
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_PARENT = re.compile(r"(?<![\w.])(?:parent|parents\s*\[\s*(\d+)\s*\])\s*\.\s*taskrun\s*\.\s*(value|iteration)\b")
_PARENT_OTHER = re.compile(r"(?<![\w.])parents?\b(?!\s*\.\s*taskrun\s*\.\s*(?:value|iteration)\b)(?!\s*\[\s*\d+\s*\]\s*\.\s*taskrun\s*\.\s*(?:value|iteration)\b)")
_TASKRUN = re.compile(r"(?<![\w.])taskrun\s*\.\s*(value|iteration)\b")
_OUTPUT_REF = re.compile(r"""(?<![\w.])outputs\s*(?:\.\s*([A-Za-z0-9_]+)|\[\s*['"]([^'"]+)['"]\s*\])""")
_INDEX = re.compile(r"\s*\[[^\[\]]*\]")
_CURRENT_EACH = re.compile(r"currentEachOutput\s*\(\s*(outputs\s*(?:\.\s*[A-Za-z0-9_]+|\[\s*['\"][^'\"]+['\"]\s*\]))\s*\)")


class Unsafe(ValueError):
    """The loops cannot become Loops without changing what the flow does."""


@dataclass(frozen=True)
class Place:
    """Where a task sits: its enclosing loops (outermost first, by id) and its enclosing flowable tasks (nearest
    first), each with the loops enclosing that task."""

    loops: tuple[str, ...]
    ancestors: tuple[tuple[str, tuple[str, ...]], ...]


def is_loop(node: Any) -> bool:
    return isinstance(node, CommentedMap) and str(node.get("type", "")).rsplit(".", 1)[-1] in LOOPS


def migrate(up: Upgrade) -> None:
    places: dict[int, Place] = {}  # id(task node) -> place
    by_id: dict[str, Place] = {}
    loops: list[tuple[Path, CommentedMap]] = []
    _locate(up.tree, (), Place((), ()), places, by_id, loops)
    if not loops:
        return
    try:
        edits = _plan(up.tree, places, by_id)
    except Unsafe as exc:
        for path, _ in loops:
            up.found((*path, "type"), f"{loops_name(loops)} runs every iteration in the execution",
                     f"Loop, after a rewrite by hand: {exc}", False)
        return
    for path, _ in loops:
        up.found((*path, "type"), f"{str(_['type']).rsplit('.', 1)[-1]}",
                 "Loop (item.value, item.index; concurrencyLimit written out)", True)
    if not up.rewrite:
        return
    for node, key, value in edits:
        node[key] = value
    for _, loop in loops:
        _to_loop(loop)
    up.changed = True


def loops_name(loops: list[tuple[Path, CommentedMap]]) -> str:
    return "/".join(sorted({str(n["type"]).rsplit(".", 1)[-1] for _, n in loops}))


def _locate(node: Any, path: Path, place: Place, places: dict[int, Place], by_id: dict[str, Place],
            loops: list[tuple[Path, CommentedMap]]) -> None:
    """Record the place of every task; `place` is that of the children found under `node`."""
    if isinstance(node, CommentedSeq):
        for index, child in enumerate(node):
            _locate(child, (*path, index), place, places, by_id, loops)
        return
    if not isinstance(node, CommentedMap):
        return
    is_task = "type" in node and "id" in node and any(isinstance(p, str) and p in ("tasks", "errors", "finally", "afterExecution") for p in path[:1])
    if is_task:
        places[id(node)] = place
        by_id[str(node["id"])] = place
        if is_loop(node):
            loops.append((path, node))
    for key, value in node.items():
        if key in ("triggers", "inputs", "pluginDefaults", "taskDefaults", "outputs", "checks"):
            continue
        child = place
        if is_task and isinstance(value, CommentedSeq | CommentedMap) and key not in ("taskRunner", "runner"):
            in_body = is_loop(node) and key == "tasks"
            ancestors = ((str(node["id"]), place.loops), *place.ancestors)
            child = Place((*place.loops, str(node["id"])) if in_body else place.loops, ancestors)
        _locate(value, (*path, key), child, places, by_id, loops)


def _plan(tree: CommentedMap, places: dict[int, Place], by_id: dict[str, Place]) -> list[tuple[Any, Any, str]]:
    """The string edits that make every expression right for Loops; Unsafe when one cannot be made."""
    edits: list[tuple[Any, Any, str]] = []
    _walk_strings(tree, Place((), ()), places, by_id, edits, owner=None)
    return edits


def _walk_strings(node: Any, place: Place, places: dict[int, Place], by_id: dict[str, Place],
                  edits: list[tuple[Any, Any, str]], owner: Any) -> None:
    items: list[tuple[Any, Any]]
    if isinstance(node, CommentedMap):
        if id(node) in places:
            place = places[id(node)]  # a task's own properties are read where the task runs
        items = list(node.items())
    elif isinstance(node, CommentedSeq):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        if isinstance(value, str):
            new = _TEMPLATE.sub(lambda m: _rewrite(m.group(0), place, by_id), value)
            if new != value:
                from legato.model.dialect import same_style

                edits.append((node, key, same_style(value, new)))
        else:
            _walk_strings(value, _child_place(node, key, place, places), places, by_id, edits, owner)


def _child_place(node: Any, key: Any, place: Place, places: dict[int, Place]) -> Place:
    """Inside a loop task, its `tasks` are read in the iteration; other properties (values) outside it."""
    if isinstance(node, CommentedMap) and id(node) in places and is_loop(node) and key != "tasks":
        return places[id(node)]
    return place


def _rewrite(template: str, place: Place, by_id: dict[str, Place]) -> str:
    if _PARENT_OTHER.search(template):
        raise Unsafe(f"`{template}` reads a parent task run other than its value")
    template = _outputs(template, place, by_id)
    template = _CURRENT_EACH.sub(lambda m: m.group(1), template)
    template = _PARENT.sub(lambda m: _parent(m, place), template)
    if place.loops:
        template = _TASKRUN.sub(lambda m: "item.value" if m.group(1) == "value" else "item.index", template)
    return template


def _outputs(template: str, place: Place, by_id: dict[str, Place]) -> str:
    out, at = [], 0
    for match in _OUTPUT_REF.finditer(template):
        task_id = match.group(1) or match.group(2)
        target = by_id.get(task_id)
        if target is None or not target.loops:
            continue
        if place.loops[: len(target.loops)] != target.loops:
            raise Unsafe(f"`{template}` reads outputs of task '{task_id}' from outside its loop")
        if re.search(r"currentEachOutput\s*\(\s*$", template[: match.start()]):
            continue  # currentEachOutput(outputs.x) already is this iteration's outputs.x
        end = match.end()
        for _ in target.loops:  # one index per enclosing loop: the iteration's own run
            index = _INDEX.match(template, end)
            if index is None:
                raise Unsafe(f"`{template}` reads all iterations of task '{task_id}'")
            end = index.end()
        out.append(template[at:match.end()])
        at = end
    out.append(template[at:])
    return "".join(out)


def _parent(match: re.Match[str], place: Place) -> str:
    level = int(match.group(1) or 0)
    if level >= len(place.ancestors):
        raise Unsafe(f"`{match.group(0)}` names a parent the task does not have")
    enclosing = place.ancestors[level][1]
    if not enclosing:
        raise Unsafe(f"`{match.group(0)}` is the value of a task run outside every loop")
    field = "value" if match.group(2) == "value" else "index"
    loop = enclosing[-1]
    depth = len(place.loops) - 1 - place.loops.index(loop)
    if depth == 0:
        return f"item.{field}"
    if depth == 1:
        return f"item.parent.{field}"
    return f"item.parents[{place.loops.index(loop)}].{field}"


def _to_loop(loop: CommentedMap) -> None:
    name = str(loop["type"]).rsplit(".", 1)[-1]
    position = list(loop.keys()).index("type")
    loop["type"] = "io.kestra.plugin.core.flow.Loop"
    if "value" in loop:
        keys = list(loop.keys())
        value = loop.pop("value")
        loop.insert(keys.index("value"), "values", value)
    if name == "EachParallel":
        limit = loop.pop("concurrent", 0)
    elif name == "EachSequential":
        limit = 1
    else:
        limit = loop.get("concurrencyLimit", 1)
    loop.pop("concurrencyLimit", None)
    keys = list(loop.keys())
    after = keys.index("values") + 1 if "values" in keys else position + 1
    loop.insert(after, "concurrencyLimit", limit)
