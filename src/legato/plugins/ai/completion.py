"""Kestra's `io.kestra.plugin.ai.completion.ChatCompletion` and `io.kestra.plugin.ai.agent.AIAgent`: a chat turn
(from a message list) or an agent run (system message and prompt) against any provider, with tools, memory and
structured output; token usage is recorded as the task's metrics."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from legato import globs
from legato.model.task import TASKS
from legato.plugins.ai import wire
from legato.plugins.ai.chat import ChatConfiguration, ChatMessage, to_wire
from legato.plugins.ai.loop import converse
from legato.plugins.ai.memory import Memory
from legato.plugins.ai.providers import Provider
from legato.plugins.ai.retrievers import Retriever, augmented, retrieve_all
from legato.plugins.ai.toolset import Tool
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional, task_timeout

_OPENAI_PROVIDER = """\
provider:
  type: io.kestra.plugin.ai.provider.OpenAI
  apiKey: "{{ secret('OPENAI_API_KEY') }}"
  modelName: gpt-4o-mini
"""


def _timeout(ctx: RunContext, task: RunnableTask) -> float:
    found = task_timeout(ctx, task)
    return found.total_seconds() if found else 120.0


@TASKS.register
class ChatCompletion(RunnableTask):
    """Send a conversation (at most one SYSTEM message, the last one USER) to a model and return its answer; the
    model may call the given tools first."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.completion.ChatCompletion"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.ChatCompletion",
                                          "io.kestra.plugin.langchain4j.completion.ChatCompletion")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: chat\ntype: io.kestra.plugin.ai.completion.ChatCompletion\n" + _OPENAI_PROVIDER
        + "messages:\n  - type: SYSTEM\n    content: You answer in one sentence.\n  - type: USER\n    content: \"{{ inputs.prompt }}\"\n",
    )

    provider: Provider = Field(description="The model provider: type (OpenAI, Anthropic, GoogleGemini, MistralAI, Ollama, DeepSeek, OpenRouter), modelName, apiKey, baseUrl.")
    messages: list[ChatMessage] | Expression = Field(min_length=1, description="The conversation: SYSTEM (at most one), USER and AI messages, the last one USER (or an expression giving that list).")
    configuration: ChatConfiguration = Field(default_factory=ChatConfiguration, description="Sampling, limits and response format (TEXT or JSON with a schema).")
    tools: list[Tool] | None = Field(default=None, description="Tools the model may call (KestraTask, KestraFlow).")
    guardrails: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    observability: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if isinstance(self.messages, str):  # an expression: the list it gives is used as it is
            given = render_as(ctx, self.messages, list[ChatMessage], "messages")
            messages = to_wire(ctx, given, rendered=True)
        else:
            given, messages = self.messages, to_wire(ctx, self.messages)
        if not given:
            raise TaskFailed("property 'messages' is empty")
        if sum(m.type == "SYSTEM" for m in given) > 1:
            raise TaskFailed("property 'messages' may hold only one SYSTEM message")
        if given[-1].type != "USER":
            raise TaskFailed("property 'messages': the last message must be a USER message")
        messages.sort(key=lambda m: m.role != "system")  # the system message leads, whatever its place
        done, _ = await converse(ctx, self.provider, messages, config=self.configuration, tools=self.tools,
                                 timeout=_timeout(ctx, self))
        out = done.outputs(self.configuration)
        out["aiResponse"] = out.get("textOutput")
        return out


@TASKS.register
class AIAgent(RunnableTask):
    """An agent: a system message, a prompt, tools it calls as it sees fit (Legato tasks and flows), an optional
    memory across task runs and structured output; the tool calls made are in `toolExecutions`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.agent.AIAgent"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: agent\ntype: io.kestra.plugin.ai.agent.AIAgent\n" + _OPENAI_PROVIDER
        + "systemMessage: You run the tasks you are given to answer.\n"
        "prompt: \"Log the following message: 'Hello World!'\"\n"
        "tools:\n  - type: io.kestra.plugin.ai.tool.KestraTask\n    tasks:\n      - id: log\n"
        "        type: io.kestra.plugin.core.log.Log\n        message: \"...\"\n",
    )

    provider: Provider = Field(description="The model provider: type, modelName, apiKey, baseUrl.")
    prompt: str = Field(description="What the agent is asked (rendered).")
    systemMessage: str | None = Field(default=None, description="The agent's instructions (rendered).")
    configuration: ChatConfiguration = Field(default_factory=ChatConfiguration, description="Sampling, limits and response format (TEXT or JSON with a schema).")
    tools: list[Tool] | None = Field(default=None, description="Tools the agent may call: KestraTask (runnable tasks) and KestraFlow (start flows).")
    maxSequentialToolsInvocations: int | Expression | None = Field(default=None, description="Most tool calls in one run (100 when unset).")
    memory: Memory | None = Field(default=None, description="Keep the conversation between task runs (KestraKVStore).")
    outputFiles: list[str] | None = Field(default=None, description="Files of the working directory (written by tools) to keep as `outputFiles`.")
    contentRetrievers: list[Retriever] | None = Field(default=None, description="Where the agent finds passages to ground its answer in, before it answers: TavilyWebSearch, GoogleCustomWebSearch, EmbeddingStoreRetriever.")
    guardrails: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    observability: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        remembered = self.memory.load(ctx) if self.memory is not None else []
        messages = [m for m in remembered if m.role != "system"]
        system = ctx.render_string(self.systemMessage) if self.systemMessage is not None else None
        if system:
            messages.insert(0, wire.Message("system", system))
        prompt = ctx.render_string(self.prompt)
        passages = await retrieve_all(ctx, self.contentRetrievers or [], prompt)
        messages.append(wire.Message("user", augmented(prompt, [text for text, _ in passages])))
        bound = render_optional(ctx, self.maxSequentialToolsInvocations, int, "maxSequentialToolsInvocations")
        done, history = await converse(ctx, self.provider, messages, config=self.configuration, tools=self.tools,
                                       max_tool_calls=bound, timeout=_timeout(ctx, self))
        if self.memory is not None:
            self.memory.save(ctx, history)
        done.sources = [{"content": text, "metadata": meta} for text, meta in passages]
        out = done.outputs(self.configuration)
        if self.outputFiles:
            out["outputFiles"] = await _output_files(ctx, self.outputFiles)
        return out


async def _output_files(ctx: RunContext, patterns: list[str]) -> dict[str, str]:
    from legato.plugins.core.storage_files import output_uri

    base = ctx.working_dir
    if base is None:
        raise TaskFailed("property 'outputFiles' needs a working directory: put the agent in a WorkingDirectory task")
    try:
        matched = globs.files(base, [ctx.render_string(p) for p in patterns])
    except globs.PatternError as exc:
        raise TaskFailed(f"outputFiles: {exc}") from None
    return {name: ctx.storage.put_file(output_uri(ctx, name), path) for name, path in matched.items()}
