"""Kestra's OpenAI plugin (`io.kestra.plugin.openai.*`): Chat Completions, Responses and image generation, called
over HTTP. `baseUrl` (a Legato addition) points them at any OpenAI-compatible server; token usage is recorded as
Kestra's `usage.*.tokens` metrics."""

from __future__ import annotations

import base64
import os
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins.ai import http
from legato.plugins.ai.chat import metric
from legato.plugins.ai.wire import JsonFormat, openai_response_format
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.runnable import Expression, RunnableTask, render_as, render_optional

_KESTRA = "io.kestra.plugin.openai"
DEFAULT_URL = "https://api.openai.com/v1"


class OpenAITask(RunnableTask):
    """What the OpenAI tasks share: the key, the end-user id and the client timeout."""

    apiKey: str = Field(description="The OpenAI API key (keep it in a secret: `{{ secret('OPENAI_API_KEY') }}`).")
    user: str | None = Field(default=None, description="A unique identifier of your end user, passed to OpenAI.")
    clientTimeout: int = Field(default=10, ge=1, description="Seconds to wait for the answer.")
    baseUrl: str | None = Field(default=None, description="Legato: the API's base URL, for an OpenAI-compatible server (default OPENAI_BASE_URL, else https://api.openai.com/v1).")

    def url(self, ctx: RunContext, path: str) -> str:
        base = ctx.render_string(self.baseUrl) if self.baseUrl else os.environ.get("OPENAI_BASE_URL", DEFAULT_URL)
        return http.join(base, path)

    def headers(self, ctx: RunContext) -> dict[str, str]:
        return {"Authorization": f"Bearer {ctx.render_string(self.apiKey)}"}

    async def post(self, ctx: RunContext, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.user is not None:
            body["user"] = ctx.render_string(self.user)
        data, _ = await http.call_json(self.url(ctx, path), headers=self.headers(ctx), body=body,
                                       timeout=float(self.clientTimeout))
        return data


def _usage_metrics(ctx: RunContext, prompt: Any, completion: Any, total: Any, cached: Any = None) -> None:
    for name, value in (("usage.prompt.tokens", prompt), ("usage.completion.tokens", completion),
                        ("usage.total.tokens", total), ("usage.prompt.cached_tokens", cached)):
        if isinstance(value, int):
            metric(ctx, name, value)


class Message(Frozen):
    role: Literal["system", "user", "assistant", "developer"] = Field(description="Who speaks.")
    content: str | None = Field(default=None, description="The text (rendered).")
    name: str | None = Field(default=None, description="An optional name of the participant.")


class FunctionParameter(Frozen):
    name: str = Field(description="The parameter's name.")
    description: str = Field(description="What the parameter means, for the model.")
    type: Literal["string", "number", "integer", "boolean", "array", "object"] = Field(description="Its JSON type.")
    enumValues: list[str] | None = Field(default=None, description="The values allowed.")
    required: bool = Field(default=False, description="Whether the model must give it.")


class Function(Frozen):
    name: str = Field(description="The function's name.")
    description: str | None = Field(default=None, description="What the function does.")
    parameters: list[FunctionParameter] | None = Field(default=None, description="Its parameters.")

    def as_tool(self, ctx: RunContext) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for p in self.parameters or []:
            prop: dict[str, Any] = {"type": p.type, "description": ctx.render_string(p.description)}
            if p.enumValues:
                prop["enum"] = p.enumValues
            properties[p.name] = prop
        required = [p.name for p in self.parameters or [] if p.required]
        function: dict[str, Any] = {"name": self.name,
                                    "parameters": {"type": "object", "properties": properties, "required": required}}
        if self.description:
            function["description"] = ctx.render_string(self.description)
        return {"type": "function", "function": function}


@TASKS.register
class ChatCompletion(OpenAITask):
    """Send a prompt or a message list to OpenAI's Chat Completions API, with optional functions the model may
    call and an optional JSON Schema for the answer; the raw `choices` and `usage` are the outputs."""

    TYPE: ClassVar[str] = f"{_KESTRA}.ChatCompletion"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: prompt\ntype: io.kestra.plugin.openai.ChatCompletion\napiKey: \"{{ secret('OPENAI_API_KEY') }}\"\n"
        "model: gpt-4o-mini\nprompt: Explain in one sentence why data engineers build pipelines\n",
    )

    model: str = Field(description="The model, e.g. gpt-4o-mini.")
    prompt: str | None = Field(default=None, description="A prompt, sent as a user message after `messages` (one of the two is required).")
    messages: list[Message] | Expression | None = Field(default=None, description="The conversation: role and content of each message (or an expression giving that list).")
    functions: list[Function] | None = Field(default=None, description="Functions the model may call (their calls are in `choices[].message.tool_calls`).")
    functionCall: str = Field(default="auto", description="auto, none, or the name of a function the model must call.")
    temperature: float | Expression = Field(default=1.0, description="Sampling temperature (0 to 2).")
    topP: float | Expression | None = Field(default=None, description="Nucleus sampling.")
    n: int = Field(default=1, ge=1, description="How many choices to generate.")
    stop: list[str] | Expression | None = Field(default=None, description="Up to 4 sequences where the answer stops.")
    maxTokens: int | Expression | None = Field(default=None, description="Most tokens of the completion.")
    presencePenalty: float | None = Field(default=None, description="-2 to 2: positive values favour new topics.")
    frequencyPenalty: float | None = Field(default=None, description="-2 to 2: positive values discourage repetition.")
    logitBias: dict[str, int] | None = Field(default=None, description="Bias of token ids.")
    jsonResponseSchema: str | None = Field(default=None, description="A JSON Schema (as JSON text): the answer is a JSON document matching it (`response_format: json_schema`, strict).")
    promptCaching: bool | None = Field(default=None, description="Keep the prompt in OpenAI's cache for 24 hours.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.messages is None and self.prompt is None:
            raise TaskFailed("either 'messages' or 'prompt' must be set")
        if isinstance(self.messages, str):  # an expression: the list it gives is used as it is
            given = render_as(ctx, self.messages, list[Message], "messages")
            messages = [m.model_dump(exclude_none=True) for m in given]
        else:
            messages = [{k: v for k, v in {"role": m.role, "content": ctx.render_string(m.content or ""), "name": m.name}.items()
                         if v is not None} for m in self.messages or []]
        if self.prompt is not None:
            messages.append({"role": "user", "content": ctx.render_string(self.prompt)})
        body: dict[str, Any] = {"model": ctx.render_string(self.model), "messages": messages, "n": self.n,
                                "temperature": render_optional(ctx, self.temperature, float, "temperature")}
        for key, value in (("top_p", render_optional(ctx, self.topP, float, "topP")),
                           ("max_completion_tokens", render_optional(ctx, self.maxTokens, int, "maxTokens")),
                           ("presence_penalty", self.presencePenalty), ("frequency_penalty", self.frequencyPenalty),
                           ("stop", render_optional(ctx, self.stop, list[str], "stop")), ("logit_bias", self.logitBias)):
            if value is not None:
                body[key] = value
        if self.jsonResponseSchema is not None:
            schema = _json_object(ctx.render_string(self.jsonResponseSchema), "jsonResponseSchema")
            body["response_format"] = openai_response_format(JsonFormat(schema, name="kestra_schema", strict=True))
        if self.promptCaching:
            body["prompt_cache_retention"] = "24h"
        self._tools(ctx, body)
        data = await self.post(ctx, "chat/completions", body)
        usage = data.get("usage") or {}
        _usage_metrics(ctx, usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens"),
                       (usage.get("prompt_tokens_details") or {}).get("cached_tokens"))
        return {"id": data.get("id"), "object": data.get("object"), "model": data.get("model"),
                "choices": data.get("choices") or [], "usage": data.get("usage")}

    def _tools(self, ctx: RunContext, body: dict[str, Any]) -> None:
        tools = [f.as_tool(ctx) for f in self.functions or [] if f.parameters is not None]
        choice = self.functionCall
        names = {t["function"]["name"] for t in tools}
        if tools:
            body["tools"] = tools
            if choice.lower() in ("auto", "none"):
                body["tool_choice"] = choice.lower()
            elif choice in names:
                body["tool_choice"] = {"type": "function", "function": {"name": choice}}
            else:
                raise TaskFailed(f"property 'functionCall' names '{choice}', which is not one of 'functions': {', '.join(sorted(names))}")
        elif choice.lower() == "none":
            body["tool_choice"] = "none"
        elif choice.lower() != "auto":
            raise TaskFailed(f"property 'functionCall' names '{choice}' but no 'functions' are given")


def _json_object(text: str, prop: str) -> dict[str, Any]:
    import json

    try:
        value = json.loads(text)
    except ValueError as exc:
        raise TaskFailed(f"property '{prop}' is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise TaskFailed(f"property '{prop}' must be a JSON object (a JSON Schema)")
    return value


@TASKS.register
class Responses(OpenAITask):
    """Call OpenAI's Responses API: text or message input, built-in and function tools, structured output and
    conversations continued with `previousResponseId`."""

    TYPE: ClassVar[str] = f"{_KESTRA}.Responses"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: news\ntype: io.kestra.plugin.openai.Responses\napiKey: \"{{ secret('OPENAI_API_KEY') }}\"\n"
        "model: gpt-4.1-mini\ninput: Summarise today's most important data engineering news\n"
        "tools:\n  - type: web_search_preview\n",
    )

    model: str = Field(description="The model, e.g. gpt-4.1-mini.")
    input: str | list[dict[str, Any]] = Field(description="A prompt, or a list of messages (role and content items such as `{type: input_text, text: ...}`); rendered.")
    text: dict[str, Any] | None = Field(default=None, description="Text output settings, e.g. `format: {type: json_schema, name, schema, strict}`.")
    tools: list[dict[str, Any]] | None = Field(default=None, description="Tools as the API takes them (web_search_preview, file_search, function...).")
    toolChoice: Literal["NONE", "AUTO", "REQUIRED"] = Field(default="AUTO", description="Whether the model may, must not or must call a tool.")
    store: bool = Field(default=True, description="Keep the response at OpenAI (needed to continue it with previousResponseId).")
    previousResponseId: str | None = Field(default=None, description="Continue the conversation of this earlier response.")
    promptId: str | None = Field(default=None, description="A prompt stored on the OpenAI platform; `input` is added to it.")
    promptVariables: dict[str, str] | None = Field(default=None, description="Values of the stored prompt's variables.")
    reasoning: dict[str, str] | None = Field(default=None, description="Reasoning options, e.g. `effort: low`.")
    maxOutputTokens: int | Expression | None = Field(default=None, description="Most tokens of the answer.")
    temperature: float | Expression = Field(default=1.0, description="Sampling temperature (0 to 2).")
    topP: float | Expression | None = Field(default=None, description="Nucleus sampling (0 to 1).")
    parallelToolCalls: bool | None = Field(default=None, description="Whether tools may be called in parallel.")
    promptCaching: bool | None = Field(default=None, description="Keep the prompt in OpenAI's cache for 24 hours.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        rendered = ctx.render(self.input)
        items = [{"role": "user", "content": [{"type": "input_text", "text": str(rendered)}]}] if isinstance(rendered, str) else rendered
        body: dict[str, Any] = {"model": ctx.render_string(self.model), "input": items, "store": self.store,
                                "temperature": render_optional(ctx, self.temperature, float, "temperature"),
                                "tool_choice": self.toolChoice.lower()}
        for key, value in (("top_p", render_optional(ctx, self.topP, float, "topP")),
                           ("max_output_tokens", render_optional(ctx, self.maxOutputTokens, int, "maxOutputTokens")),
                           ("previous_response_id", ctx.render(self.previousResponseId) or None),
                           ("reasoning", ctx.render(self.reasoning)), ("parallel_tool_calls", self.parallelToolCalls),
                           ("text", ctx.render(self.text)), ("tools", ctx.render(self.tools) or None)):
            if value is not None:
                body[key] = value
        if self.promptId is not None:
            body["prompt"] = {"id": ctx.render_string(self.promptId), **({"variables": ctx.render(self.promptVariables)} if self.promptVariables else {})}
        if self.promptCaching:
            body["prompt_cache_retention"] = "24h"
        data = await self.post(ctx, "responses", body)
        usage = data.get("usage") or {}
        _usage_metrics(ctx, usage.get("input_tokens"), usage.get("output_tokens"), usage.get("total_tokens"),
                       (usage.get("input_tokens_details") or {}).get("cached_tokens"))
        texts, sources = [], []
        for item in data.get("output") or []:
            if item.get("type") != "message":
                continue
            for content in item.get("content") or []:
                if content.get("type") == "output_text":
                    texts.append(str(content.get("text") or ""))
                    sources += [a["url"] for a in content.get("annotations") or [] if a.get("type") == "url_citation" and a.get("url")]
        return {"responseId": data.get("id"), "outputText": "\n".join(texts), "sources": sources, "rawResponse": data}


_SIZES = {"SMALL": "256x256", "MEDIUM": "512x512", "LARGE": "1024x1024"}


@TASKS.register
class CreateImage(OpenAITask):
    """Generate images from a prompt with OpenAI's Images API; with `download`, the images are kept in internal
    storage, otherwise their URLs are returned (images the API returns in base64 are always stored)."""

    TYPE: ClassVar[str] = f"{_KESTRA}.CreateImage"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: image\ntype: io.kestra.plugin.openai.CreateImage\napiKey: \"{{ secret('OPENAI_API_KEY') }}\"\n"
        "prompt: A watercolour of a conductor leading an orchestra of robots\nn: 1\nsize: LARGE\ndownload: true\n",
    )

    prompt: str = Field(description="What the image shows (rendered).")
    n: int | None = Field(default=None, ge=1, le=10, description="How many images (1 to 10; the API's default is 1).")
    size: Literal["SMALL", "MEDIUM", "LARGE"] = Field(default="LARGE", description="SMALL (256x256), MEDIUM (512x512) or LARGE (1024x1024).")
    model: str = Field(default="gpt-image-1", description="The image model.")
    quality: Literal["AUTO", "LOW", "MEDIUM", "HIGH"] | None = Field(default=None, description="Image quality.")
    download: bool = Field(default=False, description="Keep the images in internal storage (`images` are then kestra:/// URIs).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body: dict[str, Any] = {"model": ctx.render_string(self.model), "prompt": ctx.render_string(self.prompt),
                                "size": _SIZES[self.size]}
        if self.n is not None:
            body["n"] = self.n
        if self.quality is not None:
            body["quality"] = self.quality.lower()
        data = await self.post(ctx, "images/generations", body)
        images: list[str] = []
        for index, image in enumerate(data.get("data") or []):
            name = f"openai-image-{index + 1}.png"
            if image.get("b64_json"):
                images.append(ctx.storage.put(output_uri(ctx, name), _decoded(image["b64_json"])))
            elif image.get("url") and self.download:
                answer = await http.request("GET", str(image["url"]), headers={}, body=None, timeout=float(self.clientTimeout))
                images.append(ctx.storage.put(output_uri(ctx, name), answer.body))
            elif image.get("url"):
                images.append(str(image["url"]))
        usage = data.get("usage") or {}
        _usage_metrics(ctx, usage.get("input_tokens"), usage.get("output_tokens"), usage.get("total_tokens"))
        return {"images": images}


def _decoded(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise TaskFailed("the Images API answered an image whose base64 content is invalid") from None
