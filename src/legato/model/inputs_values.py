"""Checking the inputs of a new execution against the flow's declarations: typed values, or every problem at once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from legato.model import inputs_parse as p
from legato.model.errors import InputsError, Problem
from legato.model.inputs import FileInput, Input, SelectInput, StringInput

Render = Callable[[str, dict[str, Any]], Any]
_MISSING = object()


def dependency_order(inputs: Sequence[Input]) -> list[Input]:
    """The inputs in declaration order, except that each comes after the inputs its `dependsOn` names.

    Raises ValueError on a cycle or an unknown dependency.
    """
    by_id = {i.id: i for i in inputs}
    done: dict[str, Input] = {}
    visiting: list[str] = []

    def visit(item: Input) -> None:
        if item.id in done:
            return
        if item.id in visiting:
            cycle = " -> ".join([*visiting[visiting.index(item.id) :], item.id])
            raise ValueError(f"inputs depend on each other in a cycle: {cycle}")
        visiting.append(item.id)
        for dep in item.dependsOn.inputs if item.dependsOn else []:
            if dep not in by_id:
                raise ValueError(f"input '{item.id}' depends on unknown input '{dep}'")
            visit(by_id[dep])
        visiting.pop()
        done[item.id] = item

    for item in inputs:
        visit(item)
    return list(done.values())


def _lookup(raw: Mapping[str, Any], input_id: str) -> Any:
    if input_id in raw:
        return raw[input_id]
    node: Any = raw
    for part in input_id.split("."):  # also accept {"a": {"b": 1}} for the nested id "a.b"
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _put(out: dict[str, Any], input_id: str, value: Any) -> None:
    *parents, leaf = input_id.split(".")
    node = out
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _blank(item: Input, value: Any) -> bool:
    """No value given: absent, null, or empty text for a type where empty text means nothing (not STRING)."""
    if value is _MISSING or value is None:
        return True
    return value == "" and not isinstance(item, StringInput)


def _call(render: Render | None, template: str, context: dict[str, Any]) -> Any:
    if render is None:
        raise ValueError(f"{p.show(template)} is an expression and no renderer was given")
    try:
        return render(template, context)
    except Exception as exc:  # any failure of the expression engine is this input's problem, not a crash
        raise ValueError(f"cannot render {p.show(template)}: {exc}") from None


def _render(value: Any, render: Render | None, context: dict[str, Any]) -> Any:
    return _call(render, value, context) if p.is_expression(value) else value


def _choices(item: Input, render: Render | None, context: dict[str, Any]) -> list[str] | None:
    if not isinstance(item, SelectInput) or item.expression is None or render is None:
        return None
    rendered = _call(render, item.expression, context)
    if isinstance(rendered, str):
        rendered = p.to_json(rendered)
    if not isinstance(rendered, list):
        raise ValueError(f"'expression' must render a list of values, got {p.show(rendered)}")
    return [str(v) for v in rendered]


def _enabled(item: Input, render: Render | None, context: dict[str, Any]) -> bool:
    condition = item.dependsOn.condition if item.dependsOn else None
    if condition is None:
        return True
    result = _render(condition, render, context)
    if isinstance(result, str):
        return result.strip().lower() not in ("", "false", "0", "null")
    return bool(result)


def _one(item: Input, raw: Mapping[str, Any], render: Render | None, files: Mapping[str, str], context: dict[str, Any]) -> Any:
    value = files.get(item.id, _MISSING) if isinstance(item, FileInput) else _MISSING
    if value is _MISSING:
        value = _lookup(raw, item.id)
    if _blank(item, value):
        value = _render(item.defaults, render, context)
    if _blank(item, value):
        if item.required:
            raise ValueError("a value is required and none was given (and there is no default)")
        return None
    return item.convert(value, _choices(item, render, context))


def validate_inputs(
    inputs: Sequence[Input],
    raw: Mapping[str, Any],
    *,
    render: Render | None = None,
    files: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Typed values for `inputs` from `raw` (text or typed values), defaults applied, nested ids nested.

    `render(template, inputs_so_far)` renders expressions in defaults, `dependsOn.condition` and
    SELECT/MULTISELECT `expression`; `files` maps FILE input ids to their stored URI. Keys of `raw` that no
    input declares are ignored, as Kestra does. Raises InputsError naming every bad input.
    """
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    try:
        ordered = dependency_order(inputs)
    except ValueError as exc:
        raise InputsError([Problem(path="", message=str(exc))]) from None
    for item in ordered:
        context = values  # the (nested) typed inputs resolved so far
        try:
            if not _enabled(item, render, context):
                continue
            _put(values, item.id, _one(item, raw, render, files or {}, context))
        except ValueError as exc:
            problems.append(Problem(path=item.id, message=str(exc)))
    if problems:
        raise InputsError(problems)
    return values
