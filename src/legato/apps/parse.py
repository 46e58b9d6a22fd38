"""Reading an app's YAML: shape (pydantic) then meaning (known block types, each shown at a stage where it makes
sense, one layout entry per stage), every problem located at its YAML line and JSON path."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from legato.apps.model import APP_TYPES, BLOCKS, UNKNOWN, App, Grid, Stage, UnknownBlock, block_kind
from legato.model.durations import parse_duration
from legato.model.resource import parse_resource

Loc = tuple[str | int, ...]
_SHOWN = [name for name in BLOCKS if name != "Route"]  # Kestra's internal Route is accepted, never suggested
_EXECUTION_STAGES = frozenset(Stage) - {Stage.OPEN}
# where each block can do what it does (Kestra's table); other blocks go anywhere
WHERE = {
    "CreateExecutionForm": frozenset({Stage.OPEN}),
    "CreateExecutionButton": frozenset({Stage.OPEN}),
    "ResumeExecutionForm": frozenset({Stage.PAUSE}),
    "ResumeExecutionButton": frozenset({Stage.PAUSE}),
    "CancelExecutionButton": frozenset({Stage.CREATED, Stage.RUNNING, Stage.PAUSE, Stage.RESUME}),
    "Inputs": _EXECUTION_STAGES,
    "Outputs": _EXECUTION_STAGES,
    "Logs": _EXECUTION_STAGES,
    "TaskOutputs": _EXECUTION_STAGES,
}


def parse_app(text: str, name: str = "<app>") -> App:
    """The app in `text`; FlowValidationError names `name`, the line and path of every problem."""
    return parse_resource(text, name, App, kind="app", check=check, untag=_untagged,
                          shape="an app is a YAML map with id, namespace, flowId and layout")


def _untagged(error: ValidationError) -> ValidationError:
    """`error` without the block-type tags pydantic puts in its paths after `blocks[j]` (they are no YAML key)."""
    tags = {*BLOCKS, UNKNOWN}
    details: list[InitErrorDetails] = []
    for d in error.errors():
        loc = d["loc"]
        kept = tuple(p for k, p in enumerate(loc)
                     if not (k >= 2 and p in tags and isinstance(loc[k - 1], int) and loc[k - 2] == "blocks"))
        custom = PydanticCustomError(d["type"], d["msg"], dict(d.get("ctx") or {}) or None)
        details.append({"type": custom, "loc": kept, "input": d.get("input")})
    return ValidationError.from_exception_data(error.title, details)


def check(app: App) -> Iterator[tuple[Loc, str]]:
    """What is wrong with a well-shaped app: (where, what) for each problem."""
    if app.type not in APP_TYPES:
        yield ("type",), f"unknown app type '{app.type}'; use {APP_TYPES[0]}"
    if app.access.groups and app.access.type == "PUBLIC":
        yield ("access", "groups"), "a PUBLIC app is open to anyone: groups apply to PRIVATE apps only"
    seen: set[Stage] = set()
    for i, entry in enumerate(app.layout):
        if entry.on in seen:
            yield ("layout", i, "on"), f"two layout entries are for stage {entry.on.value}"
        seen.add(entry.on)
        for j, block in enumerate(entry.blocks):
            yield from ((("layout", i, "blocks", j, *loc), m) for loc, m in _check_block(block, entry.on, None))


def _check_block(block: object, stage: Stage, grid: Grid | None) -> Iterator[tuple[Loc, str]]:
    type_name = getattr(block, "type", None)
    kind = block_kind(type_name)
    if isinstance(block, UnknownBlock) or kind is None:
        yield ("type",), f"unknown block type '{type_name}'; use one of {', '.join(_SHOWN)}"
        return
    span = getattr(block, "span", None)
    if span is not None and grid is None:
        yield ("span",), "span places a block in a Grid: this block is not in one"
    elif span is not None and grid is not None and span > grid.columns:
        yield ("span",), f"the grid has {grid.columns} columns: a block spans at most that many"
    if isinstance(block, Grid):
        for k, inner in enumerate(block.blocks):
            yield from ((("blocks", k, *loc), m) for loc, m in _check_block(inner, stage, block))
    allowed = WHERE.get(kind)
    if allowed is not None and stage not in allowed:
        stages = ", ".join(s.value for s in Stage if s in allowed)
        yield ("type",), f"a {kind} block is shown on {stages}, not on {stage.value}"
    delay = getattr(block, "delay", None)
    if kind == "RedirectTo" and delay is not None:
        try:
            parse_duration(delay)
        except ValueError:
            yield ("delay",), f"expected an ISO-8601 duration such as PT5S, got '{delay}'"
