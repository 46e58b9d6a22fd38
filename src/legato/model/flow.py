"""The flow: Kestra's flow model (id, namespace, inputs, tasks, errors, finally, triggers, ...) and its own checks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from legato.model.durations import Duration
from legato.model.errors import name_unknown_properties
from legato.model.inputs import InputField
from legato.model.inputs_values import dependency_order
from legato.model.task import Frozen, Retry, Task, WorkerSelector
from legato.model.taskfield import FLOW_DEFAULTS, PluginDefault, TaskList
from legato.model.triggers import Labels, TriggerField

FLOW_ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
NAMESPACE_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
BRANCHES = ("tasks", "errors", "finally", "afterExecution")


class Output(Frozen):
    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$", description="Name of the flow output.")
    type: Literal[
        "STRING", "INT", "FLOAT", "BOOLEAN", "BOOL", "DATETIME", "DATE", "TIME", "DURATION", "FILE", "JSON",
        "URI", "SECRET", "ARRAY", "MULTISELECT", "SELECT", "ENUM", "YAML", "EMAIL",
    ] = Field(description="Type the rendered value is converted to.")
    value: Any = Field(description="Expression giving the output's value (usually from task outputs).")
    description: str | None = Field(default=None, description="What this output is.")
    displayName: str | None = Field(default=None, description="Label shown in the UI.")
    required: bool = Field(default=True, description="Fail the execution when the value is missing.")


class Concurrency(Frozen):
    limit: int = Field(ge=1, description="How many executions of this flow may run at once.")
    behavior: Literal["QUEUE", "CANCEL", "FAIL"] = Field(default="QUEUE", description="What happens to an execution over the limit.")


class Sla(Frozen):
    id: str = Field(description="Id of the SLA.")
    type: Literal["MAX_DURATION", "EXECUTION_ASSERTION"] = Field(description="What the SLA checks.")
    duration: Duration | None = Field(default=None, description="MAX_DURATION: the longest an execution may run.")
    assert_: str | None = Field(default=None, alias="assert", description="EXECUTION_ASSERTION: expression that must be true.")
    behavior: Literal["FAIL", "CANCEL", "NONE"] = Field(default="FAIL", description="What happens to a violating execution.")
    labels: Labels = Field(default_factory=list, description="Labels added to a violating execution.")

    @model_validator(mode="after")
    def _needs_its_property(self) -> Sla:
        if self.type == "MAX_DURATION" and self.duration is None:
            raise ValueError("a MAX_DURATION SLA needs a 'duration'")
        if self.type == "EXECUTION_ASSERTION" and not self.assert_:
            raise ValueError("an EXECUTION_ASSERTION SLA needs an 'assert' expression")
        return self


class Check(Frozen):
    when: str | bool | None = Field(default=None, description="Expression evaluated before an execution is created (Kestra 2.0's name).")
    condition: str | bool | None = Field(default=None, description="Kestra 1.x name of `when`.")
    message: str = Field(description="Shown when the condition is false.")
    style: Literal["ERROR", "SUCCESS", "WARNING", "INFO"] = Field(default="INFO", description="How the message is shown.")
    behavior: Literal["BLOCK_EXECUTION", "FAIL_EXECUTION", "CREATE_EXECUTION"] = Field(
        default="BLOCK_EXECUTION", description="What a false condition does to a new execution."
    )

    @model_validator(mode="after")
    def _one_expression(self) -> Check:
        if (self.when is None) == (self.condition is None):
            raise ValueError("a check needs `when` (or its 1.x name `condition`), exactly one of them")
        return self

    @property
    def expression(self) -> str | bool:
        """The check's expression, whichever dialect wrote it."""
        value = self.when if self.when is not None else self.condition
        assert value is not None
        return value


class Flow(Frozen):
    """A flow as written in YAML. Build it with `legato.model.loader.load_flow` to get errors located in the source."""

    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: hello\nnamespace: company.team\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Log\n    message: Hello\n",
    )

    id: str = Field(pattern=FLOW_ID_PATTERN, max_length=100, description="Id of the flow, unique within its namespace.")
    namespace: str = Field(pattern=NAMESPACE_PATTERN, max_length=150, description="Dotted namespace the flow belongs to (company.team).")
    revision: int | None = Field(default=None, ge=1, description="Revision number; set by the server, ignored on save.")
    description: str | None = Field(default=None, description="Free text shown in the UI (Markdown).")
    labels: Labels = Field(default_factory=list, description="Labels as a map or a list of {key, value}; copied to executions.")
    inputs: list[InputField] | None = Field(default=None, description="Values an execution is started with.")
    variables: dict[str, Any] | None = Field(default=None, description="Constants available as {{ vars.name }}.")
    tasks: TaskList = Field(min_length=1, description="The tasks, run in order.")
    errors: TaskList | None = Field(default=None, description="Tasks run when a task of the flow fails.")
    finally_: TaskList | None = Field(default=None, alias="finally", description="Tasks run at the end, whatever the outcome.")
    afterExecution: TaskList | None = Field(default=None, description="Tasks run once the execution reached its final state.")
    triggers: list[TriggerField] | None = Field(default=None, description="What starts executions automatically.")
    outputs: list[Output] | None = Field(default=None, description="Values the execution exposes when it ends.")
    concurrency: Concurrency | None = Field(default=None, description="Limit on simultaneous executions.")
    retry: Retry | None = Field(default=None, description="Retry policy of the whole flow.")
    pluginDefaults: list[PluginDefault] | None = Field(default=None, description="Default properties of tasks and triggers by type.")
    taskDefaults: list[PluginDefault] | None = Field(default=None, description="Deprecated name of pluginDefaults.")
    disabled: bool = Field(default=False, description="A disabled flow cannot be executed or triggered.")
    deleted: bool = Field(default=False, description="Set by the server on deleted revisions.")
    sla: list[Sla] | None = Field(default=None, description="Service-level agreements checked on executions.")
    checks: list[Check] | None = Field(default=None, description="Conditions checked before an execution is created.")
    extend: dict[str, Any] | None = Field(
        default=None, description="Kestra's blueprint catalogue metadata (title, tags, ...): accepted and ignored.")
    workerSelector: WorkerSelector | None = Field(default=None, description="Kestra 2.0: the worker tags of the flow's tasks that name none themselves.")
    tenantId: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Tenant; set by the server.")

    @model_validator(mode="wrap")
    @classmethod
    def _with_plugin_defaults(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Validate with the flow's own plugin defaults applied to its tasks and triggers."""
        own: tuple[PluginDefault, ...] = ()
        if isinstance(data, Mapping):
            own = (*_loose_defaults(data.get("pluginDefaults")), *_loose_defaults(data.get("taskDefaults")))
        token = FLOW_DEFAULTS.set(own)
        try:
            return handler(data)
        except ValidationError as exc:
            raise name_unknown_properties(cls, exc) from None
        finally:
            FLOW_DEFAULTS.reset(token)

    @field_validator("inputs")
    @classmethod
    def _input_order(cls, inputs: list[Any] | None) -> list[Any] | None:
        declared = {i.id for i in inputs or []}
        problems: list[InitErrorDetails] = []
        for index, item in enumerate(inputs or []):
            for pos, dep in enumerate(item.dependsOn.inputs if item.dependsOn else []):
                if dep not in declared:
                    message = f"input '{item.id}' depends on unknown input '{dep}'"
                    error = PydanticCustomError("unknown_input", message)
                    problems.append({"type": error, "loc": (index, "dependsOn", "inputs", pos), "input": dep})
        if problems:
            raise ValidationError.from_exception_data("Flow", problems)
        if inputs:
            dependency_order(inputs)  # a cycle is left
        return inputs

    @model_validator(mode="after")
    def _unique_ids(self) -> Flow:
        problems: list[InitErrorDetails] = []
        seen: dict[str, str] = {}
        for loc, task in self._located_tasks():
            if task.id in seen:
                problems.append(_duplicate("task", task.id, (*loc, "id"), seen[task.id]))
            else:
                seen[task.id] = _dotted(loc)
        for field in ("triggers", "inputs", "outputs"):
            ids: dict[str, int] = {}
            for index, item in enumerate(getattr(self, field) or []):
                if item.id in ids:
                    problems.append(_duplicate(field.rstrip("s"), item.id, (field, index, "id"), f"{field}[{ids[item.id]}]"))
                ids.setdefault(item.id, index)
        problems += self._recursive_calls()
        if problems:
            raise ValidationError.from_exception_data("Flow", problems)
        return self

    def _recursive_calls(self) -> list[InitErrorDetails]:
        """A task that starts an execution of this very flow (Subflow, ForEachItem) would do so forever."""
        out: list[InitErrorDetails] = []
        for loc, task in self._located_tasks():
            namespace, flow_id = getattr(task, "namespace", None), getattr(task, "flowId", None)
            if isinstance(namespace, str) and isinstance(flow_id, str) and (namespace, flow_id) == (self.namespace, self.id):
                message = f"task '{task.id}' starts an execution of this flow ({self.namespace}.{self.id}): a recursive call"
                out.append({"type": PydanticCustomError("recursive_flow", message), "loc": (*loc, "flowId"), "input": flow_id})
        return out

    def _located_tasks(self) -> Iterator[tuple[tuple[str | int, ...], Task]]:
        for name in BRANCHES:
            for index, task in enumerate(self.branch(name)):
                yield from _locate(task, (name, index))

    def branch(self, name: str) -> list[Task]:
        """The top-level task list `name`: 'tasks', 'errors', 'finally' or 'afterExecution'."""
        if name not in BRANCHES:
            raise KeyError(f"no branch {name!r} (expected one of {', '.join(BRANCHES)})")
        return list(getattr(self, "finally_" if name == "finally" else name) or [])

    def all_tasks(self) -> list[Task]:
        """Every task of the flow, nested ones included, depth first, in tasks/errors/finally/afterExecution order."""
        return [task for _, task in self._located_tasks()]

    @cached_property
    def _tasks_by_id(self) -> dict[str, Task]:
        return {t.id: t for task in self.all_tasks() for t in (task, *task.parts())}

    def task(self, task_id: str) -> Task:
        """The task with this id anywhere in the flow; KeyError if there is none."""
        task = self._tasks_by_id.get(task_id)
        if task is None:
            raise KeyError(f"flow {self.namespace}.{self.id} has no task {task_id!r}")
        return task

    def plugin_defaults(self) -> list[PluginDefault]:
        """pluginDefaults followed by the deprecated taskDefaults."""
        return [*(self.pluginDefaults or []), *(self.taskDefaults or [])]


def _loose_defaults(value: Any) -> list[PluginDefault]:
    """The well-formed entries of a raw pluginDefaults list (the malformed ones fail the field's own check)."""
    out = []
    for item in value if isinstance(value, list) else []:
        try:
            out.append(PluginDefault.model_validate(item))
        except ValidationError:
            continue
    return out


def _locate(task: Task, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Task]]:
    """`task` and every task nested in its properties, each with its path in the YAML."""
    yield loc, task
    for name, field in type(task).model_fields.items():
        key = field.alias or name
        yield from _nested(getattr(task, name), (*loc, key))


def _nested(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Task]]:
    if isinstance(value, Task):
        yield from _locate(value, loc)
    elif isinstance(value, BaseModel):  # a wrapper holding tasks, such as a Dag's {task, dependsOn}
        for name, field in type(value).model_fields.items():
            yield from _nested(getattr(value, name), (*loc, field.alias or name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _nested(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nested(item, (*loc, key))


def _dotted(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(loc))


def _duplicate(kind: str, item_id: str, loc: tuple[str | int, ...], first: str) -> InitErrorDetails:
    error = PydanticCustomError(f"duplicate_{kind}_id", "duplicate {kind} id '{id}' (first used at {first})", {"kind": kind, "id": item_id, "first": first})
    return {"type": error, "loc": loc, "input": item_id}
