"""What the `io.kestra.plugin.ai` tasks share: the `configuration` block, chat messages, the token-usage metrics
and Kestra's output shape (`textOutput`/`jsonOutput`, `tokenUsage`, `finishReason`, `toolExecutions`...)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from legato.model.task import Frozen
from legato.plugins.ai import wire
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_optional


class ResponseFormat(Frozen):
    """Kestra's `configuration.responseFormat`."""

    type: Literal["TEXT", "JSON"] = Field(default="TEXT", description="TEXT (free text, `textOutput`) or JSON (a JSON document, `jsonOutput`).")
    jsonSchema: dict[str, Any] | None = Field(default=None, description="JSON Schema the answer must match (type JSON).")
    jsonSchemaDescription: str | None = Field(default=None, description="What the schema describes, for the model.")
    strictJson: bool = Field(default=False, description="Ask the API to enforce the schema strictly (OpenAI-compatible APIs).")


class ChatConfiguration(Frozen):
    """Kestra's `configuration` of the AI tasks: sampling, limits and the response format."""

    temperature: float | Expression | None = Field(default=None, description="Sampling temperature (0 to 2).")
    topK: int | Expression | None = Field(default=None, description="Top-K sampling (Anthropic).")
    topP: float | Expression | None = Field(default=None, description="Nucleus sampling (0 to 1).")
    seed: int | Expression | None = Field(default=None, description="Seed for reproducible sampling, where the API supports it.")
    maxToken: int | Expression | None = Field(default=None, description="Most tokens the model may generate.")
    logRequests: bool = Field(default=False, description="Log each request sent to the model (debug level).")
    logResponses: bool = Field(default=False, description="Log each answer of the model (debug level).")
    responseFormat: ResponseFormat | None = Field(default=None, description="TEXT (default) or JSON with a JSON Schema.")
    returnThinking: bool = Field(default=False, description="Return the model's reasoning in the `thinking` output, where the API gives it.")
    thinkingEnabled: bool | None = Field(default=None, description="Kestra compatibility: accepted; reasoning is the model's default.")
    thinkingBudgetTokens: int | None = Field(default=None, description="Kestra compatibility: accepted; reasoning is the model's default.")
    promptCaching: bool | None = Field(default=None, description="Kestra compatibility: accepted; the APIs cache long prompts on their own.")

    def is_json(self) -> bool:
        return self.responseFormat is not None and self.responseFormat.type == "JSON"

    def options(self, ctx: RunContext, max_tokens: int | None = None) -> wire.Options:
        fmt = self.responseFormat
        json_format = None
        if fmt is not None and fmt.type == "JSON":
            schema = ctx.render(fmt.jsonSchema) if fmt.jsonSchema is not None else {"type": "object"}
            json_format = wire.JsonFormat(schema, description=fmt.jsonSchemaDescription, strict=fmt.strictJson)
        return wire.Options(
            temperature=render_optional(ctx, self.temperature, float, "configuration.temperature"),
            top_p=render_optional(ctx, self.topP, float, "configuration.topP"),
            top_k=render_optional(ctx, self.topK, int, "configuration.topK"),
            seed=render_optional(ctx, self.seed, int, "configuration.seed"),
            max_tokens=render_optional(ctx, self.maxToken, int, "configuration.maxToken") or max_tokens,
            json_format=json_format,
        )


class ChatMessage(Frozen):
    """One message of Kestra's `messages` list."""

    type: Literal["SYSTEM", "USER", "AI"] = Field(description="Who speaks: SYSTEM (instructions), USER or AI (an earlier answer).")
    content: str = Field(description="The message text (rendered).")


_ROLES: dict[str, wire.Role] = {"SYSTEM": "system", "USER": "user", "AI": "assistant"}


def to_wire(ctx: RunContext, messages: list[ChatMessage], rendered: bool = False) -> list[wire.Message]:
    """The messages with their content rendered (unless they come `rendered` from an expression already)."""
    return [wire.Message(_ROLES[m.type], m.content if rendered else ctx.render_string(m.content)) for m in messages]


def parse_json_answer(text: str) -> dict[str, Any]:
    """The JSON object a model answered in JSON mode (a code fence around it is tolerated)."""
    body = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, re.DOTALL)
    if fenced:
        body = fenced.group(1)
    try:
        value = json.loads(body)
    except ValueError:
        raise TaskFailed(f"the response format is JSON but the model answered text that is not JSON: {text[:300]}") from None
    if not isinstance(value, dict):
        raise TaskFailed(f"the response format is JSON but the model answered a JSON {type(value).__name__}, not an object")
    return value


def metric(ctx: RunContext, name: str, value: float, **tags: str) -> None:
    """Record a counter on the task run, as Kestra's runContext.metric(Counter.of(...)) does."""
    entry: dict[str, Any] = {"name": name, "type": "counter", "value": value}
    if tags:
        entry["tags"] = tags
    ctx.effects.extra.setdefault("metrics", []).append(entry)


def usage_metrics(ctx: RunContext, usage: wire.Usage) -> None:
    """Kestra's token counters: input.token.count, output.token.count, total.token.count."""
    metric(ctx, "input.token.count", usage.input)
    metric(ctx, "output.token.count", usage.output)
    metric(ctx, "total.token.count", usage.total)


@dataclass
class Conversation:
    """What a run of the tool loop produced, for Kestra's outputs."""

    usage: wire.Usage = field(default_factory=wire.Usage)
    replies: list[wire.Reply] = field(default_factory=list)
    tool_executions: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> wire.Reply:
        return self.replies[-1]

    def outputs(self, config: ChatConfiguration) -> dict[str, Any]:
        final = self.final
        out: dict[str, Any] = {
            "tokenUsage": self.usage.as_output(),
            "finishReason": final.finish_reason,
            "toolExecutions": self.tool_executions,
            "intermediateResponses": [_intermediate(r) for r in self.replies[:-1]],
            "requestDuration": int(sum(r.seconds for r in self.replies) * 1000),
            "guardrailViolated": False,
        }
        if config.is_json():
            out["jsonOutput"] = parse_json_answer(final.text)
        else:
            out["textOutput"] = final.text
        if config.returnThinking and final.thinking:
            out["thinking"] = final.thinking
        if self.sources:
            out["sources"] = self.sources
        return out


def _intermediate(reply: wire.Reply) -> dict[str, Any]:
    return {
        "id": reply.id, "completion": reply.text, "tokenUsage": reply.usage.as_output(),
        "finishReason": reply.finish_reason, "requestDuration": int(reply.seconds * 1000),
        "toolExecutionRequests": [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in reply.tool_calls],
    }
