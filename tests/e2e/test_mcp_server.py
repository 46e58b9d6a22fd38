"""`legato mcp` end to end: a real `legato server local`, `legato mcp` started over stdio by the MCP SDK's own
client (as Claude or Cursor start it), and the tools called through it. The tools act with the token given to
`legato mcp`: the owner saves and runs flows; a Viewer's token reads and is refused the rest."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.client.streamable_http import streamablehttp_client
from tests.e2e.local_server import wait_for
from tests.e2e.sso_support import LEGATO, OWNER, free_port, prepare, webserver

FLOW = """id: hello
namespace: team
inputs:
  - id: who
    type: STRING
    defaults: world
tasks:
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.who }}"
  - id: answer
    type: io.kestra.plugin.core.output.OutputValues
    values:
      text: "Hello {{ inputs.who }}"
outputs:
  - id: text
    type: STRING
    value: "{{ outputs.answer.values.text }}"
"""


# The MCP SDK starts the server with a few variables only (HOME, PATH...): keep the interpreter's PYTHONPATH, so
# that `legato mcp` runs the code under test when it is not the installed one.
ENV = {**get_default_environment(), **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {})}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    prepare(tmp_path / "data")
    with webserver(tmp_path / "data", "", free_port(), {}, local=True) as base:
        yield base


async def _tools_and_results(client: ClientSession, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    """The tool names the session lists, and the result of each call (the text, parsed as JSON when it is)."""
    await client.initialize()
    names = [t.name for t in (await client.list_tools()).tools]
    results = []
    for name, arguments in calls:
        answer = await client.call_tool(name, arguments)
        text = "".join(getattr(c, "text", "") for c in answer.content)
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        results.append({"error": text} if answer.isError else value)
    return names, results


def _call(base: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    """The tool names `legato mcp` lists, and the result of each call (the text, parsed as JSON when it is)."""

    async def session() -> tuple[list[str], list[Any]]:
        params = StdioServerParameters(command=LEGATO, env=ENV, args=["mcp", "--server", base, "--token", token])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            return await _tools_and_results(client, calls)

    return anyio.run(session)


def test_an_assistant_validates_saves_runs_and_reads_a_flow(server: str) -> None:
    broken = FLOW.replace("io.kestra.plugin.core.log.Log", "io.kestra.plugin.core.log.Nope")
    names, (invalid, valid, saved, again, found, run, listed, source) = _call(server, ":".join(OWNER), [
        ("validate_flow", {"source": broken}),
        ("validate_flow", {"source": FLOW}),
        ("save_flow", {"source": FLOW}),
        ("save_flow", {"source": FLOW.replace("Hello", "Hi")}),
        ("search_flows", {"namespace": "team"}),
        ("run_flow", {"namespace": "team", "flow_id": "hello", "inputs": {"who": "Ada"}, "wait": True}),
        ("list_executions", {"namespace": "team"}),
        ("get_flow", {"namespace": "team", "flow_id": "hello"}),
    ])
    assert {"search_flows", "get_flow", "validate_flow", "save_flow", "run_flow", "get_execution", "list_executions",
            "get_execution_logs", "kill_execution"} <= set(names)
    assert invalid["valid"] is False and "io.kestra.plugin.core.log.Nope" in invalid["problems"]
    assert valid["valid"] is True
    assert (saved["id"], saved["revision"]) == ("hello", 1) and again["revision"] == 2
    assert [f["id"] for f in found["flows"]] == ["hello"]
    assert run["state"] == "SUCCESS" and run["outputs"] == {"text": "Hi Ada"}
    assert [t["taskId"] for t in run["taskRuns"]] == ["greet", "answer"]
    assert listed["total"] == 1 and listed["executions"][0]["id"] == run["id"]
    assert listed["executions"][0]["state"] == "SUCCESS"
    assert "Hi {{ inputs.who }}" in source

    _, (execution, lines) = _call(server, ":".join(OWNER), [("get_execution", {"execution_id": run["id"]}),
                                                             ("get_execution_logs", {"execution_id": run["id"]})])
    assert execution["inputs"] == {"who": "Ada"}
    assert " INFO greet #1 Hi Ada" in lines  # attempts count from 1, as the CLI and the UI show them


def test_the_tools_have_the_permissions_of_the_token(server: str, tmp_path: Path) -> None:
    _call(server, ":".join(OWNER), [("save_flow", {"source": FLOW})])
    data = ["--data-dir", str(tmp_path / "data")]
    subprocess.run([LEGATO, "user", "create", "vic", "--service-account", "--role", "viewer", "--namespace", "team",
                    *data], check=True, capture_output=True)
    token = subprocess.run([LEGATO, "token", "create", "vic", *data], check=True, capture_output=True,
                           text=True).stdout.split()[-1]
    _, (found, refused, run) = _call(server, token, [
        ("search_flows", {}),
        ("save_flow", {"source": FLOW.replace("Hello", "Bye")}),
        ("run_flow", {"namespace": "team", "flow_id": "hello"}),
    ])
    assert [f["id"] for f in found["flows"]] == ["hello"]
    assert "may not use save_flow (it needs FLOW:CREATE or FLOW:UPDATE)" in refused["error"]
    assert "may not use run_flow" in run["error"]
    names, _ = _call(server, token, [])
    assert {"search_flows", "get_flow", "get_execution", "list_executions", "get_execution_logs"} <= set(names)
    assert not {"save_flow", "run_flow", "kill_execution"} & set(names)  # a Viewer is not offered them


def test_a_group_bound_on_a_namespace_lists_and_runs_only_there(server: str, tmp_path: Path) -> None:
    team_tool = TOOL_FLOW.replace("namespace: company.team", "namespace: team.ops") \
        .replace("id: hello_world", "id: greet_ops").replace("toolName: hello_world", "toolName: greet_ops")
    _call(server, ":".join(OWNER), [("save_flow", {"source": source}) for source in (FLOW, TOOL_FLOW, team_tool)])
    data = ["--data-dir", str(tmp_path / "data")]
    subprocess.run([LEGATO, "user", "create", "ops", "--service-account", *data], check=True, capture_output=True)
    token = subprocess.run([LEGATO, "token", "create", "ops", *data], check=True, capture_output=True,
                           text=True).stdout.split()[-1]
    with httpx.Client(base_url=f"{server}/api/v1/main", auth=OWNER, timeout=30) as owner:
        account = next(a["id"] for a in owner.get("/service-accounts").json() if a["username"] == "ops")
        group = owner.post("/groups", json={"name": "team-launchers"}).json()["id"]
        assert owner.put(f"/groups/{group}/members/{account}").status_code == 204
        launcher = next(r["id"] for r in owner.get("/roles").json() if r["name"] == "Launcher")
        bound = owner.post("/bindings", json={"roleId": launcher, "type": "GROUP", "externalId": group,
                                              "namespace": "team"})
        assert bound.status_code == 200, bound.text

    names, (found, ran, elsewhere, saved) = _call(server, token, [
        ("search_flows", {}),
        ("greet_ops", {"user": "Ops"}),
        ("run_flow", {"namespace": "company.team", "flow_id": "hello_world"}),
        ("save_flow", {"source": FLOW}),
    ])
    assert sorted(f["id"] for f in found["flows"]) == ["greet_ops", "hello"]  # team and its children only
    assert "greet_ops" in names and "hello_world" not in names  # a flow tool only where it may run
    assert "run_flow" in names and "save_flow" not in names and "kill_execution" not in names
    assert ran["outputs"] == {"greeting": "Hello, Ops x1!"}
    assert "HTTP 403" in elsewhere["error"]  # run_flow on a namespace outside the binding: the API refuses
    assert "may not use save_flow" in saved["error"]


TOOL_FLOW = """id: hello_world
namespace: company.team
description: Greets someone.
inputs:
  - id: user
    type: STRING
    description: The name of the user to greet.
  - id: times
    type: INT
    defaults: 1
tasks:
  - id: greet
    type: io.kestra.plugin.core.output.OutputValues
    values:
      greeting: "Hello, {{ inputs.user }} x{{ inputs.times }}!"
outputs:
  - id: greeting
    type: STRING
    value: "{{ outputs.greet.values.greeting }}"
triggers:
  - id: mcp
    type: io.kestra.plugin.core.trigger.McpToolTrigger
    toolName: hello_world
    title: Hello World greeting tool
    toolDescription: Returns a personalised greeting.
    mcpServer: default
"""


def test_a_flow_with_a_mcp_tool_trigger_is_a_tool(server: str) -> None:
    other = TOOL_FLOW.replace("id: hello_world", "id: elsewhere").replace("toolName: hello_world", "toolName: other") \
        .replace("mcpServer: default", "mcpServer: analytics")

    async def session() -> tuple[Any, Any, Any]:
        params = StdioServerParameters(command=LEGATO, env=ENV, args=["mcp", "--server", server, "--token", ":".join(OWNER)])
        async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            before = {t.name for t in (await client.list_tools()).tools}
            for source in (TOOL_FLOW, other):
                assert not (await client.call_tool("save_flow", {"source": source})).isError
            tools = {t.name: t for t in (await client.list_tools()).tools}
            answer = await client.call_tool("hello_world", {"user": "Ada"})
            return before, tools, answer

    before, tools, answer = anyio.run(session)
    assert "hello_world" not in before
    tool = tools["hello_world"]
    assert "other" not in tools, "a tool of another mcpServer is not offered here"
    assert tool.description == "Returns a personalised greeting." and tool.title == "Hello World greeting tool"
    assert tool.inputSchema["required"] == ["user"]
    assert tool.inputSchema["properties"]["times"] == {"type": "integer", "default": 1}
    result = json.loads(answer.content[0].text)
    assert not answer.isError and result["outputs"] == {"greeting": "Hello, Ada x1!"}
    _, (execution,) = _call(server, ":".join(OWNER), [("get_execution", {"execution_id": result["executionId"]})])
    assert {"key": "system.from", "value": "mcp"} in execution["labels"]


def test_the_http_transport_listens_on_loopback_only() -> None:
    answer = subprocess.run([LEGATO, "mcp", "--transport", "http", "--host", "0.0.0.0"], capture_output=True, text=True)
    assert answer.returncode == 2 and "listens on loopback only" in answer.stderr


WAITS = """id: waits
namespace: {ns}
tasks:
  - id: hold
    type: io.kestra.plugin.core.flow.Pause
"""


def _http_session(url: str, token: str | None, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    """`_call`, over streamable HTTP at `url` (a `legato mcp --transport http`), the requests carrying `token`."""
    headers = {"Authorization": f"Bearer {token}"} if token else None

    async def session() -> tuple[list[str], list[Any]]:
        async with streamablehttp_client(url, headers=headers) as (read, write, _), \
                ClientSession(read, write) as client:
            return await _tools_and_results(client, calls)

    return anyio.run(session)


def test_over_http_every_tool_honours_a_users_group_binding(server: str, tmp_path: Path) -> None:
    """A user with no role of their own, an Editor on namespace `team` through a group only, calls a `legato mcp`
    over streamable HTTP with their token in each request (the server was given none): each tool reaches `team`
    and its children, and nothing of `company.team`; a caller without credentials gets nothing."""
    team_tool = TOOL_FLOW.replace("namespace: company.team", "namespace: team.ops") \
        .replace("id: hello_world", "id: greet_ops").replace("toolName: hello_world", "toolName: greet_ops")
    sources = (FLOW, TOOL_FLOW, team_tool, WAITS.format(ns="team"), WAITS.format(ns="company.team"))
    _call(server, ":".join(OWNER), [("save_flow", {"source": source}) for source in sources])
    data = ["--data-dir", str(tmp_path / "data")]
    subprocess.run([LEGATO, "user", "create", "gil", "--no-password", *data], check=True, capture_output=True)
    token = subprocess.run([LEGATO, "token", "create", "gil", *data], check=True, capture_output=True,
                           text=True).stdout.split()[-1]
    with httpx.Client(base_url=f"{server}/api/v1/main", auth=OWNER, timeout=30) as owner:
        user = next(u["id"] for u in owner.get("/users").json() if u["username"] == "gil")
        group = owner.post("/groups", json={"name": "team-editors"}).json()["id"]
        assert owner.put(f"/groups/{group}/members/{user}").status_code == 204
        editor = next(r["id"] for r in owner.get("/roles").json() if r["name"] == "Editor")
        bound = owner.post("/bindings", json={"roleId": editor, "type": "GROUP", "externalId": group,
                                              "namespace": "team"})
        assert bound.status_code == 200, bound.text
        outside = owner.post("/executions/company.team/waits").json()["id"]  # paused, not gil's to see

    port = free_port()
    mcp = subprocess.Popen([LEGATO, "mcp", "--transport", "http", "--port", str(port), "--server", server], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: _listening(port), 60, "legato mcp to listen")
        url = f"http://127.0.0.1:{port}/mcp"
        names, (found, got, elsewhere, valid, saved, refused_save, ran, refused_run) = _http_session(url, token, [
            ("search_flows", {}),
            ("get_flow", {"namespace": "team", "flow_id": "hello"}),
            ("get_flow", {"namespace": "company.team", "flow_id": "hello_world"}),
            ("validate_flow", {"source": FLOW}),
            ("save_flow", {"source": FLOW.replace("id: hello", "id: saved")}),
            ("save_flow", {"source": TOOL_FLOW.replace("Greets someone.", "Changed.")}),
            ("run_flow", {"namespace": "team", "flow_id": "hello", "inputs": {"who": "Gil"}, "wait": True}),
            ("run_flow", {"namespace": "company.team", "flow_id": "hello_world", "inputs": {"user": "x"}}),
        ])
        paused = _http_session(url, token, [("run_flow", {"namespace": "team", "flow_id": "waits"})])[1][0]
        _, (execution, hidden, listed, listed_elsewhere, logs, hidden_logs, killed_elsewhere, killed, tool,
            other_tool) = _http_session(url, token, [
                ("get_execution", {"execution_id": ran["id"]}),
                ("get_execution", {"execution_id": outside}),
                ("list_executions", {}),
                ("list_executions", {"namespace": "company.team"}),
                ("get_execution_logs", {"execution_id": ran["id"]}),
                ("get_execution_logs", {"execution_id": outside}),
                ("kill_execution", {"execution_id": outside}),
                ("kill_execution", {"execution_id": paused["id"]}),
                ("greet_ops", {"user": "Gil"}),
                ("hello_world", {"user": "Gil"}),
            ])
        with pytest.raises(BaseException) as anonymous:  # the MCP client wraps the 401 in task groups
            _http_session(url, None, [("search_flows", {})])
        assert "401" in _messages(anonymous.value), _messages(anonymous.value)
    finally:
        mcp.terminate()
        mcp.wait(timeout=30)

    assert {"search_flows", "get_flow", "validate_flow", "save_flow", "run_flow", "get_execution",
            "list_executions", "get_execution_logs", "kill_execution", "greet_ops"} <= set(names)
    assert "hello_world" not in names  # a flow tool only where the group's binding lets gil run it
    assert sorted(f["id"] for f in found["flows"]) == ["greet_ops", "hello", "waits"]
    assert found["total"] == 3 and all(f["namespace"].startswith("team") for f in found["flows"])
    assert "namespace: team" in got and "HTTP 403" in elsewhere["error"]
    assert valid["valid"] is True
    assert saved["id"] == "saved" and saved["namespace"] == "team"
    assert "HTTP 403" in refused_save["error"]
    assert ran["state"] == "SUCCESS" and ran["outputs"] == {"text": "Hello Gil"}
    assert "HTTP 403" in refused_run["error"]
    assert execution["id"] == ran["id"] and "HTTP 403" in hidden["error"]
    assert {e["namespace"] for e in listed["executions"]} == {"team"} and listed["total"] == 2
    assert "HTTP 403" in listed_elsewhere["error"], listed_elsewhere
    assert "Hello Gil" in logs and "HTTP 403" in hidden_logs["error"]
    assert "HTTP 403" in killed_elsewhere["error"]
    assert killed["id"] == paused["id"] and "error" not in killed
    assert tool["outputs"] == {"greeting": "Hello, Gil x1!"}
    assert "unknown tool" in other_tool["error"]
    with httpx.Client(base_url=f"{server}/api/v1/main", auth=OWNER, timeout=30) as owner:
        assert "Greets someone." in owner.get("/flows/company.team/hello_world", params={"source": True}).json()["source"]
        assert owner.get(f"/executions/{outside}").json()["state"]["current"] == "PAUSED"
        wait_for(lambda: owner.get(f"/executions/{paused['id']}").json()["state"]["current"] == "KILLED", 60,
                 "gil's own execution to be killed")


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _messages(error: BaseException) -> str:
    """The messages of an exception and of those it groups."""
    inner = getattr(error, "exceptions", ())
    return " ".join([str(error), *(_messages(e) for e in inner)])
