"""Flowable tasks: they run no code themselves; the executor resolves them into child task runs.

Each class declares its properties (Kestra's names) and its child lists through `branches()`. What they
do at run time lives in `legato.engine.flowables`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from legato.model.durations import Duration, DurationExpression
from legato.model.flow import Output
from legato.model.task import TASKS, Frozen, Task
from legato.model.taskfield import TaskField, TaskList

_CORE = "io.kestra.plugin.core.flow."
_OLD = "io.kestra.core.tasks.flows."


def _aliases(name: str, *old: str) -> tuple[str, ...]:
    return (_CORE + name, _OLD + name, *old)


class Flowable(Task):
    """A task whose children the executor schedules. Local `errors` and `finally` run as Kestra's do."""

    FLOWABLE: ClassVar[bool] = True

    errors: TaskList = Field(default_factory=list, description="Tasks run when a child of this task fails.")
    finally_: TaskList = Field(default_factory=list, alias="finally", description="Tasks run after the children, whatever their outcome.")

    def branches(self) -> dict[str, list[Task]]:
        out = self.child_branches()
        if self.errors:
            out["errors"] = list(self.errors)
        if self.finally_:
            out["finally"] = list(self.finally_)
        return out

    def child_branches(self) -> dict[str, list[Task]]:
        return {}


@TASKS.register
class Sequential(Flowable):
    """Run tasks one after the other."""

    TYPE = "flow.Sequential"
    ALIASES = _aliases("Sequential")
    EXAMPLES = ("id: seq\ntype: flow.Sequential\ntasks:\n  - id: a\n    type: log.Log\n    message: one",)

    tasks: TaskList = Field(min_length=1, description="Tasks to run in order.")

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}


@TASKS.register
class Parallel(Flowable):
    """Run tasks at the same time, at most `concurrent` at once (0: no limit)."""

    TYPE = "flow.Parallel"
    ALIASES = _aliases("Parallel")
    EXAMPLES = ("id: par\ntype: flow.Parallel\nconcurrent: 2\ntasks:\n  - id: a\n    type: log.Log\n    message: a\n  - id: b\n    type: log.Log\n    message: b",)

    tasks: TaskList = Field(min_length=1, description="Tasks to start in parallel.")
    concurrent: int = Field(default=0, ge=0, description="How many children run at once; 0 means all.")

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}


@TASKS.register
class If(Flowable):
    """Run `then` when the condition renders true, `else` otherwise."""

    TYPE = "flow.If"
    ALIASES = _aliases("If")
    EXAMPLES = ("id: check\ntype: flow.If\ncondition: \"{{ inputs.n > 3 }}\"\nthen:\n  - id: big\n    type: log.Log\n    message: big\nelse:\n  - id: small\n    type: log.Log\n    message: small",)

    condition: str | bool = Field(description="Expression; truthy unless it renders to false, 0, empty or null.")
    then: TaskList = Field(min_length=1, description="Tasks run when the condition is true.")
    else_: TaskList = Field(default_factory=list, alias="else", description="Tasks run when the condition is false.")

    def child_branches(self) -> dict[str, list[Task]]:
        out: dict[str, list[Task]] = {"then": list(self.then)}
        if self.else_:
            out["else"] = list(self.else_)
        return out


@TASKS.register
class Switch(Flowable):
    """Run the case whose key equals the rendered value, or `defaults`."""

    TYPE = "flow.Switch"
    ALIASES = _aliases("Switch")
    EXAMPLES = ("id: route\ntype: flow.Switch\nvalue: \"{{ inputs.kind }}\"\ncases:\n  A:\n    - id: a\n      type: log.Log\n      message: A\ndefaults:\n  - id: other\n    type: log.Log\n    message: other",)

    value: str = Field(description="Expression whose rendered text selects the case.")
    cases: dict[str, TaskList] = Field(default_factory=dict, description="Task lists by value.")
    defaults: TaskList = Field(default_factory=list, description="Tasks run when no case matches (none: the Switch FAILS).")

    @model_validator(mode="after")
    def _something_to_run(self) -> Switch:
        if not any(self.cases.values()) and not self.defaults:
            raise ValueError("a Switch needs tasks in at least one case or in defaults")
        return self

    def child_branches(self) -> dict[str, list[Task]]:
        out: dict[str, list[Task]] = {f"cases.{k}": list(v) for k, v in self.cases.items()}
        if self.defaults:
            out["defaults"] = list(self.defaults)
        return out


class Looping(Flowable):
    """A flowable that runs its `tasks` once per item of a list."""

    tasks: TaskList = Field(min_length=1, description="Tasks run for each item.")

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}

    def items_source(self) -> Any:
        raise AssertionError("subclasses say where their items come from")

    def limit(self) -> int:
        """How many iterations may run at once (0: all)."""
        raise AssertionError("subclasses say how many iterations run at once")


@TASKS.register
class ForEach(Looping):
    """Run tasks for each value (`taskrun.value`, `taskrun.iteration`), `concurrencyLimit` iterations at once."""

    TYPE = "flow.ForEach"
    ALIASES = _aliases("ForEach")
    EXAMPLES = ("id: each\ntype: flow.ForEach\nvalues: [\"a\", \"b\"]\nconcurrencyLimit: 0\ntasks:\n  - id: show\n    type: log.Log\n    message: \"{{ taskrun.value }}\"",)

    values: list[Any] | dict[str, Any] | str = Field(description="A list, a JSON array as text, or an expression giving one.")
    concurrencyLimit: int = Field(default=1, ge=0, description="Iterations running at once; 0 means no limit.")

    def items_source(self) -> Any:
        return self.values

    def limit(self) -> int:
        return self.concurrencyLimit


@TASKS.register
class Loop(Looping):
    """Kestra 2.0's loop: each iteration runs on its own (`item.value`, `item.index`, `item.key` for maps,
    `item.parent` / `item.parents` in nested loops); task outputs stay inside their iteration, `outputs`
    declares what the loop exposes afterwards (`outputs.<loop>.outputs`, `loopOutputs()`)."""

    TYPE = "flow.Loop"
    ALIASES = (_CORE + "Loop",)
    EXAMPLES = (
        "id: loop\ntype: flow.Loop\nvalues: [\"north\", \"south\"]\ntasks:\n  - id: show\n    type: log.Log\n"
        "    message: \"{{ item.index }}: {{ item.value }}\"",
        "id: loop\ntype: io.kestra.plugin.core.flow.Loop\nvalues: [\"a\", \"b\"]\noutputs:\n  - id: label\n"
        "    type: STRING\n    value: \"{{ outputs.process.value }}\"\ntasks:\n  - id: process\n"
        "    type: io.kestra.plugin.core.debug.Return\n    format: \"processed {{ item.value }}\"",
    )

    values: list[Any] | dict[str, Any] | str = Field(
        description="A list, a map (item.key and item.value), a JSON array as text, an expression giving one, or an "
                    "internal-storage URI (kestra://...): one iteration per line of the file.")
    concurrencyLimit: int = Field(default=0, ge=0, description="Iterations running at once; 0 (the default) means no limit.")
    transmitFailed: bool = Field(default=True, description="A failed iteration fails the loop and no new iteration starts; "
                                                           "false: every iteration runs and the loop succeeds.")
    outputs: list[Output] | None = Field(default=None, description="Values each iteration exposes after the loop "
                                                                    "(rendered at the end of each iteration).")
    fetchType: Literal["AUTO", "FETCH", "STORE"] = Field(
        default="AUTO", description="FETCH: `outputs.<loop>.outputs` lists each iteration's outputs; STORE: each "
                                    "iteration's outputs go to a file (`outputs[n].outputs.uri`); AUTO: STORE when "
                                    "`values` is a URI, FETCH otherwise.")
    breakWhen: str | None = Field(default=None, description="Expression evaluated after each iteration (`item`, "
                                                            "`iteration.state`, `iteration.outputs`); once true, no new iteration starts.")

    def items_source(self) -> Any:
        return self.values

    def limit(self) -> int:
        return self.concurrencyLimit


@TASKS.register
class EachSequential(Looping):
    """Deprecated form of ForEach running one value at a time."""

    TYPE = "flow.EachSequential"
    ALIASES = _aliases("EachSequential")

    value: list[Any] | str = Field(description="A list, or a JSON array as text.")

    def items_source(self) -> Any:
        return self.value

    def limit(self) -> int:
        return 1


@TASKS.register
class EachParallel(Looping):
    """Deprecated form of ForEach running values in parallel."""

    TYPE = "flow.EachParallel"
    ALIASES = _aliases("EachParallel")

    value: list[Any] | str = Field(description="A list, or a JSON array as text.")
    concurrent: int = Field(default=0, ge=0, description="Values running at once; 0 means all.")

    def items_source(self) -> Any:
        return self.value

    def limit(self) -> int:
        return self.concurrent


class DagTask(Frozen):
    task: TaskField = Field(description="The task.")
    dependsOn: list[str] = Field(default_factory=list, description="Ids of tasks of this Dag that must end first.")


@TASKS.register
class Dag(Flowable):
    """Run tasks as soon as the tasks they depend on have ended successfully."""

    TYPE = "flow.Dag"
    ALIASES = _aliases("Dag")
    EXAMPLES = ("id: dag\ntype: flow.Dag\ntasks:\n  - task:\n      id: a\n      type: log.Log\n      message: a\n  - task:\n      id: b\n      type: log.Log\n      message: b\n    dependsOn: [a]",)

    tasks: list[DagTask] = Field(min_length=1, description="Tasks with their dependencies.")
    concurrent: int = Field(default=0, ge=0, description="Tasks running at once; 0 means no limit.")

    @model_validator(mode="after")
    def _check_graph(self) -> Dag:
        ids = [t.task.id for t in self.tasks]
        known = set(ids)
        for i, node in enumerate(self.tasks):
            for dep in node.dependsOn:
                if dep not in known:
                    raise ValueError(f"tasks[{i}] ('{node.task.id}') depends on '{dep}', which is not a task of this Dag")
        cycle = _find_cycle({t.task.id: list(t.dependsOn) for t in self.tasks})
        if cycle:
            raise ValueError("dependency cycle: " + " -> ".join(cycle))
        return self

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": [t.task for t in self.tasks]}

    def dependencies(self) -> dict[str, list[str]]:
        return {t.task.id: list(t.dependsOn) for t in self.tasks}


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """A cycle in `graph` (as a path that ends where it starts), or [] when it is acyclic."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, []):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


@TASKS.register
class AllowFailure(Flowable):
    """Run tasks; a failure among them ends this task in WARNING instead of failing the flow."""

    TYPE = "flow.AllowFailure"
    ALIASES = _aliases("AllowFailure")

    tasks: TaskList = Field(min_length=1, description="Tasks whose failure is tolerated.")

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}


class CheckFrequency(Frozen):
    maxIterations: int | None = Field(default=100, ge=1, description="Stop after this many iterations.")
    maxDuration: Duration | None = Field(default=timedelta(hours=1), description="Stop after this long.")
    interval: Duration = Field(default=timedelta(seconds=1), description="Wait between two iterations (default 1 second, as Kestra).")


@TASKS.register
class LoopUntil(Flowable):
    """Run tasks again and again until the condition renders true (`outputs.<id>.iterationCount`)."""

    TYPE = "flow.LoopUntil"
    ALIASES = (*_aliases("LoopUntil"), _CORE + "WaitFor", _OLD + "WaitFor")
    EXAMPLES = ("id: loop\ntype: flow.LoopUntil\ncondition: \"{{ outputs.loop.iterationCount >= 3 }}\"\ncheckFrequency:\n  interval: PT0S\ntasks:\n  - id: tick\n    type: log.Log\n    message: tick",)

    condition: str | bool = Field(description="Checked after each iteration; the loop ends when it is true.")
    tasks: TaskList = Field(min_length=1, description="Tasks of one iteration.")
    checkFrequency: CheckFrequency = Field(default_factory=CheckFrequency, description="Iteration bounds and interval.")
    failOnMaxReached: bool = Field(default=False, description="Fail (instead of succeed) when a bound stops the loop.")

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)}


@TASKS.register
class Pause(Flowable):
    """Pause the execution until resumed, or for `pauseDuration`."""

    TYPE = "flow.Pause"
    ALIASES = _aliases("Pause")
    EXAMPLES = ("id: approve\ntype: flow.Pause\nonResume:\n  - id: approved\n    type: BOOL\n    defaults: true",)

    pauseDuration: Duration | DurationExpression | None = Field(
        default=None, description="Resume by itself after this long (a duration, or an expression giving one).")
    delay: Duration | DurationExpression | None = Field(default=None, description="Old name of pauseDuration.")
    timeout: Duration | DurationExpression | None = Field(
        default=None, description="Give up waiting after this long: the task FAILS (or see behavior).")
    behavior: Literal["RESUME", "WARN", "FAIL", "CANCEL"] = Field(
        default="RESUME", description="What happens when pauseDuration/timeout elapses."
    )
    onResume: list[dict[str, Any]] = Field(default_factory=list, description="Inputs asked when resuming (outputs.<id>.onResume).")
    tasks: TaskList = Field(default_factory=list, description="Deprecated: tasks run after the pause.")

    def wait(self) -> timedelta | str | None:
        """How long the pause lasts by itself (None: until resumed); an expression is rendered by the engine."""
        return self.pauseDuration or self.delay or self.timeout

    def expiry(self) -> str:
        """What the end of the wait does: `behavior` when given; else, as Kestra, a pauseDuration/delay resumes
        and a timeout alone fails the task."""
        if "behavior" in self.model_fields_set or self.pauseDuration or self.delay:
            return self.behavior
        return "FAIL" if self.timeout else self.behavior

    def child_branches(self) -> dict[str, list[Task]]:
        return {"tasks": list(self.tasks)} if self.tasks else {}


@TASKS.register
class Subflow(Flowable):
    """Start an execution of another flow, and by default wait for it (`outputs.<id>.outputs`)."""

    TYPE = "flow.Subflow"
    ALIASES = (*_aliases("Subflow"), _OLD + "Flow")
    EXAMPLES = ("id: child\ntype: flow.Subflow\nnamespace: company.team\nflowId: child\ninputs:\n  name: World",)

    namespace: str = Field(description="Namespace of the flow to start.")
    flowId: str = Field(description="Id of the flow to start.")
    revision: int | None = Field(default=None, description="Revision to run (default: the latest).")
    inputs: dict[str, Any] = Field(default_factory=dict, description="Inputs of the child execution (rendered).")
    labels: dict[str, str] | list[dict[str, str]] = Field(default_factory=dict, description="Labels of the child execution.")
    wait: bool = Field(default=True, description="Wait for the child execution to end.")
    transmitFailed: bool = Field(default=True, description="Fail this task when the child fails (with wait).")
    inheritLabels: bool = Field(default=False, description="Copy this execution's labels to the child.")
    scheduleDate: str | None = Field(default=None, description="Start the child at this date.")
    outputs: dict[str, Any] = Field(default_factory=dict, description="Deprecated: values extracted from the child.")
    restartBehavior: Literal["NEW_EXECUTION", "RETRY_FAILED"] = Field(default="NEW_EXECUTION", description="What a restart does.")
