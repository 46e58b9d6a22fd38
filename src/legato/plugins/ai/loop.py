"""The tool loop shared by the chat completion, the agent and the RAG chat: send the conversation, run every tool
the model asks for, send the results back, until the model answers without a tool call (or the loop's bound)."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack

from legato.plugins.ai import wire
from legato.plugins.ai.chat import ChatConfiguration, Conversation, metric, usage_metrics
from legato.plugins.ai.providers import ModelProvider
from legato.plugins.ai.tools import Run, ToolProvider
from legato.plugins.context import RunContext, TaskFailed

DEFAULT_MAX_TOOL_CALLS = 100  # a model that never stops calling tools must not run forever


async def tool_table(ctx: RunContext, tools: list[ToolProvider], stack: AsyncExitStack) -> dict[str, tuple[wire.ToolSpec, Run, str]]:
    """Every function the tool blocks offer, by name (a name offered twice is an error)."""
    table: dict[str, tuple[wire.ToolSpec, Run, str]] = {}
    for block in tools:
        for spec, run in await block.functions(ctx, stack):
            if spec.name in table:
                raise TaskFailed(f"two tools are named '{spec.name}': give the tasks or flows distinct ids")
            table[spec.name] = (spec, run, block.TYPE)
    return table


async def converse(
    ctx: RunContext,
    provider: ModelProvider,
    messages: list[wire.Message],
    *,
    config: ChatConfiguration,
    tools: list[ToolProvider] | None = None,
    max_tool_calls: int | None = None,
    timeout: float = 120.0,
) -> tuple[Conversation, list[wire.Message]]:
    """Run the loop; returns what it produced and the whole conversation (for the memory)."""
    async with AsyncExitStack() as stack:  # MCP sessions stay open for the whole conversation
        return await _converse(ctx, provider, messages, config, await tool_table(ctx, tools or [], stack),
                               max_tool_calls, timeout)


async def _converse(ctx: RunContext, provider: ModelProvider, messages: list[wire.Message], config: ChatConfiguration,
                    table: dict[str, tuple[wire.ToolSpec, Run, str]], max_tool_calls: int | None,
                    timeout: float) -> tuple[Conversation, list[wire.Message]]:
    endpoint = provider.endpoint(ctx, timeout)
    specs = [spec for spec, _, _ in table.values()]
    options = config.options(ctx, getattr(provider, "maxTokens", None))
    metric(ctx, "ai.provider.calls", 1, provider=provider.TYPE)
    done = Conversation()
    calls = 0
    bound = DEFAULT_MAX_TOOL_CALLS if max_tool_calls is None else max_tool_calls
    history = list(messages)
    while True:
        if config.logRequests:
            ctx.logger.debug(f"request to {endpoint.model}: {json.dumps([m.as_dict() for m in history])[:4000]}")
        reply = await wire.chat(endpoint, history, specs, options)
        if config.logResponses:
            ctx.logger.debug(f"answer of {endpoint.model}: {reply.text[:4000]} {[c.name for c in reply.tool_calls]}")
        done.replies.append(reply)
        done.usage.add(reply.usage)
        history.append(wire.Message("assistant", reply.text, reply.tool_calls))
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            calls += 1
            if calls > bound:
                raise TaskFailed(f"the model asked for more than {bound} tool calls (maxSequentialToolsInvocations)")
            history.append(wire.Message("tool", await _run_tool(ctx, table, call, done), tool_call_id=call.id))
    usage_metrics(ctx, done.usage)
    return done, history


async def _run_tool(ctx: RunContext, table: dict[str, tuple[wire.ToolSpec, Run, str]], call: wire.ToolCall,
                    done: Conversation) -> str:
    found = table.get(call.name)
    if found is None:
        result = f"Error: there is no tool named '{call.name}'; the tools are {', '.join(table) or 'none'}"
    else:
        _, run, kind = found
        ctx.logger.info(f"tool {call.name} called with {json.dumps(call.arguments)[:500]}")
        metric(ctx, "ai.agent.tool.calls", 1, tool=kind)
        result = await run(call.arguments)
    done.tool_executions.append({"requestId": call.id, "requestName": call.name, "requestArguments": call.arguments,
                                 "result": result})
    return result
