"""Kestra 1.x constructs that Kestra 2.0 removed or renamed: finding them (`legato flow validate --lint`) and
rewriting them into their 2.0 form (`legato flow migrate`). Legato runs both dialects; these findings only
say what a flow needs before it can move to Kestra 2.0, and the rewrite keeps what the flow does.

Each rule reports a `Finding` (where, what, the 2.0 replacement) and, when it can rewrite the construct without
changing the flow's behaviour, does so on the round-trip tree. What needs a person (ForEachItem, plugin
types 2.0 moved out of core, a Subflow's deprecated `outputs`) is reported and left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from legato.model import dialect_loops, dialect_triggers
from legato.model.dialect_yaml import Document, dump, new_map, new_seq, where

Path = tuple[Any, ...]
TASK_LISTS = ("tasks", "errors", "finally", "afterExecution")


@dataclass(frozen=True)
class Finding:
    path: Path
    message: str  # the 1.x construct
    replacement: str  # its Kestra 2.0 form
    automatic: bool  # `legato flow migrate` rewrites it
    line: int | None = None
    column: int | None = None

    def render(self, source: str) -> str:
        place = f"{source}:{self.line}:{self.column}" if self.line is not None else source
        dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(self.path))
        how = "legato flow migrate rewrites it" if self.automatic else "to rewrite by hand"
        return f"{place}: {dotted or '(flow)'}: {self.message}; Kestra 2.0: {self.replacement} ({how})"


@dataclass
class Upgrade:
    """One pass over a flow: the findings, and whether the tree was changed."""

    tree: CommentedMap
    rewrite: bool  # change the tree (migrate) or only report (lint)
    findings: list[Finding] = field(default_factory=list)
    changed: bool = False

    def found(self, path: Path, message: str, replacement: str, automatic: bool) -> None:
        position = where(self.tree, path)
        line, column = position if position else (None, None)
        self.findings.append(Finding(path, message, replacement, automatic, line, column))


def upgrade(document: Document, *, rewrite: bool) -> Upgrade:
    """Find (and with `rewrite`, rewrite) the flow's 1.x constructs."""
    up = Upgrade(document.tree, rewrite)
    _plugin_defaults(up)  # first: the values it inlines go through the other rules too
    dialect_loops.migrate(up)
    for path, task in list(iter_tasks(up.tree)):
        _task(up, path, task)
    for index, trigger in enumerate(up.tree.get("triggers") or ()):
        if isinstance(trigger, CommentedMap):
            dialect_triggers.migrate(up, ("triggers", index), trigger)
    _checks(up)
    _inputs(up, ("inputs",), up.tree.get("inputs"))
    _expressions(up, (), up.tree)
    return up


def migrated_text(document: Document) -> tuple[str, Upgrade]:
    """The flow rewritten in the 2.0 dialect (the original text when nothing changed), and what was found."""
    up = upgrade(document, rewrite=True)
    return (dump(document) if up.changed else document.source), up


# walking ---------------------------------------------------------------------------------------------
def iter_tasks(node: Any, path: Path = ()) -> Iterator[tuple[Path, CommentedMap]]:
    """Every task of the flow with its path, nested ones included (Dag entries, Switch cases, If branches)."""
    if isinstance(node, CommentedMap):
        if path and "type" in node and "id" in node and _is_task_path(path):
            yield path, node
        for key, value in node.items():
            if key in ("triggers", "inputs", "pluginDefaults", "taskDefaults", "outputs", "checks", "taskRunner",
                       "runner", "conditions", "onResume"):
                continue
            yield from iter_tasks(value, (*path, key))
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            yield from iter_tasks(value, (*path, index))


def _is_task_path(path: Path) -> bool:
    keys = [p for p in path if isinstance(p, str)]
    return bool(keys) and keys[0] in TASK_LISTS


def short_type(type_name: Any) -> str:
    return str(type_name).rsplit(".", 1)[-1]


# rules -------------------------------------------------------------------------------------------------
_REMOVED_FROM_CORE = {
    "Count": "io.kestra.plugin.kestra.executions.Count (plugin-kestra), or a KV counter",
    "Resume": "the Kestra SDK or API (plugin-kestra)",
    "Toggle": "the Kestra SDK or API (plugin-kestra)",
    "Fetch": "io.kestra.plugin.kestra.logs.Fetch (plugin-kestra)",
}


def _task(up: Upgrade, path: Path, task: CommentedMap) -> None:
    kind = str(task.get("type", ""))
    name = short_type(kind)
    if "runIf" in task:
        up.found((*path, "runIf"), "task property runIf", "`when` (same expression)", True)
        if up.rewrite:
            _rename_key(task, "runIf", "when")
            up.changed = True
    if "workerGroup" in task:
        _worker_group(up, path, task)
    if name == "ForEachItem":
        up.found((*path, "type"), "ForEachItem was removed",
                 "a storage.Split of the file, then a Loop over the split URIs calling a Subflow", False)
    elif name == "Echo" and (".debug." in kind or kind == "debug.Echo"):
        _echo(up, path, task)
    elif ".state." in kind and name in ("Get", "Set", "Delete"):
        up.found((*path, "type"), f"{kind} (the state store)", f"io.kestra.plugin.core.kv.{name} (its properties differ: key, value)", False)
    elif name in _REMOVED_FROM_CORE and _core_type(kind, name):
        up.found((*path, "type"), f"{kind} is no longer a core task", _REMOVED_FROM_CORE[name], False)
    if name in ("Subflow", "Flow") and "outputs" in task and ".flow." in kind:
        up.found((*path, "outputs"), "a Subflow's `outputs` (deprecated since 0.15)",
                 "flow `outputs` on the subflow, read as outputs.<task>.outputs.<id>", False)
    if "runner" in task and name in ("Commands", "Script"):
        up.found((*path, "runner"), "script property runner", "`taskRunner: {type: io.kestra.plugin.core.runner.Process}` "
                 "(or ...docker.Docker with containerImage)", False)


def _core_type(kind: str, name: str) -> bool:
    """A core task 2.0 moved to plugin-kestra (log.Fetch, not the storage or HTTP tasks named Fetch)."""
    if name == "Fetch":
        return ".core.log." in kind or ".core.tasks.log." in kind or kind == "log.Fetch"
    return ".core." in kind or kind.startswith(("execution.", "trigger."))


def _echo(up: Upgrade, path: Path, task: CommentedMap) -> None:
    up.found((*path, "type"), "debug.Echo", "io.kestra.plugin.core.log.Log (format becomes message)", True)
    if up.rewrite:
        task["type"] = "io.kestra.plugin.core.log.Log"
        if "format" in task:
            _rename_key(task, "format", "message")
        up.changed = True


def _worker_group(up: Upgrade, path: Path, task: CommentedMap) -> None:
    group = task["workerGroup"]
    if not isinstance(group, CommentedMap) or "key" not in group:
        return
    up.found((*path, "workerGroup"), "workerGroup.key",
             "`workerSelector: {tags: [key]}` (fallback FAIL by default in 2.0: WAIT, 1.x's default, is written out)", True)
    if up.rewrite:
        selector = new_map({"tags": new_seq([group["key"]]), "fallback": group.get("fallback", "WAIT")})
        _replace_key(task, "workerGroup", "workerSelector", selector)
        up.changed = True


def _checks(up: Upgrade) -> None:
    for index, check in enumerate(up.tree.get("checks") or ()):
        if isinstance(check, CommentedMap) and "condition" in check:
            up.found(("checks", index, "condition"), "check property condition", "`when` (same expression)", True)
            if up.rewrite:
                _rename_key(check, "condition", "when")
                up.changed = True


_INPUT_TYPES = {"BOOLEAN": "BOOL", "ENUM": "SELECT"}


def _inputs(up: Upgrade, path: Path, inputs: Any) -> None:
    for index, item in enumerate(inputs or ()):
        if not isinstance(item, CommentedMap):
            continue
        kind = str(item.get("type", ""))
        if kind in _INPUT_TYPES:
            up.found((*path, index, "type"), f"input type {kind}", f"type {_INPUT_TYPES[kind]}", True)
            if up.rewrite:
                item["type"] = _INPUT_TYPES[kind]
                up.changed = True
        if kind == "ARRAY" and str(item.get("itemType", "")) in _INPUT_TYPES:
            up.found((*path, index, "itemType"), f"item type {item['itemType']}", f"itemType {_INPUT_TYPES[item['itemType']]}", True)
            if up.rewrite:
                item["itemType"] = _INPUT_TYPES[str(item["itemType"])]
                up.changed = True


def _plugin_defaults(up: Upgrade) -> None:
    """2.0 removed `pluginDefaults` (and `taskDefaults`): their values go onto each task of the type, unless the
    task sets the property itself (forced values always win), as 1.x applied them."""
    for key in ("pluginDefaults", "taskDefaults"):
        defaults = up.tree.get(key)
        if not isinstance(defaults, CommentedSeq):
            continue
        up.found((key,), f"flow-level {key}", "the values written on each task of that type (OSS has no policies)", True)
        if not up.rewrite:
            continue
        tasks = [task for _, task in iter_tasks(up.tree)]
        triggers = [t for t in up.tree.get("triggers") or () if isinstance(t, CommentedMap)]
        for entry in defaults:
            if isinstance(entry, CommentedMap):
                for target in tasks + triggers:
                    if _default_applies(str(entry.get("type", "")), str(target.get("type", ""))):
                        _inline(target, entry.get("values") or {}, bool(entry.get("forced")))
        del up.tree[key]
        up.changed = True


def _default_applies(default_type: str, task_type: str) -> bool:
    return task_type == default_type or task_type.startswith(default_type + ".") or short_type(task_type) == default_type


def _inline(target: CommentedMap, values: Any, forced: bool) -> None:
    for key, value in values.items():
        if key not in target or forced:
            target[key] = value
        elif isinstance(target[key], CommentedMap) and isinstance(value, dict):
            _inline(target[key], value, forced)


# expressions ---------------------------------------------------------------------------------------------
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_JSON_FUNCTION = re.compile(r"(?<![\w.])json\s*\(")
_JSON_FILTER = re.compile(r"\|\s*json\b(?!\s*\()")


def rewrite_templates(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied inside each `{{ }}` / `{% %}` only."""
    return _TEMPLATE.sub(lambda m: change(m.group(0)), text)


def _json_calls(template: str) -> str:
    return _JSON_FILTER.sub("| toJson", _JSON_FUNCTION.sub("fromJson(", template))


def _expressions(up: Upgrade, path: Path, node: Any) -> None:
    """`json(x)` is `fromJson(x)` and `| json` is `| toJson` in 2.0, in every expression of the flow."""
    items: Iterator[tuple[Any, Any]]
    if isinstance(node, CommentedMap):
        items = iter(list(node.items()))
    elif isinstance(node, CommentedSeq):
        items = iter(list(enumerate(node)))
    else:
        return
    for key, value in items:
        if isinstance(value, str):
            new = rewrite_templates(value, _json_calls)
            if new != value:
                up.found((*path, key), "the json() function / json filter", "fromJson() / toJson", True)
                if up.rewrite:
                    node[key] = same_style(value, new)
                    up.changed = True
        else:
            _expressions(up, (*path, key), value)


def same_style(old: str, new: str) -> str:
    """`new` in the scalar style (quotes, block) `old` was written in."""
    try:
        return type(old)(new)  # ruamel's quoted and literal scalar strings keep their style
    except TypeError:
        return new


# tree edits -------------------------------------------------------------------------------------------------
def _rename_key(node: CommentedMap, old: str, new: str) -> None:
    _replace_key(node, old, new, node[old])


def _replace_key(node: CommentedMap, old: str, new: str, value: Any) -> None:
    """Put `new: value` where `old` was, keeping the key order (and comments)."""
    position = list(node.keys()).index(old)
    comment = node.ca.items.pop(old, None)
    del node[old]
    node.insert(position, new, value)
    if comment is not None:
        node.ca.items[new] = comment
