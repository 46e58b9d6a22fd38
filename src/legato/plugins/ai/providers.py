"""Kestra's model providers (`io.kestra.plugin.ai.provider.*`): the `provider:` block of the AI tasks, which names
the API, the model and the key. Each turns into a `wire.Endpoint`; the OpenAI-compatible ones share one wire
format (Gemini through Google's OpenAI-compatible endpoint, Ollama through its /v1 API).

A provider block is validated as the class its `type` names, with the flow's `pluginDefaults` for that type merged
in (Kestra's examples set `apiKey` and `modelName` once that way).

A `configuration` map inside a provider block is accepted and not applied, as in Kestra: its providers have no such
property, and Kestra's validation and runs ignore unknown properties that come through `pluginDefaults` (where
Kestra's blueprints put it). The task's own `configuration` is the one that counts; the run logs a warning."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeAlias

from pydantic import (
    Field,
    SerializeAsAny,
)

from legato.plugins.ai import wire
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.subplugins import SubPlugin, sub_plugin

_KESTRA = "io.kestra.plugin.ai.provider"


class ModelProvider(SubPlugin):
    """What every provider has."""

    WIRE: ClassVar[str] = "openai"
    DEFAULT_URL: ClassVar[str] = ""

    modelName: str | None = Field(default=None, description="The model, e.g. gpt-4o-mini, claude-sonnet-4-0, gemini-2.5-flash, mistral-large-latest, llama3.2.")
    baseUrl: str | None = Field(default=None, description="The API's base URL (any OpenAI-compatible server for the OpenAI provider); the provider's public API by default.")
    apiKey: str | None = Field(default=None, description="The API key (keep it in a secret: `{{ secret('OPENAI_API_KEY') }}`).")
    configuration: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: not a property of Kestra's providers, which ignore it when it comes through pluginDefaults; accepted and not applied (a warning says so). Set `configuration` on the task instead.")

    def endpoint(self, ctx: RunContext, timeout: float = 120.0) -> wire.Endpoint:
        """Where the calls go, with the rendered key in the headers."""
        if self.configuration is not None:
            ctx.logger.warn(f"the {type(self).__name__} provider's 'configuration' ({', '.join(sorted(self.configuration))}) is not "
                            "applied, as in Kestra, whose providers have no such property: set 'configuration' on the task")
        if self.modelName is None:
            raise TaskFailed(f"property 'modelName' of the {type(self).__name__} provider is required")
        model = ctx.render_string(self.modelName)
        base = ctx.render_string(self.baseUrl) if self.baseUrl is not None else self.default_url(ctx)
        key = ctx.render_string(self.apiKey) if self.apiKey is not None else None
        return wire.Endpoint(self.WIRE, base, model, self.headers(key), timeout)  # type: ignore[arg-type]

    def default_url(self, ctx: RunContext) -> str:
        return self.DEFAULT_URL

    def headers(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}


class OpenAI(ModelProvider):
    """OpenAI, or any server that speaks its Chat Completions API (vLLM, LM Studio, LocalAI, llama.cpp...) at `baseUrl`."""

    TYPE: ClassVar[str] = f"{_KESTRA}.OpenAI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.OpenAI",)
    DEFAULT_URL: ClassVar[str] = "https://api.openai.com/v1"

    def endpoint(self, ctx: RunContext, timeout: float = 120.0) -> wire.Endpoint:
        found = super().endpoint(ctx, timeout)
        if self.baseUrl is None:  # OpenAI's own API: its newer models take only max_completion_tokens
            return wire.Endpoint(found.wire, found.base_url, found.model, found.headers, timeout, "max_completion_tokens")
        return found


class Anthropic(ModelProvider):
    """Anthropic's Claude models, through the Messages API."""

    TYPE: ClassVar[str] = f"{_KESTRA}.Anthropic"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.Anthropic",)
    WIRE: ClassVar[str] = "anthropic"
    DEFAULT_URL: ClassVar[str] = "https://api.anthropic.com/v1"

    maxTokens: int | None = Field(default=None, description="Most tokens the model may generate (the API requires a bound; 4096 when unset).")

    def headers(self, key: str | None) -> dict[str, str]:
        return {"x-api-key": key} if key else {}


class GoogleGemini(ModelProvider):
    """Google's Gemini models, through the Gemini API's OpenAI-compatible endpoint."""

    TYPE: ClassVar[str] = f"{_KESTRA}.GoogleGemini"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.GoogleGemini",)
    DEFAULT_URL: ClassVar[str] = "https://generativelanguage.googleapis.com/v1beta/openai"


class MistralAI(ModelProvider):
    """Mistral AI's models (La Plateforme's chat and embeddings API)."""

    TYPE: ClassVar[str] = f"{_KESTRA}.MistralAI"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.MistralAI",)
    DEFAULT_URL: ClassVar[str] = "https://api.mistral.ai/v1"


class DeepSeek(ModelProvider):
    """DeepSeek's models."""

    TYPE: ClassVar[str] = f"{_KESTRA}.DeepSeek"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.DeepSeek",)
    DEFAULT_URL: ClassVar[str] = "https://api.deepseek.com/v1"


class OpenRouter(ModelProvider):
    """OpenRouter: many vendors' models behind one OpenAI-compatible API."""

    TYPE: ClassVar[str] = f"{_KESTRA}.OpenRouter"
    DEFAULT_URL: ClassVar[str] = "https://openrouter.ai/api/v1"


class Ollama(ModelProvider):
    """A local Ollama server (its OpenAI-compatible /v1 API). On the worker's own network, it needs
    LEGATO_HTTP_ALLOWED_NETWORKS to allow the address."""

    TYPE: ClassVar[str] = f"{_KESTRA}.Ollama"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.provider.Ollama",)

    endpoint_: str | None = Field(default=None, alias="endpoint", description="The Ollama server, e.g. http://localhost:11434.")

    def default_url(self, ctx: RunContext) -> str:
        if self.endpoint_ is None:
            raise TaskFailed("property 'endpoint' of the Ollama provider is required (e.g. http://localhost:11434)")
        return ctx.render_string(self.endpoint_).rstrip("/") + "/v1"


PROVIDERS: list[type[SubPlugin]] = [OpenAI, Anthropic, GoogleGemini, MistralAI, DeepSeek, OpenRouter, Ollama]
Provider: TypeAlias = Annotated[SerializeAsAny[ModelProvider], *sub_plugin("provider", PROVIDERS)]
