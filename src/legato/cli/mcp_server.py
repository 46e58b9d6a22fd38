"""An MCP server (Model Context Protocol) over a Legato server's REST API, for AI assistants (Claude, Cursor, VS
Code...): tools to find, read, validate and save flows, run them, and read their executions, logs and outputs.

Every tool is one or two API calls made with the token `legato mcp` was given, so the assistant can do exactly what
that token's account may do, no more: a Viewer's token reads, an Editor's saves flows, a Launcher's runs them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import anyio
import httpx
import yaml
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field

from legato.remote import error_message

INSTRUCTIONS = """Legato runs declarative YAML workflows ("flows", Kestra-compatible: id, namespace, inputs, tasks).
Find flows with search_flows, read one with get_flow, check a new or changed flow with validate_flow before saving
it with save_flow, run it with run_flow, then follow it with get_execution and get_execution_logs."""
YAML = {"Content-Type": "application/x-yaml"}
LOG_LINES = 500  # the newest lines get_execution_logs returns at most


class Api:
    """The REST calls the tools make; an API error becomes a ToolError with the server's message."""

    def __init__(self, client: httpx.Client):
        self.client = client

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ToolError(f"cannot reach Legato at {self.client.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise ToolError(f"HTTP {response.status_code}: {error_message(response)}")
        return response.json() if response.content else None


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


def build(client: httpx.Client, *, host: str = "127.0.0.1", port: int = 8765) -> FastMCP:
    """The MCP server whose tools call the API through `client` (base URL: the tenant's API)."""
    api = Api(client)
    server = FastMCP("legato", instructions=INSTRUCTIONS, host=host, port=port)

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
        """The log lines of an execution (the newest 500): time, level, task, message."""
        params = {"minLevel": min_level} if min_level else {}
        lines = api.call("GET", f"/logs/{execution_id}", params=params)[-LOG_LINES:]
        return "\n".join(f"{e['timestamp']} {e['level']} {e.get('taskId') or '-'} {e['message']}" for e in lines)

    def kill_execution(execution_id: Annotated[str, Field(description="The execution's id.")]) -> dict[str, Any]:
        """Kill a running execution (and its subflows)."""
        return _execution(api.call("DELETE", f"/executions/{execution_id}/kill"))

    for fn in (search_flows, get_flow, validate_flow, save_flow, run_flow, get_execution, list_executions,
               get_execution_logs, kill_execution):
        tool(fn)
    return server
