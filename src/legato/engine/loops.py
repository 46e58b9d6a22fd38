"""Kestra 2.0's Loop, on top of the loop mechanics of `legato.engine.flowables`: the `item` each iteration sees,
where its task outputs are visible, what the loop exposes once an iteration ends (`outputs`, `fetchType`,
`iterationCount`, `terminatedIterations`), `transmitFailed` and `breakWhen`.

Kestra runs each iteration as a sub-execution; Legato runs it as one scope of child task runs of the loop's run.
Each child run carries the chain of Loop iterations it belongs to (`LoopPosition.loop`: (loop run id, index,
position of the loop's value in the run's value path), outermost first), which is all the context needs to
scope `outputs.<task>` to the iteration and to key nested ForEach outputs as a sub-execution would.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from legato.engine import commands as cmd
from legato.engine.phases import LoopCounters, LoopPosition
from legato.expressions import ExpressionError, truthy
from legato.model import flowable as fl
from legato.model.execution import TaskRun
from legato.model.state import State

if TYPE_CHECKING:
    from legato.engine.step import Step

STORAGE_SCHEME = "kestra://"


def iteration_position(loop_run: TaskRun, value: str | None, index: int, key: Any,
                       values: tuple[str | None, ...]) -> LoopPosition:
    """The position of the first child run of a Loop iteration: its `item` and its chain of Loop iterations."""
    item: dict[str, Any] = {"value": value, "index": index}
    if key is not None:
        item["key"] = key
    outer = LoopPosition.of(loop_run)
    if outer.item is not None:
        own = {k: outer.item[k] for k in ("value", "index", "key") if k in outer.item}
        item["parent"] = own
        item["parents"] = [*outer.item.get("parents", []), own]
    position = max(len(values), 1) - 1
    return LoopPosition(values=values, item=item, loop=(*outer.loop, (loop_run.id, index, position)))


def is_uri(values: Any) -> bool:
    return isinstance(values, str) and values.strip().startswith(STORAGE_SCHEME)


def items_from_file(step: Step, uri: str) -> list[Any]:
    """One item per non-empty line of an internal-storage file (JSON lines are decoded, others kept as text)."""
    read = step.functions.get("read")
    if read is None:
        raise ExpressionError(f"values {uri!r} is a file, and files cannot be read here")
    items: list[Any] = []
    for line in str(read(uri.strip())).splitlines():
        if line.strip():
            try:
                items.append(json.loads(line))
            except ValueError:
                items.append(line)
    return items


def java_text(value: Any) -> str:
    """A value as Java's toString shows it (Kestra's messages about loop values use that form)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(java_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_text(v)}" for k, v in value.items()) + "}"
    return str(value)


def check_no_null(task: fl.Looping, items: list[Any]) -> None:
    """Kestra refuses a null among loop values (a map's values may be null: they are not iterated keys)."""
    nulls = sum(1 for v in items if v is None)
    if not nulls:
        return
    if isinstance(task, fl.Loop):
        raise ExpressionError("Found a null value inside the iteration values")
    raise ExpressionError(f"Found '{nulls}' null values on Each, with values={java_text(items)}")


def start_outputs(task: fl.Loop, total: int) -> dict[str, Any]:
    """The loop run's outputs before any iteration ended."""
    out: dict[str, Any] = {"iterationCount": total, "runningIterations": 0, "terminatedIterations": {}}
    if task.outputs:
        out["outputs"] = []
    return out


def fetch_type(task: fl.Loop, loop_run: TaskRun) -> str:
    if task.fetchType != "AUTO":
        return task.fetchType
    return "STORE" if LoopCounters.of(loop_run).from_file else "FETCH"


def iteration_ended(step: Step, loop_run: TaskRun, task: fl.Loop, index: int, state: State) -> tuple[State, bool]:
    """One iteration ended in `state`: record it on the loop's run. Returns the iteration's final state (its
    outputs may fail to render) and whether the loop must start no further iteration (breakWhen held)."""
    anchor = _anchor(step, loop_run, index)
    item = _loop_item(step, loop_run, index)
    entry: dict[str, Any] | None = None
    if task.outputs and state not in (State.FAILED, State.KILLED):
        try:
            entry = _iteration_outputs(step, loop_run, task, index, anchor)
        except (ExpressionError, ValueError) as exc:
            step.w.log(loop_run.id, "ERROR", f"Loop '{task.id}' iteration {index}: outputs: {exc}")
            state = State.FAILED
    run = step.w.run(loop_run.id)
    outputs = dict(run.outputs)
    terminated = dict(outputs.get("terminatedIterations") or {})
    terminated[str(state)] = terminated.get(str(state), 0) + 1
    outputs["terminatedIterations"] = terminated
    if entry is not None:
        listed = [*outputs.get("outputs", []), {"item": item, "outputs": entry}]
        outputs["outputs"] = sorted(listed, key=lambda e: e["item"]["iteration"])
    step.w.put(run.model_copy(update={"outputs": outputs}))
    stop = bool(task.breakWhen) and _breaks(step, task, anchor, loop_run, item, state, entry)
    return state, stop


def running(step: Step, loop_run_id: str, count: int) -> None:
    run = step.w.run(loop_run_id)
    step.w.put(run.model_copy(update={"outputs": {**run.outputs, "runningIterations": count}}))


def _loop_item(step: Step, loop_run: TaskRun, index: int) -> dict[str, Any]:
    """Kestra's LoopItem: value (as text), iteration, key."""
    raw = step.w.item(loop_run.id, index)
    is_map = LoopCounters.of(loop_run).map_items
    value = raw["value"] if is_map else raw
    text = value if isinstance(value, str) or value is None else json.dumps(value, separators=(",", ":"), default=str)
    item: dict[str, Any] = {"value": text, "iteration": index}
    if is_map:
        item["key"] = raw["key"]
    return item


def _anchor(step: Step, loop_run: TaskRun, index: int) -> TaskRun | None:
    """A run of the iteration: expressions rendered "inside" it see its item and its outputs."""
    runs = step.w.scope(loop_run.id, "tasks", index)
    return runs[-1] if runs else None


def _render(step: Step, value: Any, anchor: TaskRun | None, loop_run: TaskRun, extra: dict[str, Any]) -> Any:
    run = anchor or loop_run
    context = step.context(run, extra)
    return step.renderer.render_all(value, context, functions=step.functions, typed=True)


def _iteration_outputs(step: Step, loop_run: TaskRun, task: fl.Loop, index: int, anchor: TaskRun | None) -> dict[str, Any]:
    from legato.engine.ending import typed_output  # ending imports step, which imports this module

    extra = {} if anchor is not None else {"item": _loop_item(step, loop_run, index)}
    values = {o.id: typed_output(o.id, o.type, _render(step, o.value, anchor, loop_run, extra)) for o in task.outputs or ()}
    if fetch_type(task, loop_run) != "STORE":
        return values
    uri = _iteration_uri(step, loop_run, index)
    data = (json.dumps(values, separators=(",", ":"), default=str) + "\n").encode()
    step.w.command(cmd.WriteFile(uri=uri, data=data))
    return {"uri": uri}


def _iteration_uri(step: Step, loop_run: TaskRun, index: int) -> str:
    execution = step.w.execution
    segments = [*execution.namespace.split("."), execution.flow_id, "executions", execution.id, "tasks",
                loop_run.task_id, loop_run.id, f"iteration-{index}.ion"]
    return "kestra:///" + "/".join(quote(s, safe="@:+,=-_.~") for s in segments)


def _breaks(step: Step, task: fl.Loop, anchor: TaskRun | None, loop_run: TaskRun, item: dict[str, Any],
            state: State, entry: dict[str, Any] | None) -> bool:
    extra = {"iteration": {"executionId": step.w.execution.id, "state": str(state), "outputs": entry or {}}}
    if anchor is None:
        extra["item"] = {"value": item["value"], "index": item["iteration"]}
    try:
        return truthy(_render(step, task.breakWhen, anchor, loop_run, extra))
    except ExpressionError as exc:
        step.w.log(loop_run.id, "ERROR", f"Loop '{task.id}': breakWhen: {exc}")
        return True
