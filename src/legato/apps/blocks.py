"""What each block of a stage shows, resolved for one visit: texts with their expressions rendered, the inputs a
form asks for, the values, outputs and log lines of the execution the app follows. Pure: the caller reads the
store and passes the data in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from legato.apps import model as m
from legato.expressions import ExpressionError, Renderer
from legato.model.durations import parse_duration

_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
FILE_SCHEME = "kestra:///"


@dataclass(frozen=True)
class Visit:
    """What the blocks are resolved against. `variables`: the expression context (app, execution, inputs,
    outputs...); `form_inputs` / `resume_inputs`: the input declarations (as written in YAML) of the flow and of
    the paused task; `logs`: the execution's log lines (timestamp, level, taskId, message)."""

    variables: Mapping[str, Any]
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    form_inputs: Sequence[Mapping[str, Any]] = ()
    resume_inputs: Sequence[Mapping[str, Any]] = ()
    logs: Sequence[Mapping[str, Any]] = ()


def resolve(blocks: Sequence[Any], visit: Visit, renderer: Renderer) -> list[dict[str, Any]]:
    """Each block as the app page draws it: `type` (short name) and its resolved properties."""
    shown = []
    for block in blocks:
        kind = m.block_kind(block.type)
        assert kind is not None  # parse_app refused unknown types
        if kind == "Route":
            continue
        resolved = {"type": kind, **_RESOLVERS[kind](block, visit, _Text(renderer, visit.variables))}
        if block.span is not None:
            resolved["span"] = block.span
        shown.append(resolved)
    return shown


class _Text:
    """Renders a block's texts; an expression that fails shows its error in place instead of the text."""

    def __init__(self, renderer: Renderer, variables: Mapping[str, Any]):
        self.renderer = renderer
        self._variables = variables

    def __call__(self, template: str) -> str:
        try:
            return self.renderer.render(template, self._variables)
        except ExpressionError as exc:
            return f"[{exc}]"

    def value(self, template: str) -> Any:
        try:
            return self.renderer.render_typed(template, self._variables)
        except ExpressionError as exc:
            return f"[{exc}]"


Resolver = Callable[[Any, Visit, _Text], dict[str, Any]]


def _markdown(b: m.Markdown, v: Visit, t: _Text) -> dict[str, Any]:
    return {"content": t(b.content)}


def _alert(b: m.Alert, v: Visit, t: _Text) -> dict[str, Any]:
    return {"content": t(b.content), "style": b.style, "showIcon": b.show_icon}


def _button(b: m.Button, v: Visit, t: _Text) -> dict[str, Any]:
    return {"text": t(b.text), "url": t(b.url), "style": b.style, "size": b.size}


def _loading(b: m.Loading, v: Visit, t: _Text) -> dict[str, Any]:
    return {}


def _redirect(b: m.RedirectTo, v: Visit, t: _Text) -> dict[str, Any]:
    delay = parse_duration(b.delay).total_seconds() if b.delay else 0
    return {"url": t(b.url), "delaySeconds": delay}


def _chart(b: m.Chart, v: Visit, t: _Text) -> dict[str, Any]:
    rows = t.value(b.data) if isinstance(b.data, str) else b.data
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        return {"title": b.title, "chartType": b.chart_type, "x": b.x, "y": b.y, "rows": [],
                "error": "the chart's data is not a list of maps"}
    return {"title": b.title, "chartType": b.chart_type, "x": b.x, "y": b.y, "rows": [dict(r) for r in rows]}


def _button_of(default: str) -> Resolver:
    def resolve_button(b: m.CreateExecutionButton, v: Visit, t: _Text) -> dict[str, Any]:
        return {"text": t(b.text) if b.text else default, "style": b.style, "size": b.size}
    return resolve_button


def _create_form(b: m.CreateExecutionForm, v: Visit, t: _Text) -> dict[str, Any]:
    return {"inputs": [dict(i) for i in v.form_inputs]}


def _resume_form(b: m.ResumeExecutionForm, v: Visit, t: _Text) -> dict[str, Any]:
    return {"inputs": [dict(i) for i in v.resume_inputs]}


def _named(values: Mapping[str, Any], keep: m.NameFilter) -> list[dict[str, Any]]:
    return [{"id": k, "value": val, "file": _is_file(val)} for k, val in values.items() if keep.keeps(k)]


def _is_file(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FILE_SCHEME)


def _inputs(b: m.Inputs, v: Visit, t: _Text) -> dict[str, Any]:
    return {"values": _named(v.inputs, b.filter)}


def _outputs(b: m.Outputs, v: Visit, t: _Text) -> dict[str, Any]:
    return {"values": _named(v.outputs, b.filter)}


def _logs(b: m.Logs, v: Visit, t: _Text) -> dict[str, Any]:
    lowest = _LEVELS.index(b.filter.log_level) if b.filter.log_level else 0
    tasks = set(b.filter.task_ids)
    lines = [dict(line) for line in v.logs
             if _level(line.get("level")) >= lowest and (not tasks or line.get("taskId") in tasks)]
    return {"lines": lines}


def _level(name: Any) -> int:
    return _LEVELS.index(name) if name in _LEVELS else len(_LEVELS) - 1


def _task_outputs(b: m.TaskOutputs, v: Visit, t: _Text) -> dict[str, Any]:
    shown = []
    for output in b.outputs:
        value = t.value(output.value) if output.type == "JSON" else t(output.value)
        shown.append({"displayName": output.display_name, "type": output.type, "value": value,
                      "file": output.type == "FILE" and _is_file(value)})
    return {"outputs": shown}


def _grid(b: m.Grid, v: Visit, t: _Text) -> dict[str, Any]:
    return {"columns": b.columns, "gap": b.gap, "blocks": resolve(b.blocks, v, t.renderer)}


_RESOLVERS: dict[str, Resolver] = {
    "Markdown": _markdown, "Alert": _alert, "Button": _button, "Loading": _loading, "RedirectTo": _redirect,
    "Chart": _chart, "CreateExecutionForm": _create_form, "CreateExecutionButton": _button_of("Submit"),
    "ResumeExecutionForm": _resume_form, "ResumeExecutionButton": _button_of("Resume"),
    "CancelExecutionButton": _button_of("Cancel"), "Inputs": _inputs, "Outputs": _outputs, "Logs": _logs,
    "TaskOutputs": _task_outputs, "Grid": _grid,
}
