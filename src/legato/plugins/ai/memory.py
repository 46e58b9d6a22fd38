"""Kestra's chat memory (`io.kestra.plugin.ai.memory.KestraKVStore`): the conversation of an agent kept in the
namespace's KV store between task runs (by default for the whole execution and its subflows), so a later agent
task continues where an earlier one stopped."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, TypeAlias

from pydantic import Field, SerializeAsAny

from legato.model.durations import Duration
from legato.plugins.ai import wire
from legato.plugins.context import RunContext
from legato.plugins.runnable import Expression, render_as
from legato.plugins.subplugins import SubPlugin, sub_plugin


class KestraKVStore(SubPlugin):
    """Keep the chat memory as a KV pair of the flow's namespace."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ai.memory.KestraKVStore"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.langchain4j.memory.KestraKVMemory",)

    messages: int | Expression = Field(default=10, description="How many messages are kept; the oldest go first (the system message always stays).")
    ttl: Duration | Expression = Field(default=timedelta(hours=1), description="How long the memory lives after its last use (ISO-8601).")
    memoryId: str | None = Field(default=None, description="The memory's key (default: the execution's `system.correlationId` label, so one memory per execution and its subflows).")
    drop: Literal["NEVER", "BEFORE_TASKRUN", "AFTER_TASKRUN"] = Field(default="NEVER", description="Forget the memory before or after the task run, or never.")

    def key(self, ctx: RunContext) -> str:
        if self.memoryId is not None:
            return ctx.render_string(self.memoryId)
        labels = {lb.key: lb.value for lb in ctx.execution.labels}
        return labels.get("system.correlationId") or ctx.execution.id

    def load(self, ctx: RunContext) -> list[wire.Message]:
        key = self.key(ctx)
        if self.drop == "BEFORE_TASKRUN":
            ctx.kv.delete(key)
            return []
        found = ctx.kv.get(key)
        if found is None or not isinstance(found[1], list):
            return []
        return [wire.Message.from_dict(m) for m in found[1] if isinstance(m, dict) and m.get("role")]

    def save(self, ctx: RunContext, history: list[wire.Message]) -> None:
        key = self.key(ctx)
        if self.drop == "AFTER_TASKRUN":
            ctx.kv.delete(key)
            return
        limit = render_as(ctx, self.messages, int, "memory.messages")
        system = [m for m in history if m.role == "system"][-1:]
        rest = _window([m for m in history if m.role != "system"], limit - len(system))
        ttl = render_as(ctx, self.ttl, Duration, "memory.ttl")
        kept: list[dict[str, Any]] = [m.as_dict() for m in (*system, *rest)]
        ctx.kv.set(key, kept, type="JSON", ttl_seconds=ttl.total_seconds())


def _window(messages: list[wire.Message], limit: int) -> list[wire.Message]:
    """The last `limit` messages, never starting with a tool result whose call was cut off."""
    kept = messages[-limit:] if limit > 0 else []
    while kept and (kept[0].role == "tool" or kept[0].tool_calls):
        kept = kept[1:]
    return kept


MEMORIES: list[type[SubPlugin]] = [KestraKVStore]
Memory: TypeAlias = Annotated[SerializeAsAny[KestraKVStore], *sub_plugin("memory", MEMORIES)]
