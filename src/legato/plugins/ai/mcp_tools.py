"""Kestra's MCP client tools (`io.kestra.plugin.ai.tool.StdioMcpClient`, `StreamableHttpMcpClient`, `SseMcpClient`):
every tool an MCP server lists becomes a function the model may call, for the whole conversation of the task
(one session, closed when the task's conversation ends). They need the MCP SDK: `pip install 'legato[ai]'`.

A stdio server is a command run on the worker: it runs in the bubblewrap sandbox of script tasks (system read-only,
Legato's data hidden, a private /tmp and working folder; network allowed, as MCP servers fetch things), or
unsandboxed only where the operator chose unsafe local runners. An HTTP server is reached through `httpclient`'s
guarded transport: every request goes to an address the SSRF guard checked, not to a second lookup of the name."""

from __future__ import annotations

import os
import tempfile
import urllib.parse
from abc import abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, model_validator

from legato.model.durations import Duration
from legato.plugins.ai import wire
from legato.plugins.ai.tools import Run, ToolProvider
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient, netguard
from legato.runners.base import CommandSpec
from legato.runners.environment import script_environment
from legato.runners.sandbox import INSTALL_HINT, SandboxRunner, bwrap_path
from legato.runners.select import sandbox_policy

_KESTRA = "io.kestra.plugin.ai.tool"


class McpClient(ToolProvider):
    """What the MCP client tools share: a session, its tools listed, each call forwarded."""

    @model_validator(mode="after")
    def _sdk_installed(self) -> McpClient:
        if find_spec("mcp") is None:
            raise ValueError(f"the {type(self).__name__} tool needs the Python package mcp, not installed: run pip install 'legato[ai]'")
        return self

    @abstractmethod
    async def open(self, ctx: RunContext, stack: AsyncExitStack) -> Any:
        """The transport's (read, write) streams, entered on `stack`."""

    async def functions(self, ctx: RunContext, stack: AsyncExitStack) -> list[tuple[wire.ToolSpec, Run]]:
        from mcp import ClientSession

        streams = await self.open(ctx, stack)
        session = await stack.enter_async_context(ClientSession(streams[0], streams[1], logging_callback=self._logger(ctx)))
        try:
            await session.initialize()
            listed = await session.list_tools()
        except Exception as exc:  # the SDK raises its own errors and anyio's; the task fails with what it said
            raise TaskFailed(f"the MCP server of {type(self).__name__} failed: {exc}") from None
        return [(wire.ToolSpec(t.name, t.description or t.name, dict(t.inputSchema or {"type": "object"})),
                 _caller(session, t.name)) for t in listed.tools]

    def _logger(self, ctx: RunContext) -> Any:
        async def log(params: Any) -> None:
            ctx.logger.info(f"MCP server: {params.data}")

        return log if getattr(self, "logEvents", False) else None


def _caller(session: Any, name: str) -> Run:
    async def call(arguments: dict[str, Any]) -> str:
        result = await session.call_tool(name, arguments)
        texts = [str(getattr(c, "text", "")) for c in result.content if getattr(c, "type", "") == "text"]
        if not texts and result.structuredContent is not None:
            import json

            texts = [json.dumps(result.structuredContent)]
        text = "\n".join(texts)
        return f"Error: {text}" if result.isError else text

    return call


class StdioMcpClient(McpClient):
    """Start an MCP server as a command (in the worker's sandbox) and talk to it over its standard input and output."""

    TYPE: ClassVar[str] = f"{_KESTRA}.StdioMcpClient"

    command: list[str] = Field(min_length=1, description="The server's command and its arguments, e.g. [npx, -y, '@modelcontextprotocol/server-everything'].")
    env: dict[str, str] | None = Field(default=None, description="Environment variables of the server (rendered; secrets welcome).")
    logEvents: bool = Field(default=False, description="Log the server's log messages in the task's logs.")

    async def open(self, ctx: RunContext, stack: AsyncExitStack) -> Any:
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="legato-mcp-"))
        env = script_environment(workdir, {k: ctx.render_string(v) for k, v in (self.env or {}).items()})
        argv = [ctx.render_string(part) for part in self.command]
        settings = ctx.runner_settings
        if bwrap_path() is not None:
            hidden = sandbox_policy(settings).hidden
            argv = SandboxRunner(hidden=hidden, network=True).command(CommandSpec(argv=argv, workdir=Path(workdir), env=env))
        elif not settings.unsafe:
            raise TaskFailed(f"the StdioMcpClient tool runs its server in the sandbox, and bubblewrap is not installed on this worker: {INSTALL_HINT}")
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=workdir)
        errors = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - the stack closes it; the server's stderr is not the worker's
        return await stack.enter_async_context(stdio_client(params, errlog=errors))


class _HttpMcpClient(McpClient):
    timeout: Duration | None = Field(default=None, description="How long to wait to connect and for each answer (default 30 s).")
    headers: dict[str, str] | None = Field(default=None, description="HTTP headers sent with each request (rendered: an Authorization header from a secret, say).")
    logRequests: bool = Field(default=False, description="Kestra compatibility: accepted; requests are not logged.")
    logResponses: bool = Field(default=False, description="Kestra compatibility: accepted; answers are not logged.")

    def checked(self, ctx: RunContext, url: str) -> str:
        """The URL, once its host resolved to addresses the SSRF guard allows (a clear error before the MCP
        SDK starts; the transport checks again what it connects to)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TaskFailed(f"the MCP server's URL must be an http:// or https:// URL, not {url[:80]!r}")
        netguard.resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        return url

    def seconds(self) -> float:
        return (self.timeout or timedelta(seconds=30)).total_seconds()

    def rendered_headers(self, ctx: RunContext) -> dict[str, str]:
        return {k: ctx.render_string(v) for k, v in (self.headers or {}).items()}


class StreamableHttpMcpClient(_HttpMcpClient):
    """Talk to an MCP server over streamable HTTP."""

    TYPE: ClassVar[str] = f"{_KESTRA}.StreamableHttpMcpClient"

    url: str = Field(description="The server's MCP endpoint, e.g. https://mcp.example.com/mcp.")

    async def open(self, ctx: RunContext, stack: AsyncExitStack) -> Any:
        import httpx
        from mcp.client.streamable_http import streamable_http_client

        url = self.checked(ctx, ctx.render_string(self.url))
        client = await stack.enter_async_context(httpclient.client(
            headers=self.rendered_headers(ctx), timeout=httpx.Timeout(self.seconds(), read=300.0)))
        return await stack.enter_async_context(_task_failures(streamable_http_client(url, http_client=client)))


class SseMcpClient(_HttpMcpClient):
    """Talk to an MCP server over its older HTTP+SSE transport."""

    TYPE: ClassVar[str] = f"{_KESTRA}.SseMcpClient"

    sseUrl: str = Field(description="The server's SSE endpoint, e.g. https://mcp.example.com/sse.")

    async def open(self, ctx: RunContext, stack: AsyncExitStack) -> Any:
        from mcp.client.sse import sse_client

        url = self.checked(ctx, ctx.render_string(self.sseUrl))
        return await stack.enter_async_context(_task_failures(sse_client(
            url, headers=self.rendered_headers(ctx), timeout=self.seconds(), httpx_client_factory=_guarded_client)))


@asynccontextmanager
async def _task_failures(transport: AbstractAsyncContextManager[Any]) -> AsyncIterator[Any]:
    """The SDK's HTTP transport, whose requests run in its own task group: when the guard refuses one (a name
    that resolves elsewhere than when it was checked), the task fails with the guard's message rather than
    with the task group's."""
    try:
        async with transport as streams:
            yield streams
    except BaseExceptionGroup as group:
        refused = _first_failure(group)
        if refused is None:
            raise
        raise refused from None


def _first_failure(error: BaseException) -> TaskFailed | None:
    if isinstance(error, TaskFailed):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := _first_failure(inner)) is not None:
                return found
    return None


def _guarded_client(headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None) -> Any:
    """The MCP SDK's client factory, on the guarded transport (redirects followed, as the SDK's own client does;
    each hop is checked)."""
    import httpx

    return httpclient.client(timeout=timeout or httpx.Timeout(30.0), headers=headers, auth=auth, follow_redirects=True)
