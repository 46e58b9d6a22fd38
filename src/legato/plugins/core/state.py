"""state.Set, Get and Delete (deprecated by Kestra in favour of the KV store): a JSON map per flow and name,
kept in the namespace's KV store under a key derived from the flow, the name and the loop value."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS
from legato.model.taskfield import deep_merge
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, RunnableTask, render_bool

KEY_PREFIX = "tasks-states"


class _StateTask(RunnableTask):
    name: str = Field(default="default", description="Name of the state (rendered); several states may coexist.")
    namespace: bool | Expression = Field(
        default=False, description="Share the state with every flow of the namespace instead of keeping it per flow."
    )
    taskrunValue: bool | Expression = Field(
        default=True, description="Keep a separate state for each loop value (taskrun.value) the task runs with."
    )

    def state_key(self, ctx: RunContext) -> str:
        """The KV key of this state: prefix, flow (unless shared), name, and loop value (when isolated)."""
        parts = [KEY_PREFIX]
        if not render_bool(ctx, self.namespace, "namespace"):
            parts.append(ctx.flow_id)
        parts.append(ctx.render_string(self.name))
        value = ctx.task_run.value
        if value is not None and render_bool(ctx, self.taskrunValue, "taskrunValue"):
            # loop values are arbitrary text (JSON for maps); a digest keeps the key short and clean
            parts.append(hashlib.sha256(value.encode()).hexdigest()[:16])
        return "/".join(parts)

    def read(self, ctx: RunContext, key: str) -> dict[str, Any] | None:
        found = ctx.kv.get(key)
        if found is None:
            return None
        data = found[1]
        if not isinstance(data, dict):
            raise TaskFailed(f"the state '{key}' does not hold a JSON object")
        return data


@TASKS.register
class StateSet(_StateTask):
    """Deprecated: merge values into a state (new keys are added, existing keys replaced). Not safe against
    concurrent executions of the same flow; use the KV store instead."""

    TYPE: ClassVar[str] = "state.Set"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.state.Set", "io.kestra.core.tasks.states.Set")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: set_state
type: io.kestra.plugin.core.state.Set
name: myState
data:
  "{{ inputs.store }}": "{{ outputs.download.md5 }}"
""",
    )

    data: dict[str, Any] = Field(default_factory=dict, description="Values to merge into the state (rendered, keys too).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = self.state_key(ctx)
        rendered = {ctx.render_string(k): v for k, v in _as_text(ctx, self.data).items()}
        merged = deep_merge(self.read(ctx, key) or {}, rendered)
        ctx.kv.set(key, merged, type="JSON", ttl_seconds=None, overwrite=True)
        return {"count": len(merged), "key": key}


@TASKS.register
class StateGet(_StateTask):
    """Deprecated: read a state into the `data` output, with its number of entries in `count`."""

    TYPE: ClassVar[str] = "state.Get"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.state.Get", "io.kestra.core.tasks.states.Get")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: get_state
type: io.kestra.plugin.core.state.Get
name: myState
""",
    )

    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the state does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = self.state_key(ctx)
        data = self.read(ctx, key)
        if data is None:
            if render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
                raise TaskFailed(f"the state '{ctx.render_string(self.name)}' does not exist (key '{key}')")
            data = {}
        return {"count": len(data), "data": data}


@TASKS.register
class StateDelete(_StateTask):
    """Deprecated: delete a state; the `deleted` output says whether it existed."""

    TYPE: ClassVar[str] = "state.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.state.Delete", "io.kestra.core.tasks.states.Delete")
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: delete_state
type: io.kestra.plugin.core.state.Delete
name: myState
""",
    )

    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the state does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        key = self.state_key(ctx)
        deleted = ctx.kv.delete(key)
        if not deleted and render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
            raise TaskFailed(f"the state '{ctx.render_string(self.name)}' does not exist (key '{key}')")
        return {"deleted": deleted}


def _as_text(ctx: RunContext, value: Any) -> Any:
    """The data as Kestra's state store renders it: every string rendered to text (an expression of a number
    stores "2"), other values as written."""
    if isinstance(value, str):
        return ctx.render_string(value)
    if isinstance(value, dict):
        return {k: _as_text(ctx, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(ctx, v) for v in value]
    return value
