"""One event's worth of engine work: starting and finishing task runs, and walking results up the tree.

`Step` holds the primitives every handler shares. Scopes are child lists of one parent in one iteration;
sequential scopes advance one task at a time, and a task that ends at once (skipped, empty loop) lets the
scope move on in the same event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from legato.engine import commands as cmd
from legato.engine import context, loops
from legato.engine.phases import LoopCounters, LoopPosition
from legato.engine.working import Working
from legato.expressions import ExpressionError, Renderer, truthy
from legato.model import state as st
from legato.model.execution import Attempt, StateEntry, TaskRun
from legato.model.flowable import Loop
from legato.model.ids import derived_id
from legato.model.state import State
from legato.model.task import Task

if TYPE_CHECKING:
    from legato.model.flow import Flow

ROOT_BRANCHES = ("tasks", "errors", "finally", "afterExecution")


def _seeing_own_writes(functions: Mapping[str, Callable[..., Any]], work: Working) -> Mapping[str, Callable[..., Any]]:
    """The file functions, seeing the files this step has asked to write: the executor writes them only when it
    carries out the step's commands, yet the same step may read them (Loop iterations run side by side, the last
    to end writes its STORE file in the step that renders the flow outputs reading it)."""

    def written(path: Any) -> bytes | None:
        for command in reversed(work.decision.commands):
            if isinstance(command, cmd.WriteFile) and command.uri == path:
                return command.data
        return None

    def seeing(name: str, answer: Callable[[bytes], Any]) -> Callable[..., Any] | None:
        underlying = functions.get(name)
        if underlying is None:
            return None

        def function(path: Any = None, *args: Any, **kwargs: Any) -> Any:
            data = written(path) if not args and not kwargs.get("namespace") else None
            return answer(data) if data is not None else underlying(path, *args, **kwargs)

        return function

    wrapped = {
        "read": seeing("read", lambda data: data.decode("utf-8", errors="replace")),
        "fileSize": seeing("fileSize", len),
        "fileExists": seeing("fileExists", lambda data: True),
    }
    return {**functions, **{name: f for name, f in wrapped.items() if f is not None}}


class Step:
    def __init__(self, flow: Flow, work: Working, renderer: Renderer, functions: Mapping[str, Callable[..., Any]]):
        self.flow = flow
        self.w = work
        self.renderer = renderer
        self.functions = _seeing_own_writes(functions, work)

    # rendering -------------------------------------------------------------------
    def context(self, run: TaskRun | None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        task_type = self.flow.task(run.task_id).type if run is not None else None
        return context.build(self.flow, self.w.execution, self.w, run, task_type=task_type, extra=extra)

    def render(self, value: Any, run: TaskRun | None) -> Any:
        return self.renderer.render_all(value, self.context(run), functions=self.functions, typed=True)

    def render_text(self, value: str, run: TaskRun | None) -> str:
        """Render to text as Pebble prints it (`true`, empty for null), for properties compared as strings."""
        return self.renderer.render(value, self.context(run), functions=self.functions)

    def condition(self, value: str | bool, run: TaskRun | None) -> bool:
        return truthy(self.render(value, run))

    # tree ------------------------------------------------------------------------
    def task(self, run: TaskRun) -> Task:
        return self.flow.task(run.task_id)

    def branch_tasks(self, parent: TaskRun | None, branch: str) -> list[Task]:
        """The tasks of one child list that run: disabled tasks are left out altogether, as in Kestra."""
        tasks = self.flow.branch(branch) if parent is None else self.task(parent).branches().get(branch, [])
        return [t for t in tasks if not t.disabled]

    @property
    def killing(self) -> bool:
        return self.w.execution.state in (State.KILLING, State.KILLED)

    # task runs -------------------------------------------------------------------
    def new_run(self, task: Task, parent: TaskRun | None, branch: str, iteration: int | None,
                like: TaskRun | None, loop: tuple[Any, int] | None) -> TaskRun:
        """A CREATED task run; its loop position comes from `loop` (a new iteration), `like` (a sibling)
        or its parent."""
        execution = self.w.execution
        run_id = self.run_id(task, parent, branch, iteration)
        position = LoopPosition()
        if loop is not None:
            raw, index = loop
            map_item = _is_map_item(parent)
            value: str | None = context.item_text(raw["value"] if map_item else raw)
            outer = LoopPosition.of(parent) if parent is not None else LoopPosition()
            path = [*(outer.values or ([parent.value] if parent and parent.value else [])), value] \
                if parent else [value]
            values = tuple(path) if len(path) > 1 else ()
            if parent is not None and isinstance(self.task(parent), Loop):
                key = raw["key"] if map_item else None
                position = loops.iteration_position(parent, value, index, key, values)
            else:
                position = replace(outer, values=values)
        else:
            source = like or parent
            value = source.value if source else None
            if source is not None:
                position = LoopPosition.of(source)
        scratch = position.into({})
        existing = self.w.maybe_run(run_id)
        return TaskRun(
            id=run_id, execution_id=execution.id, task_id=task.id, parent_id=parent.id if parent else None,
            branch=branch, iteration=iteration, value=value, state=State.CREATED,
            histories=(StateEntry(state=State.CREATED, date=self.w.now),),
            attempts=existing.attempts if existing else (), scratch=scratch,
        )

    def run_id(self, task: Task, parent: TaskRun | None, branch: str, iteration: int | None) -> str:
        """The id of `task`'s run under `parent` in `branch` and `iteration`: the same every time it is derived."""
        return derived_id(self.w.execution.id, parent.id if parent else "", branch, iteration, task.id)

    def expect_starts(self, tasks: Sequence[Task], parent: TaskRun, branch: str,
                      iterations: Iterable[int | None]) -> None:
        """`tasks` are about to start in each of `iterations`: look for earlier runs of them (a restart's) in one
        read rather than one per run."""
        self.w.view.prefetch(self.run_id(t, parent, branch, i) for i in iterations for t in tasks)

    def start(self, task: Task, parent: TaskRun | None, branch: str, iteration: int | None = None, *,
              like: TaskRun | None = None, loop: tuple[Any, int] | None = None) -> TaskRun:
        """Create the task's run and get it going; the returned run may already be terminal."""
        run = self.w.put(self.new_run(task, parent, branch, iteration, like, loop))
        condition = task.run_condition()
        if condition is not None:
            try:
                go = self.condition(condition, run)
            except ExpressionError as exc:
                return self.fail(run, f"runIf: {exc}")
            if not go:
                self.w.log(run.id, "INFO", f"Task '{task.id}' skipped: its condition is false")
                return self.finish(run, State.SKIPPED)
        if task.FLOWABLE:
            from legato.engine import flowables  # the handlers call back into Step

            run = self.w.put(run.with_state(State.RUNNING, self.w.now))
            try:
                return flowables.enter(self, run, task)
            except ExpressionError as exc:
                return self.fail(self.w.run(run.id), str(exc))
        return self.dispatch(run, task)

    def dispatch(self, run: TaskRun, task: Task, state: State = State.RUNNING) -> TaskRun:
        """Queue a new attempt of a runnable task; held back (CREATED, no attempt) while an operator paused
        the execution, until it is resumed."""
        if self.w.phases.held:
            return self.w.put(run.with_state(State.CREATED, self.w.now))
        attempt = len(run.attempts) + 1
        run = run.model_copy(update={"attempts": (*run.attempts, Attempt(state=State.CREATED))})
        run = self.w.put(run.with_state(state, self.w.now))
        selector = task.workerSelector or (self.flow.workerSelector if task.workerGroup is None else None)
        if selector is not None and selector.tags:
            self.w.command(cmd.DispatchJob(task_run_id=run.id, attempt=attempt, worker_group=selector.key(),
                                           any_of=selector.any_of(), fallback=selector.fallback or "FAIL"))
        else:
            group = task.workerGroup.key if task.workerGroup else None
            self.w.command(cmd.DispatchJob(task_run_id=run.id, attempt=attempt, worker_group=group))
        return run

    def finish(self, run: TaskRun, state: State, *, error: str | None = None,
               outputs: Mapping[str, Any] | None = None) -> TaskRun:
        """Put `run` in its terminal `state`, as its task's allowFailure/allowWarning see it."""
        task = self.task(run)
        state = st.as_allowed(state, allow_failure=task.allowFailure, allow_warning=task.allowWarning)
        update: dict[str, Any] = {}
        if error is not None:
            update["error"] = error
        if outputs is not None:
            update["outputs"] = {**run.outputs, **outputs}
        return self.w.put(run.model_copy(update=update).with_state(state, self.w.now))

    def fail(self, run: TaskRun, message: str) -> TaskRun:
        """End `run` FAILED for a reason found by the engine itself (workers log their own errors)."""
        self.w.log(run.id, "ERROR", message)
        return self.finish(run, State.FAILED, error=message)

    # scopes ----------------------------------------------------------------------
    def scope_state(self, parent_id: str | None, branch: str, iteration: int | None) -> State:
        runs = self.w.scope(parent_id, branch, iteration)
        return st.worst([r.state for r in runs if r.state in st.TERMINAL and r.state != State.SKIPPED])

    def seq_from(self, parent: TaskRun | None, branch: str, iteration: int | None, index: int, *,
                 like: TaskRun | None = None, loop: tuple[Any, int] | None = None) -> State | None:
        """Run the scope's tasks from `index` on; the scope's state when it ended, None while it runs."""
        tasks = self.branch_tasks(parent, branch)
        parent_id = parent.id if parent else None
        for task in tasks[index:]:
            if self.killing:
                return State.KILLED
            run = self.start(task, parent, branch, iteration, like=like, loop=loop)
            loop, like = None, run
            if run.state not in st.TERMINAL:
                return None
            if run.state in st.FAILURE:
                break
        return self.scope_state(parent_id, branch, iteration)

    def seq_advance(self, parent: TaskRun | None, child: TaskRun) -> State | None:
        """`child` of a sequential scope ended: start the next task, or say how the scope ended."""
        parent_id = parent.id if parent else None
        if child.state in st.FAILURE or self.killing:
            return self.scope_state(parent_id, child.branch, child.iteration)
        ids = [t.id for t in self.branch_tasks(parent, child.branch)]
        return self.seq_from(parent, child.branch, child.iteration, ids.index(child.task_id) + 1, like=child)


def _is_map_item(parent: TaskRun | None) -> bool:
    return parent is not None and LoopCounters.of(parent).map_items
