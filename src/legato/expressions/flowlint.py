"""Checks of the templates in a flow's YAML that validation of its model cannot make: each finding is a Problem at
the YAML line and property of the template (file:line:column: path: message).

- a template that does not parse (an unclosed `{{` or `{%`, a stray `}}`, an unknown tag);
- a function, filter or test that neither Legato nor Kestra knows;
- `outputs.<id>` where no task of the flow (tasks, errors, finally, afterExecution, nested at any depth,
  plus the `<id>_split/_items/_merge` runs of a ForEachItem) has that id;
- `inputs.<id>` where the flow declares no such input.

Reference checks are skipped where the names mean something else: under `triggers` (a Flow trigger's
`outputs` are the upstream execution's) and `pluginDefaults` (defaults may serve other flows), and in a flow
with a templated task (its tasks come from a rendered spec). Descriptions are documentation, not templates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from legato.expressions import lint
from legato.model.errors import Problem, format_path
from legato.model.loader import Document, parse_documents

NOT_TEMPLATES = frozenset({"description", "id", "type"})  # and the flow's own namespace
OTHER_SCOPES = frozenset({"triggers", "pluginDefaults"})  # outputs/inputs there are not this flow's
NON_TASK_LISTS = frozenset({"inputs", "outputs", "triggers", "pluginDefaults", "labels", "conditions", "checks",
                            "sla"})
GENERATED_RUNS = {"ForEachItem": ("_split", "_items", "_merge")}
CHILD_SCOPED = frozenset({"Subflow", "Flow"})  # their `outputs:` are rendered in the child execution


def lint_source(text: str, source: str = "<string>", first_line: int = 1) -> list[Problem]:
    """Findings for every flow document of `text` (YAML errors are for the model's validation to report)."""
    out: list[Problem] = []
    lines = text.splitlines()
    for doc in parse_documents(text, source=source):
        if doc.problems or not isinstance(doc.value, Mapping):
            continue
        out += _FlowLint(doc, lines, source, first_line - 1).run()
    return out


class _FlowLint:
    def __init__(self, doc: Document, lines: list[str], source: str, offset: int) -> None:
        self.doc, self.lines, self.source, self.offset = doc, lines, source, offset
        flow: Mapping[str, Any] = doc.value
        self.tasks, templated, self.child_scoped = _task_ids(flow)
        declared = [str(i.get("id") or i.get("name")) for i in flow.get("inputs") or () if isinstance(i, Mapping)]
        self.inputs = {d.split(".", 1)[0] for d in declared}  # `user.name` is read as inputs.user.name
        self.check_references = not templated

    def run(self) -> list[Problem]:
        out: list[Problem] = []
        top = {k: v for k, v in self.doc.value.items() if k != "namespace"}
        for path, text in _strings(top, ()):
            out += self._check(path, text)
        return sorted(out, key=lambda p: (p.line or 0, p.column or 0))

    def _check(self, path: tuple[Any, ...], text: str) -> list[Problem]:
        facts = lint.scan(text)
        if facts.error is not None:
            return [self._problem(path, text, facts.error.line, facts.error.column,
                                  f"invalid expression: {facts.error.problem}")]
        found = [self._problem(path, text, u.line, u.column, f"unknown {u.kind} '{u.name}'") for u in facts.unknown()]
        if self.check_references and path[0] not in OTHER_SCOPES \
                and not any(path[:len(p)] == p for p in self.child_scoped):
            for use in facts.references("output"):
                if use.name not in self.tasks:
                    found.append(self._problem(path, text, use.line, use.column,
                                               f"'outputs.{use.name}': no task of this flow has the id '{use.name}'"))
            for use in facts.references("input"):
                if use.name not in self.inputs:
                    found.append(self._problem(path, text, use.line, use.column,
                                               f"'inputs.{use.name}': this flow declares no input '{use.name}'"))
        return found

    def _problem(self, path: tuple[Any, ...], text: str, line: int | None, column: int | None, message: str) -> Problem:
        at = self.doc.positions.get(path)
        if at is None:
            return Problem(format_path(path), message, None, None, self.source)
        node_line, node_column = at
        raw = self.lines[node_line - 1][node_column - 1:] if node_line <= len(self.lines) else ""
        line, column = line or 1, column or 1
        if raw[:1] in ("|", ">"):  # a block scalar: its text starts on the next line, indented
            content = node_line + line - 1
            indent = len(self.lines[content]) - len(self.lines[content].lstrip()) if content < len(self.lines) else 0
            where = (content + 1, indent + column)
        elif line > 1:
            where = (node_line + line - 1, column)
        else:
            where = (node_line, node_column + column - 1 + (1 if raw[:1] in ("'", '"') else 0))
        return Problem(format_path(path), message, where[0] + self.offset, where[1], self.source)


def _strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string of the document that holds template syntax, with its path."""
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in NOT_TEMPLATES or not isinstance(item, str):
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _task_ids(flow: Mapping[str, Any]) -> tuple[set[str], bool, list[tuple[Any, ...]]]:
    """Ids of every task of the flow at any depth (and the runs ForEachItem adds); whether a task is templated
    (its tasks are only known once its spec is rendered); the paths rendered in a child execution."""
    ids: set[str] = set()
    templated = False
    child: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((k,), v) for k, v in flow.items() if k not in NON_TASK_LISTS]
    while stack:
        path, item = stack.pop()
        if isinstance(item, Mapping):
            kind = item.get("type")
            if isinstance(item.get("id"), str) and isinstance(kind, str):
                ids.add(item["id"])
                short = kind.rsplit(".", 1)[-1]
                ids.update(item["id"] + suffix for suffix in GENERATED_RUNS.get(short, ()))
                templated = templated or short in ("TemplatedTask", "Template")
                if short in CHILD_SCOPED:
                    child.append((*path, "outputs"))
            stack.extend(((*path, k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in enumerate(item))
    return ids, templated, child
