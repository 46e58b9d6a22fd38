"""Kestra's single-vendor chat plugins: `io.kestra.plugin.anthropic.ChatCompletion` (Claude's Messages API) and
`io.kestra.plugin.perplexity.ChatCompletion` (Perplexity's OpenAI-like API with web search). `baseUrl` (a Legato
addition) points them elsewhere; token usage is recorded under Kestra's metric names.

The messages of Perplexity's and Gemini's ChatCompletion take `type` (SYSTEM, USER...) as Kestra's do; a message may
say `role` (system, user, assistant) instead, the OpenAI spelling some of Kestra's blueprints use. Kestra saves such
a flow (its `messages` are read only when the task runs) and then fails the task on the unknown `role`; Legato
reads `role` as the matching `type` and logs a warning that the flow will not run on Kestra as written."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from legato.model.task import TASKS, Frozen
from legato.plugins.ai import http, wire
from legato.plugins.ai.chat import metric
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional


def _messages(ctx: RunContext, value: Any, cls: type[Frozen], prop: str = "messages") -> list[Any]:
    """The messages: a list whose contents are rendered, or an expression giving the list (used as it is)."""
    if isinstance(value, str):
        return list(render_as(ctx, value, list[cls], prop))  # type: ignore[valid-type]
    return [m.model_copy(update={"content": ctx.render_string(m.content)}) for m in value]


class _RoleOrType(Frozen):
    """A message that names its speaker by Kestra's `type` or by an OpenAI-style `role`, not both."""

    ROLES: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _one_speaker(self) -> _RoleOrType:
        if (getattr(self, "type", None) is None) == (getattr(self, "role", None) is None):
            raise ValueError("a message names its speaker with 'type' (Kestra's spelling) or 'role', exactly one of them")
        return self

    def speaker(self) -> str:
        """Kestra's type of the message."""
        typed: str | None = getattr(self, "type", None)
        return typed if typed is not None else self.ROLES[str(getattr(self, "role", ""))]


def _warn_roles(ctx: RunContext, task: str, messages: list[Any]) -> None:
    used = [i for i, m in enumerate(messages) if getattr(m, "role", None) is not None]
    if used:
        ctx.logger.warn(f"messages {used} say 'role': read here as the matching 'type', but Kestra's {task} fails on "
                        "'role' when it runs; write 'type' (SYSTEM, USER...) for the flow to run on both")


class AnthropicMessage(Frozen):
    type: Literal["USER", "ASSISTANT"] = Field(description="Who speaks: USER or ASSISTANT.")
    content: str = Field(description="The text (rendered).")


class AnthropicTool(Frozen):
    name: str = Field(description="The tool's name.")
    description: str | None = Field(default=None, description="What the tool does.")
    inputSchema: dict[str, Any] | None = Field(default=None, description="JSON Schema of the tool's input.")


@TASKS.register
class AnthropicChatCompletion(RunnableTask):
    """Send messages to Claude with Anthropic's Messages API; tool uses the model asks for are in `toolUses`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.anthropic.ChatCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: claude\ntype: io.kestra.plugin.anthropic.ChatCompletion\napiKey: \"{{ secret('ANTHROPIC_API_KEY') }}\"\n"
        "model: claude-sonnet-4-0\nsystem: You answer in one sentence.\nmessages:\n  - type: USER\n    content: What is Legato?\n",
    )

    apiKey: str = Field(description="The Anthropic API key (keep it in a secret).")
    model: str = Field(description="The model, e.g. claude-sonnet-4-0.")
    messages: list[AnthropicMessage] | Expression = Field(description="The conversation (USER and ASSISTANT turns), or an expression giving it.")
    system: str | None = Field(default=None, description="System instructions for the whole conversation (rendered).")
    maxTokens: int | Expression = Field(default=1024, description="Most tokens of the answer.")
    temperature: float | Expression | None = Field(default=None, description="Sampling temperature (0 to 1).")
    topP: float | Expression | None = Field(default=None, description="Nucleus sampling.")
    topK: int | Expression | None = Field(default=None, description="Top-K sampling.")
    tools: list[AnthropicTool] | None = Field(default=None, description="Tools the model may ask to use (their uses are returned, not run).")
    promptCaching: bool = Field(default=False, description="Mark the prompt for Anthropic's prompt cache.")
    baseUrl: str = Field(default="https://api.anthropic.com/v1", description="Legato: the API's base URL.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        turns = [{"role": m.type.lower(), "content": m.content} for m in _messages(ctx, self.messages, AnthropicMessage)]
        body: dict[str, Any] = {"model": ctx.render_string(self.model), "messages": turns,
                                "max_tokens": render_as(ctx, self.maxTokens, int, "maxTokens")}
        for key, value in (("system", ctx.render_string(self.system) if self.system is not None else None),
                           ("temperature", render_optional(ctx, self.temperature, float, "temperature")),
                           ("top_p", render_optional(ctx, self.topP, float, "topP")),
                           ("top_k", render_optional(ctx, self.topK, int, "topK"))):
            if value is not None:
                body[key] = value
        if self.tools:
            body["tools"] = [{"name": t.name, "input_schema": t.inputSchema or {"type": "object"},
                              **({"description": t.description} if t.description else {})} for t in self.tools]
        if self.promptCaching:
            body["cache_control"] = {"type": "ephemeral"}
        headers = {"x-api-key": ctx.render_string(self.apiKey), "anthropic-version": wire.ANTHROPIC_VERSION}
        data, _ = await http.call_json(http.join(ctx.render_string(self.baseUrl), "messages"), headers=headers, body=body,
                                       timeout=float(_seconds(ctx, self)))
        usage = data.get("usage") or {}
        for name, key in (("usage.input.tokens", "input_tokens"), ("usage.output.tokens", "output_tokens"),
                          ("usage.cache.creation.tokens", "cache_creation_input_tokens"),
                          ("usage.cache.read.tokens", "cache_read_input_tokens")):
            if isinstance(usage.get(key), int):
                metric(ctx, name, usage[key])
        blocks = data.get("content") or []
        uses = [{"id": b.get("id"), "name": b.get("name"), "input": b.get("input")} for b in blocks if b.get("type") == "tool_use"]
        return {"rawResponse": json.dumps(data), "outputText": "".join(str(b.get("text") or "") for b in blocks if b.get("type") == "text"),
                "toolUses": uses or None, "stopReason": data.get("stop_reason"),
                "cacheCreationInputTokens": usage.get("cache_creation_input_tokens"),
                "cacheReadInputTokens": usage.get("cache_read_input_tokens")}


def _seconds(ctx: RunContext, task: RunnableTask) -> float:
    from legato.plugins.runnable import task_timeout

    found = task_timeout(ctx, task)
    return found.total_seconds() if found else 120.0


class PerplexityMessage(_RoleOrType):
    ROLES: ClassVar[dict[str, str]] = {"system": "SYSTEM", "user": "USER", "assistant": "ASSISTANT"}

    type: Literal["SYSTEM", "USER", "ASSISTANT"] | None = Field(default=None, description="Who speaks.")
    role: Literal["system", "user", "assistant"] | None = Field(default=None, description="Who speaks, in OpenAI's spelling (instead of `type`; Kestra's task rejects it when it runs).")
    content: str | None = Field(default=None, description="The text (rendered).")


@TASKS.register
class PerplexityChatCompletion(RunnableTask):
    """Ask Perplexity (answers grounded in a web search); optional JSON Schema for a structured answer."""

    TYPE: ClassVar[str] = "io.kestra.plugin.perplexity.ChatCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: ask\ntype: io.kestra.plugin.perplexity.ChatCompletion\napiKey: \"{{ secret('PERPLEXITY_API_KEY') }}\"\n"
        "model: sonar\nmessages:\n  - type: USER\n    content: What is Kestra?\ntemperature: 0.7\n",
    )

    apiKey: str = Field(description="The Perplexity API key (keep it in a secret).")
    model: str = Field(description="The model, e.g. sonar.")
    messages: list[PerplexityMessage] | Expression = Field(description="The conversation, or an expression giving it.")
    temperature: float | Expression = Field(default=0.2, description="Sampling temperature.")
    topP: float | Expression = Field(default=0.9, description="Nucleus sampling.")
    topK: int | Expression = Field(default=0, description="Top-K sampling (0: off).")
    stream: bool = Field(default=False, description="Kestra compatibility: the answer is always read whole.")
    presencePenalty: float | Expression = Field(default=0.0, description="Positive values favour new topics.")
    frequencyPenalty: float | Expression = Field(default=0.0, description="Positive values discourage repetition.")
    maxTokens: int | Expression | None = Field(default=None, description="Most tokens of the answer.")
    jsonResponseSchema: str | None = Field(default=None, description="A JSON Schema (as JSON text) the answer must match.")
    baseUrl: str = Field(default="https://api.perplexity.ai", description="Legato: the API's base URL.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        given = _messages(ctx, self.messages, PerplexityMessage)
        _warn_roles(ctx, "perplexity.ChatCompletion", given)
        turns = [{"role": m.speaker().lower(), "content": m.content or ""} for m in given]
        body: dict[str, Any] = {
            "model": ctx.render_string(self.model), "messages": turns, "stream": False,
            "temperature": render_as(ctx, self.temperature, float, "temperature"),
            "top_p": render_as(ctx, self.topP, float, "topP"), "top_k": render_as(ctx, self.topK, int, "topK"),
            "presence_penalty": render_as(ctx, self.presencePenalty, float, "presencePenalty"),
            "frequency_penalty": render_as(ctx, self.frequencyPenalty, float, "frequencyPenalty")}
        tokens = render_optional(ctx, self.maxTokens, int, "maxTokens")
        if tokens is not None:
            body["max_tokens"] = tokens
        if self.jsonResponseSchema is not None:
            try:
                schema = json.loads(ctx.render_string(self.jsonResponseSchema))
            except ValueError as exc:
                raise TaskFailed(f"property 'jsonResponseSchema' is not valid JSON: {exc}") from None
            body["response_format"] = {"type": "json_schema", "json_schema": {"schema": schema}}
        headers = {"Authorization": f"Bearer {ctx.render_string(self.apiKey)}"}
        data, _ = await http.call_json(http.join(ctx.render_string(self.baseUrl), "chat/completions"), headers=headers,
                                       body=body, timeout=_seconds(ctx, self))
        usage = data.get("usage") or {}
        for name, key in (("usage.prompt.tokens", "prompt_tokens"), ("usage.completion.tokens", "completion_tokens"),
                          ("usage.total.tokens", "total_tokens")):
            if isinstance(usage.get(key), int):
                metric(ctx, name, usage[key])
        choices = data.get("choices") or [{}]
        return {"outputText": (choices[0].get("message") or {}).get("content"), "rawResponse": json.dumps(data)}


class DeepSeekMessage(Frozen):
    type: Literal["SYSTEM", "USER", "ASSISTANT"] = Field(description="Who speaks.")
    content: str | None = Field(default=None, description="The text (rendered).")


@TASKS.register
class DeepSeekChatCompletion(RunnableTask):
    """Ask a DeepSeek model (its OpenAI-compatible API); with `jsonResponseSchema`, JSON mode and the schema as an
    instruction (DeepSeek does not check it)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.deepseek.ChatCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: ask\ntype: io.kestra.plugin.deepseek.ChatCompletion\napiKey: \"{{ secret('DEEPSEEK_API_KEY') }}\"\n"
        "modelName: deepseek-chat\nmessages:\n  - type: USER\n    content: What is Kestra?\n",
    )

    apiKey: str = Field(description="The DeepSeek API key (keep it in a secret).")
    modelName: str = Field(description="The model, e.g. deepseek-chat.")
    baseUrl: str = Field(default="https://api.deepseek.com/v1", description="The API's base URL.")
    messages: list[DeepSeekMessage] | Expression = Field(description="The conversation, or an expression giving it.")
    jsonResponseSchema: str | None = Field(default=None, description="A JSON Schema (as text): the answer is JSON following it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        schema = ctx.render_string(self.jsonResponseSchema) if self.jsonResponseSchema else None
        turns = [{"role": m.type.lower(), "content": m.content or ""} for m in _messages(ctx, self.messages, DeepSeekMessage)]
        if schema:
            turns.insert(0, {"role": "system", "content": "Answer with valid JSON only, no other text, following this "
                                                          f"JSON Schema; give an empty value of the right type for what is unknown.\nJSON Schema:\n{schema}"})
        body: dict[str, Any] = {"model": ctx.render_string(self.modelName), "messages": turns}
        if schema:
            body["response_format"] = {"type": "json_object"}
        data, _ = await http.call_json(http.join(ctx.render_string(self.baseUrl), "chat/completions"),
                                       headers={"Authorization": f"Bearer {ctx.render_string(self.apiKey)}"}, body=body,
                                       timeout=_seconds(ctx, self))
        usage = data.get("usage") or {}
        for name, key in (("usage.prompt.tokens", "prompt_tokens"), ("usage.completion.tokens", "completion_tokens"),
                          ("usage.total.tokens", "total_tokens")):
            if isinstance(usage.get(key), int):
                metric(ctx, name, usage[key])
        choices = data.get("choices") or [{}]
        return {"response": (choices[0].get("message") or {}).get("content"), "raw": json.dumps(data)}


# --- Google Gemini (the Gemini API's own generateContent) -----------------------------------------------------


class _Gemini(RunnableTask):
    apiKey: str = Field(description="The Gemini API key (keep it in a secret).")
    model: str = Field(description="The model, e.g. gemini-2.5-flash.")
    baseUrl: str = Field(default="https://generativelanguage.googleapis.com/v1beta", description="Legato: the Gemini API's base URL.")

    async def generate(self, ctx: RunContext, body: dict[str, Any]) -> dict[str, Any]:
        """One `models/{model}:generateContent` call; records Kestra's token counters."""
        url = http.join(ctx.render_string(self.baseUrl), f"models/{ctx.render_string(self.model)}:generateContent")
        data, _ = await http.call_json(url, headers={"x-goog-api-key": ctx.render_string(self.apiKey)}, body=body,
                                       timeout=_seconds(ctx, self))
        return data


def _gemini_metrics(ctx: RunContext, answers: list[dict[str, Any]]) -> None:
    for name, key in (("candidate.token.count", "candidatesTokenCount"), ("prompt.token.count", "promptTokenCount"),
                      ("total.token.count", "totalTokenCount")):
        metric(ctx, name, sum(int((a.get("usageMetadata") or {}).get(key) or 0) for a in answers))


def _text(candidate: dict[str, Any]) -> str:
    return "".join(str(p.get("text") or "") for p in (candidate.get("content") or {}).get("parts") or [])


def _predictions(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Kestra's `predictions`: each candidate's text, safety ratings and citations."""
    return [{"content": _text(c), "safetyRatings": c.get("safetyRatings"), "citationMetadata": c.get("citationMetadata")}
            for a in answers for c in a.get("candidates") or []]


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "parts": [{"text": text}]}


@TASKS.register
class GeminiTextCompletion(_Gemini):
    """Complete a prompt with a Gemini model."""

    TYPE: ClassVar[str] = "io.kestra.plugin.gemini.TextCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: complete\ntype: io.kestra.plugin.gemini.TextCompletion\napiKey: \"{{ secret('GEMINI_API_KEY') }}\"\n"
        "model: gemini-2.5-flash\nprompt: Summarise what an orchestrator does\n",
    )

    prompt: str = Field(description="The prompt (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        answer = await self.generate(ctx, {"contents": [_user(ctx.render_string(self.prompt))]})
        _gemini_metrics(ctx, [answer])
        return {"predictions": _predictions([answer])}


@TASKS.register
class GeminiStructuredOutputCompletion(_Gemini):
    """Complete a prompt with a Gemini model whose answer is JSON following `jsonResponseSchema`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.gemini.StructuredOutputCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: extract\ntype: io.kestra.plugin.gemini.StructuredOutputCompletion\napiKey: \"{{ secret('GEMINI_API_KEY') }}\"\n"
        "model: gemini-2.5-flash\nprompt: Name a composer\njsonResponseSchema: '{\"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}}'\n",
    )

    prompt: str = Field(description="The prompt (rendered).")
    jsonResponseSchema: str = Field(description="A JSON Schema (as text) the answer follows.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        try:
            schema = json.loads(ctx.render_string(self.jsonResponseSchema))
        except ValueError as exc:
            raise TaskFailed(f"property 'jsonResponseSchema' is not valid JSON: {exc}") from None
        answer = await self.generate(ctx, {"contents": [_user(ctx.render_string(self.prompt))], "generationConfig": {
            "responseMimeType": "application/json", "responseJsonSchema": schema}})
        _gemini_metrics(ctx, [answer])
        return {"predictions": [_text(c) for c in answer.get("candidates") or []]}


class GeminiMessage(_RoleOrType):
    ROLES: ClassVar[dict[str, str]] = {"system": "SYSTEM", "user": "USER", "assistant": "AI", "model": "AI"}

    type: Literal["SYSTEM", "AI", "USER"] | None = Field(default=None, description="Who speaks (each message is sent in turn whatever its type, as Kestra does).")
    role: Literal["system", "user", "assistant", "model"] | None = Field(default=None, description="Who speaks, in OpenAI's or Gemini's spelling (instead of `type`; Kestra's task rejects it when it runs).")
    content: str = Field(description="The text (rendered).")


@TASKS.register
class GeminiChatCompletion(_Gemini):
    """Chat with a Gemini model: as Kestra's task does, each message is sent in turn in one chat, and every answer
    is a prediction."""

    TYPE: ClassVar[str] = "io.kestra.plugin.gemini.ChatCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: chat\ntype: io.kestra.plugin.gemini.ChatCompletion\napiKey: \"{{ secret('GEMINI_API_KEY') }}\"\n"
        "model: gemini-2.5-flash\nmessages:\n  - type: USER\n    content: Hello\n",
    )

    messages: list[GeminiMessage] | Expression = Field(description="The messages, sent in turn (or an expression giving them).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        history: list[dict[str, Any]] = []
        answers = []
        given = _messages(ctx, self.messages, GeminiMessage)
        _warn_roles(ctx, "gemini.ChatCompletion", given)
        for message in given:
            history.append(_user(message.content))
            answer = await self.generate(ctx, {"contents": history})
            answers.append(answer)
            candidates = answer.get("candidates") or []
            history.append({"role": "model", "parts": [{"text": _text(candidates[0]) if candidates else ""}]})
        _gemini_metrics(ctx, answers)
        return {"predictions": _predictions(answers)}
