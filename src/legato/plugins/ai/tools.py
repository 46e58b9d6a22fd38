"""Kestra's agent tools (`io.kestra.plugin.ai.tool.*`): what an AIAgent (or a chat completion) may call. Each tool
block gives one or more functions (name, description, JSON Schema of the arguments) and runs a call of one:

- `KestraTask`: runnable tasks of the flow's own kind, one function `kestra_task_<id>` each. Properties set in the
  YAML stay fixed; a property set to `...`, or a required one left unset, is for the model to fill.
- `KestraFlow`: start an execution of a Legato flow (a fixed one, or any the model names), with inputs and labels
  from the model merged over the block's own. As in Kestra, the tool answers with the created execution; it does
  not wait for the end."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeAlias

from pydantic import Field, ValidationError, field_validator

from legato.model.errors import suggest
from legato.model.task import TASKS, Task
from legato.plugins.ai import wire
from legato.plugins.ai.search import tavily_search
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import RunnableTask
from legato.plugins.subplugins import SubPlugin

_KESTRA = "io.kestra.plugin.ai.tool"
PLACEHOLDER = "..."  # a task property the model must fill
_COMMON = set(Task.model_fields)  # id, type, retry, timeout...: never the model's to choose

Run: TypeAlias = Callable[[dict[str, Any]], Awaitable[str]]


class ToolProvider(SubPlugin):
    """A tool block: the functions it offers and how to run a call of each."""

    @abstractmethod
    async def functions(self, ctx: RunContext, stack: AsyncExitStack) -> list[tuple[wire.ToolSpec, Run]]:
        """The functions offered; what must stay open while they may be called (an MCP session) goes on `stack`,
        closed when the task's conversation ends."""


# --- KestraTask ---------------------------------------------------------------------------------------------


class KestraTask(ToolProvider):
    """Expose runnable tasks as tools, one `kestra_task_<id>` function each; set a property to `...` for the
    model to fill it."""

    TYPE: ClassVar[str] = f"{_KESTRA}.KestraTask"

    tasks: list[dict[str, Any]] = Field(min_length=1, description="The runnable tasks offered (each with `id` and `type`; `...` marks what the model fills).")

    @field_validator("tasks")
    @classmethod
    def _runnable(cls, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, task in enumerate(tasks):
            if not isinstance(task.get("id"), str) or not isinstance(task.get("type"), str):
                raise ValueError(f"tasks[{index}] needs an 'id' and a 'type'")
            found = TASKS.lookup(task["type"])
            if found is None:
                raise ValueError(f"tasks[{index}]: unknown task type '{task['type']}'{suggest(task['type'], TASKS.names())}")
            if not issubclass(found, RunnableTask):
                raise ValueError(f"tasks[{index}] ('{task['id']}'): the KestraTask tool calls runnable tasks only, and {task['type']} is not one")
        return tasks

    async def functions(self, ctx: RunContext, stack: AsyncExitStack) -> list[tuple[wire.ToolSpec, Run]]:
        out = []
        for task in self.tasks:
            cls = TASKS.lookup(task["type"])
            assert cls is not None  # checked at validation
            spec = wire.ToolSpec(f"kestra_task_{task['id']}", _task_description(cls), task_parameters(cls, task))
            out.append((spec, _task_runner(ctx, cls, task)))
        return out


def _task_description(cls: type[Any]) -> str:
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return f"Run the Legato task {cls.TYPE}: {doc} It answers with the task's outputs, a JSON object."


def task_parameters(cls: type[Any], task: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of what the model fills: `...` properties, and required ones the YAML left unset."""
    schema = cls.model_json_schema()
    required = set(schema.get("required") or ())
    properties = {}
    for name, prop in (schema.get("properties") or {}).items():
        if name in _COMMON:
            continue
        if task.get(name) == PLACEHOLDER or (name not in task and name in required):
            properties[name] = prop
    out: dict[str, Any] = {"type": "object", "properties": properties, "required": sorted(properties)}
    if "$defs" in schema:
        out["$defs"] = schema["$defs"]
    return out


def _task_runner(ctx: RunContext, cls: type[Any], task: dict[str, Any]) -> Run:
    async def run(arguments: dict[str, Any]) -> str:
        merged = {**{k: v for k, v in task.items() if v != PLACEHOLDER}, **arguments}
        try:
            runnable = cls.model_validate(merged)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            return f"Error: the arguments do not make a valid {cls.TYPE} task: {problems}"
        outputs = await runnable.run(ctx)
        return json.dumps(outputs, default=str) if outputs else "Success"

    return run


# --- KestraFlow ---------------------------------------------------------------------------------------------

_FLOW_ANY = ("Start an execution of a Legato flow given its namespace and flow id, with inputs and labels. It answers "
             "with the created execution (its id and state); it does not wait for the execution to end.")
_INPUTS = {"type": "array", "description": "The flow's inputs.",
           "items": {"type": "object", "properties": {"id": {"type": "string", "description": "The input id."},
                                                      "value": {"description": "The input value."}},
                     "required": ["id", "value"]}}
_LABELS = {"type": "array", "description": "Labels of the execution.",
           "items": {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                     "required": ["key", "value"]}}
_SCHEDULE = {"type": "string", "description": "ISO-8601 date-time with offset at which the execution starts; only when it must run later."}


class KestraFlow(ToolProvider):
    """Start executions of Legato flows from an agent: a fixed flow (`namespace` and `flowId`), or any flow the
    model names."""

    TYPE: ClassVar[str] = f"{_KESTRA}.KestraFlow"

    description: str | None = Field(default=None, description="What the flow does, for the model (default: the flow's own description; one of the two is required).")
    namespace: str | None = Field(default=None, description="Namespace of the flow to call (with flowId).")
    flowId: str | None = Field(default=None, description="Id of the flow to call (with namespace).")
    revision: int | None = Field(default=None, description="Revision of the flow to call (default: the latest).")
    inputs: dict[str, Any] | None = Field(default=None, description="Inputs always passed (rendered); the model's are merged over them.")
    labels: list[dict[str, str]] | dict[str, str] | None = Field(default=None, description="Labels added to each execution (a list of key/value maps, or a map).")
    inheritLabels: bool = Field(default=False, description="Give the new execution the labels of the calling one.")
    scheduleDate: str | None = Field(default=None, description="When the execution starts (ISO-8601), if later than now.")
    kestraUrl: str | None = Field(default=None, description="Kestra compatibility: accepted; Legato starts the execution on its own instance.")
    auth: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted; the agent acts with the flow's rights on its own instance.")
    tenantId: str | None = Field(default=None, description="Kestra compatibility: accepted; the calling execution's tenant is used.")

    async def functions(self, ctx: RunContext, stack: AsyncExitStack) -> list[tuple[wire.ToolSpec, Run]]:
        if (self.namespace is None) != (self.flowId is None):
            raise TaskFailed("the KestraFlow tool needs both 'namespace' and 'flowId', or neither (the model then names the flow)")
        if self.namespace is None or self.flowId is None:
            parameters = {"type": "object", "properties": {
                "namespace": {"type": "string"}, "flowId": {"type": "string"}, "revision": {"type": "integer"},
                "inputs": _INPUTS, "labels": _LABELS, "scheduleDate": _SCHEDULE}, "required": ["namespace", "flowId"]}
            return [(wire.ToolSpec("kestra_flow", _FLOW_ANY, parameters), self._runner(ctx, None, None))]
        namespace, flow_id = ctx.render_string(self.namespace), ctx.render_string(self.flowId)
        flow = ctx.operations.find_flow(namespace, flow_id, self.revision)
        if flow is None:
            raise TaskFailed(f"the KestraFlow tool names flow {namespace}.{flow_id}, which does not exist")
        description = ctx.render_string(self.description) if self.description is not None else flow.description
        if not description:
            raise TaskFailed(f"the KestraFlow tool for {namespace}.{flow_id} needs a 'description' (the flow has none): "
                             "the model chooses tools by their description")
        properties: dict[str, Any] = {"labels": _LABELS, "scheduleDate": _SCHEDULE}
        required = []
        if flow.inputs:
            properties["inputs"] = _INPUTS
            if any(self._needed(i, {}) for i in flow.inputs):
                required.append("inputs")
        name = "kestra_flow_" + f"{namespace}_{flow_id}".replace(".", "_").replace("-", "_")
        spec = wire.ToolSpec(name, f"Start an execution of the flow {namespace}.{flow_id}: {description}",
                             {"type": "object", "description": description, "properties": properties, "required": required})
        return [(spec, self._runner(ctx, namespace, flow_id))]

    def _needed(self, item: Any, given: dict[str, Any]) -> bool:
        return bool(item.required) and item.defaults is None and item.id not in given and item.id not in (self.inputs or {})

    def _runner(self, ctx: RunContext, namespace: str | None, flow_id: str | None) -> Run:
        async def run(arguments: dict[str, Any]) -> str:
            ns = namespace or str(arguments.get("namespace") or "")
            fid = flow_id or str(arguments.get("flowId") or "")
            revision = arguments.get("revision") if namespace is None else self.revision
            revision = int(revision) if isinstance(revision, int | float) else None
            flow = ctx.operations.find_flow(ns, fid, revision)
            if flow is None:
                return f"Error: flow {ns}.{fid} not found"
            given = {str(i.get("id")): i.get("value") for i in arguments.get("inputs") or () if isinstance(i, dict)}
            inputs = {**(ctx.render(self.inputs) if self.inputs else {}), **given}
            missing = [i.id for i in flow.inputs or () if self._needed(i, inputs)]
            if missing:
                return f"Error: you need to provide an input with the id '{missing[0]}'."
            labels = self._labels(ctx, arguments)
            when = arguments.get("scheduleDate") or (ctx.render_string(self.scheduleDate) if self.scheduleDate else None)
            try:
                scheduled = datetime.fromisoformat(str(when)) if when else None
            except ValueError:
                return f"Error: scheduleDate {when!r} is not an ISO-8601 date-time"
            if scheduled is not None and scheduled.tzinfo is None:
                scheduled = scheduled.replace(tzinfo=UTC)  # a date-time without offset is read as UTC
            execution = ctx.operations.start_execution(ns, fid, inputs, labels=labels, revision=revision,
                                                       scheduled_at=scheduled)
            ctx.logger.info(f"started execution {execution.id} of flow {ns}.{fid}")
            return json.dumps({"id": execution.id, "namespace": ns, "flowId": fid, "flowRevision": execution.flow_revision,
                               "state": {"current": execution.state.value},
                               "labels": [{"key": k.key, "value": k.value} for k in execution.labels]})

        return run

    def _labels(self, ctx: RunContext, arguments: dict[str, Any]) -> dict[str, str]:
        own = {lb.key: lb.value for lb in ctx.execution.labels}
        out = own if self.inheritLabels else {k: v for k, v in own.items() if k.startswith("system.")}
        fixed = self.labels or {}
        pairs = fixed.items() if isinstance(fixed, dict) else ((p.get("key", ""), p.get("value", "")) for p in fixed)
        out.update({ctx.render_string(k): ctx.render_string(v) for k, v in pairs})
        for label in arguments.get("labels") or ():
            if isinstance(label, dict) and label.get("key"):
                out[str(label["key"])] = str(label.get("value", ""))
        return out


# --- web search ---------------------------------------------------------------------------------------------


class TavilyWebSearchTool(ToolProvider):
    """Let the model search the web with Tavily (a `searchWeb` function taking a query)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.tool.TavilyWebSearch"

    apiKey: str = Field(description="The Tavily API key (keep it in a secret).")
    baseUrl: str = Field(default="https://api.tavily.com", description="Legato: Tavily's API base URL.")

    async def functions(self, ctx: RunContext, stack: AsyncExitStack) -> list[tuple[wire.ToolSpec, Run]]:
        spec = wire.ToolSpec("searchWeb", "Search the web; answers with the results' titles, URLs and contents.",
                             {"type": "object", "properties": {"query": {"type": "string", "description": "What to search for."}},
                              "required": ["query"]})

        async def run(arguments: dict[str, Any]) -> str:
            found = await tavily_search(ctx, self.apiKey, self.baseUrl, str(arguments.get("query") or ""), 5)
            return json.dumps([{k: r.get(k) for k in ("title", "url", "content")} for r in found])

        return [(spec, run)]
