"""The variables an expression sees (Kestra's names): flow, execution, inputs, outputs, vars, labels,
trigger, taskrun, parent(s), task, item. Outputs are looked up lazily, one task at a time, so building a
context costs the same for an execution with ten task runs as for one with a hundred thousand."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from legato import instance_vars, sealing
from legato.engine.phases import LoopPosition, Phases
from legato.model.execution import Execution, Label, TaskRun

if TYPE_CHECKING:
    from legato.model.flow import Flow


class RunSource(Protocol):
    """What the context reads: task runs by id and by task (the view, or the engine's working overlay)."""

    def run(self, task_run_id: str) -> TaskRun: ...

    def outputs_of(self, task_id: str) -> list[TaskRun]: ...


def item_text(value: Any) -> str:
    """A loop item as Kestra shows it in `taskrun.value`: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)


class LazyOutputs(Mapping[str, Any]):
    """`outputs.<taskId>`: the task's outputs, or a map by loop value for tasks that ran in loops."""

    def __init__(self, source: RunSource, task_ids: Callable[[], list[str]], scope: list[Any] | None = None):
        self._source = source
        self._task_ids = task_ids
        self._scope = [(str(x[0]), int(x[1])) for x in scope or ()]  # the Loop iterations the reader is in
        self._cache: dict[str, Any] = {}

    def __getitem__(self, task_id: str) -> Any:
        if task_id in self._cache:
            return self._cache[task_id]
        runs = self._source.outputs_of(task_id)
        if not runs:
            raise KeyError(task_id)
        value = self._scoped(runs)
        self._cache[task_id] = value
        return value

    def _scoped(self, runs: list[TaskRun]) -> Any:
        """Kestra 2.0: a task inside a Loop iteration is seen only from that iteration (and the iterations nested
        in it), keyed as in a sub-execution of its own; from outside every Loop, as a 1.x map by loop value."""
        if not any(LoopPosition.of(r).loop for r in runs):
            return _shape(runs)
        visible = [r for r in runs if _within(_chain(r), self._scope)]
        if not visible:
            if self._scope:
                raise KeyError(runs[0].task_id)
            return _shape(runs)
        depth = max(len(_chain(r)) for r in visible)
        visible = [r for r in visible if len(_chain(r)) == depth]
        positions = {x[2] for x in LoopPosition.of(visible[0]).loop}
        return _shape(visible, skip=positions)

    def __iter__(self) -> Iterator[str]:
        return iter([t for t in self._task_ids() if t in self])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, task_id: object) -> bool:
        if not isinstance(task_id, str):
            return False
        try:
            self[task_id]
        except KeyError:
            return False
        return True


def _chain(run: TaskRun) -> list[tuple[str, int]]:
    return [(x[0], x[1]) for x in LoopPosition.of(run).loop]


def _within(chain: list[tuple[str, int]], scope: list[tuple[str, int]]) -> bool:
    """A run in the iterations `chain` is visible from the iterations `scope` when `chain` leads to `scope`."""
    return chain == scope[: len(chain)]


def _shape(runs: list[TaskRun], skip: set[int] | None = None) -> Any:
    """One run's outputs, or a map by loop value path (leaving out the path positions of `skip`)."""
    paths = {r.id: [v for i, v in enumerate(LoopPosition.of(r).values or ([r.value] if r.value is not None else []))
                    if not skip or i not in skip] for r in runs}
    keyed = [r for r in runs if paths[r.id]]
    if not keyed:
        return runs[-1].outputs  # LoopUntil and plain tasks: the latest run wins
    out: dict[str, Any] = {}
    for run in keyed:
        path: list[Any] = paths[run.id]  # loop values as text (None for a null item)
        node = out
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = run.outputs
    return out


def attempts_count(run: TaskRun) -> int:
    """`taskrun.attemptsCount` as Kestra counts it: the attempts before the current one (0 on the first)."""
    return max(len(run.attempts) - 1, 0)


def labels_vars(labels: Iterable[Label]) -> dict[str, Any]:
    """`labels` as expressions see them: each by its key, and the `system.*` ones also under `system`
    (`labels.system.correlationId`, as in Kestra)."""
    out: dict[str, Any] = {label.key: label.value for label in labels}
    system = {k[len("system."):]: v for k, v in out.items() if k.startswith("system.")}
    if system and not isinstance(out.get("system"), str):
        out["system"] = system
    return out


def to_millis(date: datetime | None) -> datetime | None:
    """A date as expressions see it: to the millisecond, as Kestra's dates are (`2024-05-01T12:00:00.123Z`)."""
    return None if date is None else date.replace(microsecond=date.microsecond // 1000 * 1000)


def taskrun_vars(run: TaskRun) -> dict[str, Any]:
    started = run.attempts[0].started if run.attempts and run.attempts[0].started else (
        run.histories[0].date if run.histories else None
    )
    return {
        "id": run.id,
        "taskId": run.task_id,
        "startDate": to_millis(started),
        "attemptsCount": attempts_count(run),
        "parentId": run.parent_id,
        "value": run.value,
        "iteration": run.iteration,
    }


def build(
    flow: Flow,
    execution: Execution,
    source: RunSource,
    run: TaskRun | None = None,
    *,
    task_type: str | None = None,
    extra: Mapping[str, Any] | None = None,
    secrets: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """The expression context for rendering `run`'s properties (or flow-level ones when run is None).
    Sealed input values (SECRET inputs, legato.sealing) are shown as `secrets(text)`: the worker passes a
    masker's placeholder, revealed only where a task uses it; by default expressions see the text."""
    ctx: dict[str, Any] = {
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": execution.flow_revision, "tenantId": execution.tenant},
        "execution": {
            "id": execution.id,
            "startDate": to_millis(execution.histories[0].date if execution.histories else execution.created),
            "state": str(Phases.of(execution).final or execution.state),
            "originalId": execution.origin_id or execution.id,
        },
        "inputs": sealing.reveal(execution.inputs, secrets or str),
        "outputs": LazyOutputs(source, lambda: [t.id for t in flow.all_tasks()], list(LoopPosition.of(run).loop) if run else None),
        "vars": {**(flow.variables or {}), **execution.variables},
        "labels": labels_vars(execution.labels),
        "envs": instance_vars.Envs(),
        "globals": instance_vars.globals_(),
    }
    if execution.trigger is not None:
        ctx["trigger"] = execution.trigger
    if run is not None:
        ctx["taskrun"] = taskrun_vars(run)
        ctx["task"] = {"id": run.task_id, "type": task_type or ""}
        parents = _parents(source, run)
        if parents:
            ctx["parent"] = parents[0]
            ctx["parents"] = parents
        item = _loop_item(source, run)
        if item is not None:
            ctx["item"] = item
    if extra:
        ctx.update(extra)
    return ctx


def _parents(source: RunSource, run: TaskRun) -> list[dict[str, Any]]:
    """Kestra's `parents`: the chain of enclosing task runs, nearest first, each as Kestra shows it: its loop
    value (`taskrun.value`) and its outputs when it has them; one with neither is left out."""
    out: list[dict[str, Any]] = []
    parent_id = run.parent_id
    while parent_id is not None:
        parent = source.run(parent_id)
        entry: dict[str, Any] = {}
        if parent.value is not None:
            entry["taskrun"] = {"value": parent.value}
        if parent.outputs:
            entry["outputs"] = parent.outputs
        if entry:
            out.append(entry)
        parent_id = parent.parent_id
    return out


def _loop_item(source: RunSource, run: TaskRun) -> dict[str, Any] | None:
    """Kestra 2.0's `item` for tasks (nested at any depth) inside a Loop."""
    return LoopPosition.of(run).item
