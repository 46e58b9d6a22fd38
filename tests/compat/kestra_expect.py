"""The expectations of tests/compat/kestra_cases.yaml, checked against an execution that ran on Legato.

Task runs are compared the way Kestra's Java tests see them: the execution's task run list in creation order,
a task's first run by `findTaskRunsByTaskId(id).getFirst()`, a run inside loops by the path of loop values
(`task@v1/v2`). Every check returns the differences it found, as text; none means the case matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from legato.model.execution import TaskRun
from tests.compat.harness import Instance, Outcome

Problems = list[str]


def substitute(value: Any, outcome: Outcome) -> Any:
    """Replace `$executionId` and `$taskrun:<task>` by the values of this run."""
    if isinstance(value, str):
        if value == "$executionId" or "$executionId" in value:
            value = value.replace("$executionId", outcome.execution.id)
        if value.startswith("$taskrun:"):
            runs = outcome.runs_of(value.split(":", 1)[1])
            return runs[0].id if runs else value
        return value
    if isinstance(value, dict):
        return {k: substitute(v, outcome) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, outcome) for v in value]
    return value


def matches(want: Any, got: Any, where: str) -> Problems:
    """`got` satisfies `want`: a matcher map, a map of expectations key by key, or a plain value."""
    if isinstance(want, dict) and len(want) == 1 and next(iter(want)) in _MATCHERS:
        name, arg = next(iter(want.items()))
        ok = _MATCHERS[name](arg, got)
        return [] if ok else [f"{where}: {_short(got)} does not satisfy {name} {_short(arg)}"]
    if isinstance(want, dict):
        if not isinstance(got, Mapping):
            return [f"{where}: {_short(got)} is not a map"]
        out: Problems = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{where}: no key {key!r} in {_short(got)}")
            else:
                out += matches(value, got[key], f"{where}.{key}")
        return out
    if isinstance(want, float) or isinstance(got, float):
        ok = isinstance(got, int | float) and not isinstance(got, bool) and abs(float(got) - float(want)) < 1e-9
        return [] if ok else [f"{where}: {_short(got)} != {_short(want)}"]
    same = got == want and isinstance(got, bool) == isinstance(want, bool)
    return [] if same else [f"{where}: {_short(got)} != {_short(want)}"]


_MATCHERS: dict[str, Callable[[Any, Any], bool]] = {
    "$contains": lambda a, g: isinstance(g, str) and str(a) in g,
    "$startswith": lambda a, g: isinstance(g, str) and g.startswith(str(a)),
    "$matches": lambda a, g: isinstance(g, str) and re.search(str(a), g) is not None,
    "$present": lambda a, g: (g is not None) == bool(a),
    "$absent": lambda a, g: g is None,
    "$size": lambda a, g: hasattr(g, "__len__") and len(g) == a,
    "$has": lambda a, g: isinstance(g, list) and all(x in g for x in a),
    "$has_key": lambda a, g: isinstance(g, Mapping) and a in g,
}


def count_ok(want: Any, got: int) -> bool:
    """`want` is a number, or text such as ">=2"."""
    if isinstance(want, str) and want.startswith(">="):
        return got >= int(want[2:])
    return bool(got == int(want))


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


# task runs -----------------------------------------------------------------------------------------
def _select(outcome: Outcome, key: str) -> TaskRun | None:
    """The run named by `task` (its first run) or `task@v1/v2` (the run at that path of loop values)."""
    task_id, _, path = key.partition("@")
    runs = outcome.runs_of(task_id)
    if not path:
        return runs[0] if runs else None
    want = path.split("/")
    for run in runs:
        values = list(run.scratch.get("values") or ([run.value] if run.value is not None else []))
        if values[-len(want):] == want:
            return run
    return None


def _at(outcome: Outcome, index: Any) -> TaskRun | None:
    runs = outcome.runs
    i = int(index)
    return runs[i] if -len(runs) <= i < len(runs) else None


def check_runs(expect: Mapping[str, Any], outcome: Outcome) -> Problems:
    """Everything about the task runs of one execution."""
    out: Problems = []
    if "taskruns" in expect and not count_ok(expect["taskruns"], len(outcome.runs)):
        out.append(f"{len(outcome.runs)} task runs, expected {expect['taskruns']}")
    if "failed_runs" in expect:
        failed = sum(1 for r in outcome.runs if str(r.state) == "FAILED")
        if not count_ok(expect["failed_runs"], failed):
            out.append(f"{failed} FAILED task runs, expected {expect['failed_runs']}")
    for task_id, want in (expect.get("task_states") or {}).items():
        run = _select(outcome, task_id)
        if run is None or str(run.state) != str(want):
            out.append(f"{task_id}: {run.state if run else 'never ran'}, expected {want}")
    for task_id, want in (expect.get("task_count") or {}).items():
        if len(outcome.runs_of(task_id)) != want:
            out.append(f"{task_id} ran {len(outcome.runs_of(task_id))} times, expected {want}")
    for index, task_id in (expect.get("task_at") or {}).items():
        run = _at(outcome, index)
        if run is None or run.task_id != task_id:
            out.append(f"task run #{index} is {run.task_id if run else 'missing'}, expected {task_id}")
    for index, state in (expect.get("states_at") or {}).items():
        run = _at(outcome, index)
        if run is None or str(run.state) != str(state):
            out.append(f"task run #{index} is {run.state if run else 'missing'}, expected {state}")
    for key, want in (expect.get("task_outputs") or {}).items():
        run = _select(outcome, key)
        out += [f"{key} never ran"] if run is None else matches(want, dict(run.outputs), f"outputs.{key}")
    for index, want in (expect.get("task_outputs_at") or {}).items():
        run = _at(outcome, index)
        out += [f"task run #{index} missing"] if run is None else matches(want, dict(run.outputs), f"outputs[#{index}]")
    for index, size in (expect.get("outputs_size_at") or {}).items():
        run = _at(outcome, index)
        if run is None or len(run.outputs) != size:
            out.append(f"task run #{index} has outputs {run.outputs if run else None!r}, expected {size} keys")
    for task_id, want in (expect.get("attempts") or {}).items():
        run = _select(outcome, task_id)
        got = len(run.attempts) if run else 0
        if not count_ok(want, got):
            out.append(f"{task_id}: {got} attempts, expected {want}")
    for index, want in (expect.get("attempts_at") or {}).items():
        run = _at(outcome, index)
        got = len(run.attempts) if run else 0
        if not count_ok(want, got):
            out.append(f"task run #{index} ({run.task_id if run else '-'}): {got} attempts, expected {want}")
    for index, counts in (expect.get("histories_at") or {}).items():
        run = _at(outcome, index)
        states = [str(h.state) for h in run.histories] if run else []
        for state, n in counts.items():
            if states.count(state) != n:
                out.append(f"task run #{index} history {states}: {state} {states.count(state)} times, expected {n}")
    if "last_outputs" in expect:
        out += matches(expect["last_outputs"], dict(outcome.runs[-1].outputs) if outcome.runs else {}, "outputs[last]")
    if "last_attempts" in expect:
        got = len(outcome.runs[-1].attempts) if outcome.runs else 0
        if got != expect["last_attempts"]:
            out.append(f"last task run: {got} attempts, expected {expect['last_attempts']}")
    for task_id, tree in (expect.get("outputs_tree") or {}).items():
        out += matches(tree, _tree(outcome.runs_of(task_id)), f"outputs.{task_id}")
    return out


def _tree(runs: list[TaskRun]) -> dict[str, Any]:
    """Outputs of a task that ran in nested loops, keyed by the path of loop values (Kestra's `outputs()`)."""
    tree: dict[str, Any] = {}
    for run in runs:
        path = list(run.scratch.get("values") or ([run.value] if run.value is not None else []))
        node = tree
        for key in path[:-1]:
            node = node.setdefault(str(key), {})
        if path:
            node[str(path[-1])] = dict(run.outputs)
    return tree


# the execution -------------------------------------------------------------------------------------
def check_execution(expect: Mapping[str, Any], outcome: Outcome, instance: Instance) -> Problems:
    """Everything a case expects of one run, task runs, children and triggered executions included."""
    expect = substitute(dict(expect), outcome)
    out: Problems = []
    if "state" in expect and outcome.state != str(expect["state"]):
        out.append(f"state {outcome.state}, expected {expect['state']}" + (f" ({outcome.execution.error})" if outcome.execution.error else ""))
    out += check_runs(expect, outcome)
    flow_outputs = outcome.execution.outputs or {}
    if "flow_outputs" in expect:
        out += matches(expect["flow_outputs"], flow_outputs, "flow outputs")
    if "flow_outputs_size" in expect and len(flow_outputs) != expect["flow_outputs_size"]:
        out.append(f"flow outputs {flow_outputs!r}: expected {expect['flow_outputs_size']} keys")
    if expect.get("flow_outputs_empty") and flow_outputs:
        out.append(f"flow outputs {flow_outputs!r}, expected none")
    text = outcome.log_text()
    out += [f"no log contains {fragment!r}" for fragment in expect.get("logs") or [] if fragment not in text]
    labels = {lb.key: lb.value for lb in outcome.execution.labels}
    for key, value in (expect.get("labels") or {}).items():
        if labels.get(key) != str(value):
            out.append(f"label {key}={labels.get(key)!r}, expected {value!r}")
    for child in expect.get("children") or []:
        out += _check_children(child, outcome, instance)
    for want in expect.get("triggered") or []:
        out += _check_triggered(want, outcome, instance)
    return out


def _check_children(want: Mapping[str, Any], outcome: Outcome, instance: Instance) -> Problems:
    namespace, _, flow_id = str(want["flow"]).rpartition(".")
    found = [c for c in outcome.children if c.execution.namespace == namespace and c.execution.flow_id == flow_id]
    where = f"subflow {want['flow']}"
    if "count" in want and not count_ok(want["count"], len(found)):
        return [f"{where}: {len(found)} executions, expected {want['count']}"]
    if not found:
        return [f"{where}: no execution"]
    return [p for child in found for p in _check_one(where, want, child, instance)]


def _check_triggered(want: Mapping[str, Any], outcome: Outcome, instance: Instance) -> Problems:
    namespace, _, flow_id = str(want["flow"]).rpartition(".")
    count = want.get("count", 1)
    where = f"triggered {want['flow']}"
    try:
        minimum = int(str(count).lstrip(">="))
        found = instance.wait_for_executions(namespace, flow_id, minimum, timeout=20) if minimum else []
    except TimeoutError as exc:
        return [f"{where}: {exc}"]
    if not minimum:
        instance.settle(1.5)
        found = [instance.outcome(e) for e in instance.executions_of(namespace, flow_id)]
    if not count_ok(count, len(found)):
        return [f"{where}: {len(found)} executions, expected {count}"]
    out: Problems = []
    for key, values in (want.get("flow_outputs_in_order") or {}).items():
        got = [(o.execution.outputs or {}).get(key) for o in found]
        if got != values:
            out.append(f"{where}: outputs.{key} in order {got}, expected {values}")
    return out + [p for one in found[:1] for p in _check_one(where, want, one, instance)]


def _check_one(where: str, want: Mapping[str, Any], got: Outcome, instance: Instance) -> Problems:
    out: Problems = []
    if "state" in want and got.state != str(want["state"]):
        out.append(f"{where}: state {got.state}, expected {want['state']}")
    sub = {k: v for k, v in want.items() if k in ("taskruns", "task_outputs", "task_states")}
    out += [f"{where}: {p}" for p in check_runs(sub, got)]
    labels = {lb.key: lb.value for lb in got.execution.labels}
    for key, value in (want.get("labels") or {}).items():
        if labels.get(key) != str(value):
            out.append(f"{where}: label {key}={labels.get(key)!r}, expected {value!r}")
    if "labels_exactly" in want and labels != {k: str(v) for k, v in want["labels_exactly"].items()}:
        out.append(f"{where}: labels {labels}, expected exactly {want['labels_exactly']}")
    if "trigger" in want:
        out += [f"{where}: {p}" for p in matches(want["trigger"], got.execution.trigger or {}, "trigger")]
    if "inputs" in want:
        out += [f"{where}: {p}" for p in matches(want["inputs"], got.execution.inputs, "inputs")]
    for child in want.get("children") or []:
        out += _check_children(child, got, instance)
    return out
