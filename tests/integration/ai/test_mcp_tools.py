"""The MCP client tools with a real MCP server (the SDK's FastMCP): over stdio, started in the worker's sandbox, and
over streamable HTTP; the model (the API test double) calls a server's tool and gets its result back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.dns_double import fake_dns, witness
from tests.integration.ai.conftest import Harness
from tests.integration.ai.model_server import KEY, ModelServer, openai_text, openai_tool_call

from legato.plugins.context import TaskFailed

SERVER = Path(__file__).with_name("mcp_server.py")


def agent(model: ModelServer, tool: str) -> str:
    return (f"id: agent\ntype: io.kestra.plugin.ai.agent.AIAgent\nprompt: What is 2 + 40?\n"
            f"provider: {{type: io.kestra.plugin.ai.provider.OpenAI, apiKey: {KEY}, modelName: m, baseUrl: '{model.url}'}}\n"
            f"tools:\n{tool}")


def test_stdio_server_runs_in_the_sandbox_and_answers_the_model(harness: Harness, model: ModelServer, tmp_path: Path) -> None:
    probe = tmp_path / "host-file"  # under the host's /tmp, which the sandbox's private /tmp hides
    probe.write_text("x")
    model.script("/v1/chat/completions", openai_tool_call("add", {"a": 2, "b": 40}, call_id="c1"),
                 openai_tool_call("where", {}, call_id="c2"), openai_text("42"))
    out = harness.run(agent(model, f"""\
  - type: io.kestra.plugin.ai.tool.StdioMcpClient
    command: ["{sys.executable}", "{SERVER}"]
    env: {{TOKEN: "{{{{ secrets.T }}}}", PROBE: "{probe}"}}
"""), harness.context(secrets={"T": "s3cr3t"}))
    assert out["textOutput"] == "42"
    first = model.of("/v1/chat/completions")[0].body
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert tools["add"]["description"] == "Add two integers."
    assert tools["add"]["parameters"]["required"] == ["a", "b"]
    add, where = out["toolExecutions"]
    assert add["result"] == "42"
    assert "cwd=/tmp/legato-mcp-" in where["result"] and "secret=s3cr3t" in where["result"]
    assert "sees_host_tmp=False" in where["result"]
    assert model.of("/v1/chat/completions")[1].body["messages"][-1] == {"role": "tool", "tool_call_id": "c1", "content": "42"}


@contextmanager
def mcp_server(mode: str) -> Iterator[int]:
    """The test MCP server over HTTP (`mode` http or sse) on a free port of 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(SERVER), mode, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the MCP server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def http_server() -> Iterator[str]:
    with mcp_server("http") as port:
        yield f"http://127.0.0.1:{port}/mcp"


def test_streamable_http_server_behind_the_ssrf_guard(harness: Harness, model: ModelServer, http_server: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    model.script("/v1/chat/completions", openai_tool_call("add", {"a": 20, "b": 22}), openai_text("42"))
    tool = f"  - type: io.kestra.plugin.ai.tool.StreamableHttpMcpClient\n    url: {http_server}\n    timeout: PT20S\n"
    out = harness.run(agent(model, tool))
    assert json.loads(json.dumps(out["toolExecutions"]))[0]["result"] == "42"

    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "10.0.0.0/8")
    with pytest.raises(TaskFailed, match=r"refusing to connect to 127\.0\.0\.1"):
        harness.run(agent(model, tool))


def test_streamable_http_connects_to_the_address_the_guard_checked(harness: Harness, model: ModelServer, http_server: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A name is checked by what it resolves to (the `model` fixture allows 127.0.0.1 only), and the requests go to
    that checked address: a name answering an internal address after the check (DNS rebinding) reaches nothing."""
    port = int(http_server.rsplit(":", 1)[1].split("/")[0])

    def tool(host: str) -> str:
        return f"  - type: io.kestra.plugin.ai.tool.StreamableHttpMcpClient\n    url: http://{host}:{port}/mcp\n    timeout: PT20S\n"

    looked_up = fake_dns(monkeypatch, {"localhost": ["127.0.0.1"], "inside.test": ["127.0.0.2"]})
    model.script("/v1/chat/completions", openai_tool_call("add", {"a": 20, "b": 22}), openai_text("42"))
    assert harness.run(agent(model, tool("localhost")))["toolExecutions"][0]["result"] == "42"
    assert looked_up.count("localhost") > 1  # the guard resolves the name of each request itself
    with pytest.raises(TaskFailed, match=r"refusing to connect to inside\.test \(127\.0\.0\.2\)"):
        harness.run(agent(model, tool("inside.test")))

    looked_up = fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "127.0.0.2"]})
    with witness("127.0.0.2", port) as inside, pytest.raises(TaskFailed, match=r"refusing to connect to localhost \(127\.0\.0\.2\)"):
        harness.run(agent(model, tool("localhost")))
    assert inside == []


def test_sse_connects_to_the_address_the_guard_checked(harness: Harness, model: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for the older HTTP+SSE transport: its stream and its message posts go through the guard."""
    def tool(host: str, port: int) -> str:
        return f"  - type: io.kestra.plugin.ai.tool.SseMcpClient\n    sseUrl: http://{host}:{port}/sse\n    timeout: PT20S\n"

    with mcp_server("sse") as port:
        fake_dns(monkeypatch, {"localhost": ["127.0.0.1"]})
        model.script("/v1/chat/completions", openai_tool_call("add", {"a": 20, "b": 22}), openai_text("42"))
        assert harness.run(agent(model, tool("localhost", port)))["toolExecutions"][0]["result"] == "42"

        fake_dns(monkeypatch, {"localhost": ["127.0.0.1", "127.0.0.2"]})
        with witness("127.0.0.2", port) as inside, pytest.raises(TaskFailed, match=r"refusing to connect to localhost \(127\.0\.0\.2\)"):
            harness.run(agent(model, tool("localhost", port)))
        assert inside == []
