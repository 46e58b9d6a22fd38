"""An MCP server (Model Context Protocol) over a Legato server's REST API, for AI assistants (Claude, Cursor, VS
Code...): tools to find, read, validate and save flows, run them, and read their executions, logs and outputs;
and each flow with a McpToolTrigger of this server as a tool of its own (its inputs the parameters, its outputs
the answer), found anew each time the assistant lists the tools.

Every tool is one or two API calls made with the caller's credentials: over streamable HTTP, the `Authorization`
header of the caller's request (a bearer API token, or basic credentials) when it sends one; otherwise the token
`legato mcp` was given. So the assistant can do exactly what that account may do, no more (its own roles and
those of its groups, on the namespaces they are bound to): a Viewer's token reads, an Editor's saves flows, a Launcher's runs them. The
tools listed are those the account may use (its permissions, asked anew at each list and call): a tool it may not use
is neither listed nor called, and a flow tool is offered only where the account may start executions."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any

import anyio
import httpx
import yaml
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ContentBlock, TextContent
from mcp.types import Tool as McpTool
from pydantic import Field

from legato import remote
from legato.cli import log_lines
from legato.model.triggers import McpToolTrigger

INSTRUCTIONS = """Legato runs declarative YAML workflows ("flows", Kestra-compatible: id, namespace, inputs, tasks).
Find flows with search_flows, read one with get_flow, check a new or changed flow with validate_flow before saving
it with save_flow, run it with run_flow, then follow it with get_execution and get_execution_logs."""
YAML = {"Content-Type": "application/x-yaml"}
LOG_LINES = 500  # the newest lines get_execution_logs returns at most
PAGE = 200  # flows per search request when looking for flow tools
TOOL_TYPES = frozenset((McpToolTrigger.TYPE, *McpToolTrigger.ALIASES))
# JSON Schema of a flow input's value, by input type (the others: a string)
INPUT_SCHEMAS: dict[str, dict[str, Any]] = {
    "INT": {"type": "integer"}, "FLOAT": {"type": "number"}, "BOOLEAN": {"type": "boolean"},
    "BOOL": {"type": "boolean"}, "JSON": {"type": ["object", "array"]}, "ARRAY": {"type": "array"},
    "DATETIME": {"type": "string", "format": "date-time"}, "DATE": {"type": "string", "format": "date"},
    "TIME": {"type": "string", "format": "time"}, "DURATION": {"type": "string", "description": "ISO-8601, e.g. PT5M"},
}


# What each built-in tool needs (any one of these RESOURCE:ACTION permissions, on at least one namespace)
NEEDS: dict[str, tuple[str, ...]] = {
    "search_flows": ("FLOW:LIST",), "get_flow": ("FLOW:VIEW",), "validate_flow": ("FLOW:VIEW",),
    "save_flow": ("FLOW:CREATE", "FLOW:UPDATE"), "run_flow": ("EXECUTION:CREATE",),
    "get_execution": ("EXECUTION:VIEW",), "list_executions": ("EXECUTION:LIST",),
    "get_execution_logs": ("EXECUTION:ACCESS_LOGS",), "kill_execution": ("EXECUTION:KILL",),
}
RUN_FLOW_TOOL = "EXECUTION:CREATE"  # what a flow tool needs on its flow's namespace
# The `Authorization` header of the HTTP request being answered (streamable HTTP), which the API calls then send
# instead of `legato mcp`'s own token; None over stdio or when the request has none.
CALLER_AUTH: ContextVar[str | None] = ContextVar("legato_mcp_caller_auth", default=None)


class Caller:
    """The permissions of the token's account, as the server states them (GET /api/v1/me)."""

    def __init__(self, owner: bool, grants: dict[str, list[list[str] | None]]):
        self.owner = owner
        self.grants = grants  # permission -> the namespace scopes of each grant (None: everywhere)

    @classmethod
    def of(cls, api: Api) -> Caller:
        me = api.call("GET", str(api.client.base_url.copy_with(path="/api/v1/me")))
        grants: dict[str, list[list[str] | None]] = {}
        for grant in me.get("permissions") or []:
            grants.setdefault(grant["permission"], []).append(grant.get("namespaces"))
        return cls(bool(me.get("owner")), grants)

    def may(self, permission: str, namespace: str | None = None) -> bool:
        """Whether the account holds `permission` on `namespace` (a scope covers its children), or on some
        namespace when None."""
        if self.owner:
            return True
        for scopes in self.grants.get(permission, ()):
            if scopes is None or namespace is None:
                return True
            if any(namespace == s or namespace.startswith(s + ".") for s in scopes):
                return True
        return False

    def may_use(self, tool: str) -> bool:
        return any(self.may(p) for p in NEEDS.get(tool, ()))


class Api:
    """The REST calls the tools make; an API error becomes a ToolError with the server's message."""

    def __init__(self, client: httpx.Client):
        self.client = client

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        auth = CALLER_AUTH.get()
        if auth is not None:  # the caller's credentials, never mixed with the client's own
            kwargs = {**kwargs, "auth": None, "headers": {**(kwargs.get("headers") or {}), "Authorization": auth}}
        response = remote.call(self.client, method, path, ToolError, **kwargs)
        return response.json() if response.content else None


def _where(entry: dict[str, Any]) -> str:
    """`task #N` (attempts from 1) of a log entry of the API, `-` for the execution's own lines."""
    return log_lines.where(entry.get("taskId"), entry.get("attemptNumber")) if entry.get("taskId") else "-"


def _flow(found: dict[str, Any]) -> dict[str, Any]:
    keys = ("namespace", "id", "revision", "description", "disabled", "labels")
    return {k: found[k] for k in keys if found.get(k) is not None}


def _execution(found: dict[str, Any]) -> dict[str, Any]:
    """What an assistant needs of an execution: its state, inputs, outputs and each task run's state."""
    tasks = [{"taskId": t["taskId"], "state": t["state"]["current"], **({"value": t["value"]} if t.get("value") else {}),
              **({"outputs": t["outputs"]} if t.get("outputs") else {})} for t in found.get("taskRunList") or []]
    return {"id": found["id"], "namespace": found["namespace"], "flowId": found["flowId"],
            "state": found["state"]["current"], "startDate": found["state"].get("startDate"),
            "endDate": found["state"].get("endDate"), "inputs": found.get("inputs") or {},
            "outputs": found.get("outputs") or {}, "labels": found.get("labels") or [], "taskRuns": tasks}


def input_schema(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON Schema of a tool whose parameters are these flow inputs; required: those without a default."""
    properties: dict[str, Any] = {}
    required = []
    for given in inputs:
        kind = str(given.get("type", "STRING")).upper()
        schema = dict(INPUT_SCHEMAS.get(kind, {"type": "string"}))
        if kind in ("ENUM", "SELECT") and given.get("values"):
            schema["enum"] = list(given["values"])
        if kind == "MULTISELECT":
            schema = {"type": "array", "items": {"enum": list(given.get("values") or [])} if given.get("values") else {}}
        if given.get("description"):
            schema["description"] = str(given["description"])
        if given.get("defaults") is not None:
            schema["default"] = given["defaults"]
        elif given.get("required", True):
            required.append(given["id"])
        properties[given["id"]] = schema
    return {"type": "object", "properties": properties, "required": required}


class FlowTools:
    """The flows offered as tools on the MCP server named `name`: those with an enabled McpToolTrigger whose
    `mcpServer` is `name`. A tool name taken by a built-in tool or by an earlier flow is skipped."""

    def __init__(self, api: Api, name: str, reserved: frozenset[str]):
        self.api, self.name, self.reserved = api, name, reserved

    def find(self) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """Tool name -> (flow, trigger)."""
        found: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        page = 1
        while True:
            listed = self.api.call("GET", "/flows/search", params={"size": PAGE, "page": page})
            for flow in listed["results"]:
                for trigger in flow.get("triggers") or []:
                    name = trigger.get("toolName")
                    if (trigger.get("type") in TOOL_TYPES and not trigger.get("disabled") and not flow.get("disabled")
                            and trigger.get("mcpServer", "default") == self.name and name not in self.reserved
                            and name not in found):
                        found[name] = (flow, trigger)
            if page * PAGE >= listed["total"] or not listed["results"]:
                return found
            page += 1

    def runnable(self, caller: Caller) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
        """The tools whose flows `caller` may start."""
        return {name: (flow, trigger) for name, (flow, trigger) in self.find().items()
                if caller.may(RUN_FLOW_TOOL, flow["namespace"])}

    def listed(self, caller: Caller) -> list[McpTool]:
        return [McpTool(name=name, title=trigger.get("title"), inputSchema=input_schema(flow.get("inputs") or []),
                        description=trigger.get("toolDescription") or flow.get("description")
                        or f"Runs the flow {flow['namespace']}.{flow['id']} and answers with its outputs.")
                for name, (flow, trigger) in self.runnable(caller).items()]

    def call(self, name: str, arguments: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Run the tool's flow with `arguments` as inputs, wait for its end: its state and outputs."""
        tool = self.runnable(caller).get(name)
        if tool is None:
            raise ToolError(f"unknown tool {name!r}")
        flow, _ = tool
        ended = _execution(self.api.call("POST", f"/executions/{flow['namespace']}/{flow['id']}",
                                         params=[("labels", "system.from:mcp"), ("wait", "true")], json=arguments))
        if ended["state"] != "SUCCESS":
            raise ToolError(f"execution {ended['id']} of {flow['namespace']}.{flow['id']} ended {ended['state']}")
        return {"executionId": ended["id"], "state": ended["state"], "outputs": ended["outputs"]}


class LegatoMcp(FastMCP):
    """FastMCP with the flow tools listed and called next to the built-in ones."""

    flow_tools: FlowTools

    async def caller(self) -> Caller:
        CALLER_AUTH.set(self._request_auth())
        return await anyio.to_thread.run_sync(lambda: Caller.of(self.flow_tools.api))

    def _request_auth(self) -> str | None:
        """The `Authorization` header of the HTTP request being answered, if any."""
        context = self.get_context().request_context
        request = getattr(context, "request", None) if context is not None else None
        headers = getattr(request, "headers", None)
        return headers.get("authorization") if headers is not None else None

    async def list_tools(self) -> list[McpTool]:
        caller = await self.caller()
        built_in = [t for t in await super().list_tools() if caller.may_use(t.name)]
        return [*built_in, *await anyio.to_thread.run_sync(lambda: self.flow_tools.listed(caller))]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        caller = await self.caller()
        if name in self.flow_tools.reserved:
            if not caller.may_use(name):
                raise ToolError(f"the caller's account may not use {name} (it needs {' or '.join(NEEDS[name])})")
            return await super().call_tool(name, arguments)
        answer = await anyio.to_thread.run_sync(lambda: self.flow_tools.call(name, arguments, caller))
        content: list[ContentBlock] = [TextContent(type="text", text=json.dumps(answer, default=str))]
        return content


def build(client: httpx.Client, *, host: str = "127.0.0.1", port: int = 8765, name: str = "default") -> FastMCP:
    """The MCP server whose tools call the API through `client` (base URL: the tenant's API); `name`: the
    `mcpServer` whose flow tools it offers."""
    api = Api(client)
    server = LegatoMcp("legato", instructions=INSTRUCTIONS, host=host, port=port)

    def tool(fn: Callable[..., Any]) -> None:
        """Register `fn` (blocking HTTP calls) as a tool run in a worker thread, so the server keeps serving."""
        async def run(**kwargs: Any) -> Any:
            return await anyio.to_thread.run_sync(lambda: fn(**kwargs))
        run.__signature__ = inspect.signature(fn)  # type: ignore[attr-defined]  # the tool's input schema
        server.add_tool(run, name=fn.__name__, description=fn.__doc__)

    def search_flows(
        query: Annotated[str, Field(description="Words to find in flow ids, namespaces and sources.")] = "",
        namespace: Annotated[str | None, Field(description="Only this namespace and its children.")] = None,
        size: Annotated[int, Field(ge=1, le=200, description="How many flows at most.")] = 50,
    ) -> dict[str, Any]:
        """Search the flows: namespace, id, revision, description of each, and how many match in all."""
        params = {"q": query or None, "namespace": namespace, "size": size}
        found = api.call("GET", "/flows/search", params={k: v for k, v in params.items() if v is not None})
        return {"total": found["total"], "flows": [_flow(f) for f in found["results"]]}

    def get_flow(namespace: Annotated[str, Field(description="The flow's namespace.")],
                 flow_id: Annotated[str, Field(description="The flow's id.")]) -> str:
        """The YAML source of a flow."""
        found = api.call("GET", f"/flows/{namespace}/{flow_id}", params={"source": "true"})
        return str(found["source"])

    def validate_flow(source: Annotated[str, Field(description="A flow's YAML source.")]) -> dict[str, Any]:
        """Check a flow without saving it: `valid`, and each problem with its place when it is not."""
        results = api.call("POST", "/flows/validate", content=source.encode(), headers=YAML)
        result = results[0] if results else {}
        problems = result.get("constraints")
        return {"valid": not problems, "problems": problems or "", "warnings": result.get("warnings") or [],
                **{k: result[k] for k in ("namespace", "flow") if result.get(k)}}

    def save_flow(source: Annotated[str, Field(description="The flow's whole YAML source.")]) -> dict[str, Any]:
        """Create the flow, or update it when a flow of that namespace and id exists (a new revision). An invalid
        flow is refused with its problems, and nothing is saved."""
        try:
            head = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise ToolError(f"the source is not valid YAML: {exc}") from None
        if not isinstance(head, dict) or not head.get("id") or not head.get("namespace"):
            raise ToolError("a flow needs `id` and `namespace` at its top level")
        try:
            api.call("GET", f"/flows/{head['namespace']}/{head['id']}")
        except ToolError:
            return _flow(api.call("POST", "/flows", content=source.encode(), headers=YAML))
        return _flow(api.call("PUT", f"/flows/{head['namespace']}/{head['id']}", content=source.encode(), headers=YAML))

    def run_flow(namespace: Annotated[str, Field(description="The flow's namespace.")],
                 flow_id: Annotated[str, Field(description="The flow's id.")],
                 inputs: Annotated[dict[str, Any] | None, Field(description="The flow's inputs by id.")] = None,
                 labels: Annotated[dict[str, str] | None, Field(description="Labels to put on the execution.")] = None,
                 wait: Annotated[bool, Field(description="Answer once the execution has ended.")] = False,
                 ) -> dict[str, Any]:
        """Start an execution of a flow; with `wait`, answer with its final state and outputs."""
        params: list[tuple[str, str]] = [("labels", f"{k}:{v}") for k, v in (labels or {}).items()]
        if wait:
            params.append(("wait", "true"))
        return _execution(api.call("POST", f"/executions/{namespace}/{flow_id}", params=params, json=inputs or {}))

    def get_execution(execution_id: Annotated[str, Field(description="The execution's id.")]) -> dict[str, Any]:
        """An execution: state, dates, inputs, outputs, and each task run's state and outputs."""
        return _execution(api.call("GET", f"/executions/{execution_id}"))

    def list_executions(
        namespace: Annotated[str | None, Field(description="Only this namespace and its children.")] = None,
        flow_id: Annotated[str | None, Field(description="Only executions of this flow.")] = None,
        state: Annotated[str | None, Field(description="Only this state: SUCCESS, FAILED, RUNNING...")] = None,
        size: Annotated[int, Field(ge=1, le=200, description="How many at most, newest first.")] = 20,
    ) -> dict[str, Any]:
        """The newest executions, with their state, and how many match in all."""
        params = {"namespace": namespace, "flowId": flow_id, "state": state, "size": size, "sort": "startDate:desc"}
        found = api.call("GET", "/executions/search", params={k: v for k, v in params.items() if v is not None})
        return {"total": found["total"], "executions": [
            {k: e[k] for k in ("id", "namespace", "flowId")} | {"state": e["state"]["current"],
                                                              "startDate": e["state"].get("startDate")}
            for e in found["results"]]}

    def get_execution_logs(execution_id: Annotated[str, Field(description="The execution's id.")],
                           min_level: Annotated[str | None, Field(description="TRACE, DEBUG, INFO, WARN or ERROR.")] = None,
                           ) -> str:
        """The log lines of an execution (the newest 500): time, level, task and attempt (`boom #1`, from 1),
        message."""
        params = {"minLevel": min_level} if min_level else {}
        lines = api.call("GET", f"/logs/{execution_id}", params=params)[-LOG_LINES:]
        return "\n".join(f"{e['timestamp']} {e['level']} {_where(e)} {e['message']}" for e in lines)

    def kill_execution(execution_id: Annotated[str, Field(description="The execution's id.")]) -> dict[str, Any]:
        """Kill a running execution (and its subflows)."""
        return _execution(api.call("DELETE", f"/executions/{execution_id}/kill"))

    for fn in (search_flows, get_flow, validate_flow, save_flow, run_flow, get_execution, list_executions,
               get_execution_logs, kill_execution):
        tool(fn)
    server.flow_tools = FlowTools(api, name, frozenset(t.name for t in server._tool_manager.list_tools()))
    return server
