"""kv.Set, Get, GetKeys, Delete and PurgeKV: the namespace key-value store."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from pydantic import Field

from legato import globs
from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.kv_values import KVType, to_stored
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_bool,
    render_optional,
    render_optional_text,
)


@runtime_checkable
class KVAdmin(Protocol):
    """What PurgeKV needs beyond the task-facing KV protocol: every namespace, and keys with their expiry."""

    def namespaces(self) -> list[str]: ...

    def expiries(self, namespace: str) -> dict[str, datetime | None]:
        """Every key of `namespace`, expired ones included, with its expiry time."""
        ...


class _KVTask(RunnableTask):
    namespace: str | None = Field(default=None, description="Namespace of the key; the flow's namespace by default.")

    def _namespace(self, ctx: RunContext) -> str:
        return render_optional_text(ctx, self.namespace) or ctx.flow_namespace

    def _key(self, ctx: RunContext, key: str) -> str:
        rendered = ctx.render_string(key)
        if not rendered:
            raise TaskFailed("property 'key' rendered to an empty string")
        return rendered


@TASKS.register
class Set(_KVTask):
    """Create or replace a key-value pair in a namespace's KV store."""

    TYPE: ClassVar[str] = "kv.Set"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Set",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: remember_file
type: io.kestra.plugin.core.kv.Set
key: orders_file
value: "{{ outputs.download.uri }}"
kvType: STRING
ttl: P30D
""",
    )

    key: str = Field(description="The key (rendered).")
    value: Any = Field(description="The value (rendered; one whole expression keeps its type).")
    overwrite: bool | Expression = Field(default=True, description="When false, fail if the key already exists.")
    ttl: Duration | Expression | None = Field(default=None, description="Time to live (ISO-8601 duration); forever when unset.")
    kvType: KVType | Expression | None = Field(
        default=None,
        description="STRING, NUMBER, BOOLEAN, DATETIME, DATE, DURATION or JSON: a text value is parsed as this type. "
        "Inferred from the value when unset.",
    )
    kvDescription: str | None = Field(default=None, description="Free text describing the entry.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._namespace(ctx), self._key(ctx, self.key)
        kv_type = render_optional(ctx, self.kvType, KVType, "kvType")
        stored_type, stored = to_stored(ctx.render(self.value), kv_type)
        ttl = render_optional(ctx, self.ttl, Duration, "ttl")
        overwrite = render_bool(ctx, self.overwrite, "overwrite")
        written = ctx.kv.set(
            key, stored, type=stored_type, ttl_seconds=None if ttl is None else ttl.total_seconds(),
            overwrite=overwrite, namespace=namespace,
        )
        if not written:
            raise TaskFailed(
                f"cannot set the value of key '{key}' in namespace '{namespace}': it already exists and `overwrite` is false"
            )
        return {}


@TASKS.register
class Get(_KVTask):
    """Read the value of a key into the `value` output (the `kv()` function does the same inside expressions)."""

    TYPE: ClassVar[str] = "kv.Get"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Get",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: read
type: io.kestra.plugin.core.kv.Get
key: my_variable
namespace: company
errorOnMissing: true
""",
    )

    key: str = Field(description="The key (rendered).")
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the key does not exist (or expired).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._namespace(ctx), self._key(ctx, self.key)
        found = ctx.kv.get(key, namespace=namespace)
        if found is None and render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
            raise TaskFailed(f"no value found for key '{key}' in namespace '{namespace}' and `errorOnMissing` is true")
        return {"value": None if found is None else found[1]}


@TASKS.register
class GetKeys(_KVTask):
    """List the keys of a namespace, optionally only those starting with a prefix, into the `keys` output."""

    TYPE: ClassVar[str] = "kv.GetKeys"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.GetKeys",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: list_keys
type: io.kestra.plugin.core.kv.GetKeys
prefix: orders_
""",
    )

    prefix: str | None = Field(default=None, description="Only keys starting with this text (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        prefix = render_optional_text(ctx, self.prefix) or None
        return {"keys": sorted(ctx.kv.keys(prefix, namespace=self._namespace(ctx)))}


@TASKS.register
class Delete(_KVTask):
    """Delete a key; the `deleted` output says whether it existed."""

    TYPE: ClassVar[str] = "kv.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: forget
type: io.kestra.plugin.core.kv.Delete
key: my_variable
""",
    )

    key: str = Field(description="The key (rendered).")
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the key does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        namespace, key = self._namespace(ctx), self._key(ctx, self.key)
        deleted = ctx.kv.delete(key, namespace=namespace)
        if not deleted and render_bool(ctx, self.errorOnMissing, "errorOnMissing"):
            raise TaskFailed(f"no value found for key '{key}' in namespace '{namespace}' and `errorOnMissing` is true")
        return {"deleted": deleted}


class KeyPurge(Frozen):
    type: Literal["key"] = Field(default="key", description="Purge whole keys (Legato keeps no older versions).")
    expiredOnly: bool | Expression = Field(default=True, description="Delete only keys whose TTL has passed.")


@TASKS.register
class PurgeKV(RunnableTask):
    """Delete keys across namespaces: by default only expired ones, in every namespace."""

    TYPE: ClassVar[str] = "kv.PurgeKV"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.core.kv.PurgeKV",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: purge_expired
type: io.kestra.plugin.core.kv.PurgeKV
namespaces:
  - company
includeChildNamespaces: true
""",
        """\
id: purge_ai_keys
type: io.kestra.plugin.core.kv.PurgeKV
namespacePattern: "company.*"
keyPattern: "AI_*"
behavior:
  type: key
  expiredOnly: false
""",
    )

    namespaces: list[str] | None = Field(default=None, description="Namespaces to purge; every namespace when unset.")
    namespacePattern: str | None = Field(default=None, description="Glob pattern of namespaces to purge (instead of `namespaces`).")
    includeChildNamespaces: bool | Expression = Field(
        default=True, description="Also purge the child namespaces (company.team under company)."
    )
    keyPattern: str | None = Field(default=None, description="Glob pattern: only keys matching it are deleted.")
    behavior: KeyPurge = Field(default_factory=KeyPurge, description="How keys are chosen: `type: key` with `expiredOnly`.")
    expiredOnly: bool | Expression | None = Field(
        default=None, description="Deprecated: overrides `behavior.expiredOnly` when set."
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.namespaces is not None and self.namespacePattern is not None:
            raise TaskFailed("set either 'namespaces' or 'namespacePattern', not both")
        admin = ctx.kv
        if not isinstance(admin, KVAdmin):
            raise TaskFailed("this worker's KV store cannot list namespaces, so PurgeKV cannot run")
        expired_flag = self.expiredOnly if self.expiredOnly is not None else self.behavior.expiredOnly
        expired_only = render_bool(ctx, expired_flag, "expiredOnly")
        key_pattern = render_optional_text(ctx, self.keyPattern)
        targets = self._namespaces(ctx, admin.namespaces())
        ctx.logger.info(f"purging {len(targets)} namespaces: {', '.join(targets)}")
        now = ctx.now()
        total = 0
        for namespace in targets:
            chosen = [
                key for key, expires in admin.expiries(namespace).items()
                if (key_pattern is None or globs.matches(key, [key_pattern]))
                and (not expired_only or (expires is not None and expires <= now))
            ]
            if chosen:
                total += ctx.kv.purge(expired_only=expired_only, keys=chosen, namespace=namespace)
        ctx.logger.info(f"purged {total} keys")
        return {"size": total}

    def _namespaces(self, ctx: RunContext, known: list[str]) -> list[str]:
        children = render_bool(ctx, self.includeChildNamespaces, "includeChildNamespaces")
        if self.namespacePattern is not None:
            pattern = ctx.render_string(self.namespacePattern)
            roots = [n for n in known if globs.matches(n, [pattern])]
        elif self.namespaces is not None:
            roots = [ctx.render_string(n) for n in self.namespaces]
        else:
            return sorted(known)
        if not children:
            return sorted(set(roots))
        return sorted({*roots, *(n for n in known for r in roots if n.startswith(r + "."))})
