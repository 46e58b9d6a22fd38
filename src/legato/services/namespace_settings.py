"""What a namespace itself carries (Kestra EE's Namespace): a description, variables and plugin defaults, read
and replaced as a whole. Kept as one JSON document per namespace of each tenant in that tenant's internal storage,
next to the namespace's files (kestra:///<namespace as folders>/_namespace.json, under `_tenants/<tenant>/` of the
backend for a tenant other than `main`: legato.storage.tenants), out of reach of tasks, which write only under
`_files` and their executions' folders. Every replacement is audited with its before and after.

Expressions see a namespace's variables, merged over its parents' (the nearest wins), as `namespace.<name>`
(Kestra EE's `{{ namespace.region }}`), through `ExpressionVariables`, which the runtime gives its renderer; a
flow's tasks get its namespace's plugin defaults (`runtime_plugin_defaults`). Both read the settings of the
flow's own tenant only."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from legato.identity.permissions import Action, Resource
from legato.model.flow import NAMESPACE_PATTERN
from legato.model.taskfield import PluginDefault
from legato.services import audit
from legato.services.principal import Principal, require
from legato.storage import Storage, StorageError
from legato.storage.tenants import of_tenant
from legato.storage.uris import build_uri, namespace_segments
from legato.store.ports import MAIN, AuditLog

T = TypeVar("T")
VARIABLE_KEY = r"^[A-Za-z_][A-Za-z0-9_-]*$"
MAX_DOCUMENT = 256 * 1024  # a namespace's settings, as JSON; larger is surely a mistake
MAX_DESCRIPTION = 4096


@cache
def _defaults_adapter() -> TypeAdapter[list[PluginDefault]]:
    """Built on first use: importing the services stays cheap for the CLI."""
    return TypeAdapter(list[PluginDefault])


class InvalidNamespaceSettings(ValueError):
    """Namespace settings that cannot be kept (the message says which part and why)."""


@dataclass(frozen=True)
class NamespaceSettings:
    namespace: str
    description: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    plugin_defaults: list[dict[str, Any]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The stored (and audited) form."""
        return {"description": self.description, "variables": self.variables, "pluginDefaults": self.plugin_defaults}


def get(storage: Storage, namespace: str, *, by: Principal) -> NamespaceSettings:
    """The settings of exactly `namespace` in the tenant of `by` (empty ones when none were saved)."""
    require(by, Resource.NAMESPACE, Action.VIEW, namespace)
    return _read(of_tenant(storage, by.tenant), namespace)


def inherited(storage: Storage, namespace: str, *, by: Principal) -> list[NamespaceSettings]:
    """The settings of each parent of `namespace` that has some, nearest first (`a.b.c` → `a.b`, then `a`), in the
    tenant of `by`."""
    require(by, Resource.NAMESPACE, Action.VIEW, namespace)
    parts = _check_namespace(namespace).split(".")
    parents = [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
    files = of_tenant(storage, by.tenant)
    found = [_read(files, p) for p in parents]
    return [s for s in found if s.description or s.variables or s.plugin_defaults]


def put(storage: Storage, store: AuditLog, settings: NamespaceSettings, *, by: Principal,
        now: datetime) -> NamespaceSettings:
    """Replace the settings of `settings.namespace` in the tenant of `by` (InvalidNamespaceSettings for a bad part)."""
    require(by, Resource.NAMESPACE, Action.UPDATE, settings.namespace)
    checked = _checked(settings)
    text = json.dumps(checked.document(), sort_keys=True, default=str)
    if len(text.encode()) > MAX_DOCUMENT:
        raise InvalidNamespaceSettings(f"namespace settings are larger than {MAX_DOCUMENT // 1024} KiB")
    files = of_tenant(storage, by.tenant)
    before = _read(files, checked.namespace)
    files.put(_uri(checked.namespace), text.encode())
    audit.record(store, by, "UPDATE", "NAMESPACE", checked.namespace, namespace=checked.namespace, now=now,
                 details=audit.changed(before.document(), checked.document()))
    return checked


def _checked(settings: NamespaceSettings) -> NamespaceSettings:
    _check_namespace(settings.namespace)
    if settings.description is not None and len(settings.description) > MAX_DESCRIPTION:
        raise InvalidNamespaceSettings(f"the description is longer than {MAX_DESCRIPTION} characters")
    for key in settings.variables:
        if not re.match(VARIABLE_KEY, key):
            raise InvalidNamespaceSettings(
                f"variable {key!r}: a name starts with a letter or _ and has only letters, digits, _ and -")
    try:
        defaults = _defaults_adapter().validate_python(settings.plugin_defaults)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidNamespaceSettings(f"pluginDefaults[{where}]: {first['msg']}") from None
    shown = [d.model_dump(mode="json") for d in defaults]
    return NamespaceSettings(settings.namespace, settings.description or None, dict(settings.variables), shown)


def _check_namespace(namespace: str) -> str:
    if not re.match(NAMESPACE_PATTERN, namespace) or len(namespace) > 150:
        raise InvalidNamespaceSettings(f"{namespace!r} is not a namespace (lowercase letters, digits, '.', '_', '-')")
    try:
        namespace_segments(namespace)
    except StorageError as exc:
        raise InvalidNamespaceSettings(str(exc)) from None
    return namespace


def _uri(namespace: str) -> str:
    return build_uri(*namespace_segments(_check_namespace(namespace)), "_namespace.json")


def variables_for(storage: Storage, namespace: str) -> dict[str, Any]:
    """The variables flows of `namespace` see: its parents' merged, then its own (the nearest namespace wins)."""
    parts = _check_namespace(namespace).split(".")
    merged: dict[str, Any] = {}
    for n in range(1, len(parts) + 1):
        merged.update(_read(storage, ".".join(parts[:n])).variables)
    return merged


class _Timed(Generic[T]):
    """What `read` gives for a namespace of a tenant (in that tenant's storage), kept `ttl` seconds: a runtime reads
    the settings often, storage seldom, and a change reaches it that long after."""

    def __init__(self, storage: Storage, read: Callable[[Storage, str], T], empty: T, ttl: float,
                 clock: Callable[[], float]) -> None:
        self._storage, self._read, self._empty, self._ttl, self._clock = storage, read, empty, ttl, clock
        self._cache: dict[tuple[str, str], tuple[float, T]] = {}
        self._lock = threading.Lock()

    def __call__(self, tenant: str, namespace: str) -> T:
        now, key = self._clock(), (tenant, namespace)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            found = self._read(of_tenant(self._storage, tenant), namespace)
        except (InvalidNamespaceSettings, StorageError, ValueError):
            found = self._empty
        with self._lock:
            self._cache[key] = (now + self._ttl, found)
        return found


class ExpressionVariables:
    """The `namespace` variable of every expression a runtime renders: the flow's namespace variables (its own
    over its parents') in the flow's tenant (`flow.tenantId`, `main` when absent), read only when an expression
    names them, and kept `ttl` seconds."""

    def __init__(self, storage: Storage, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.values = _Timed[dict[str, Any]](storage, variables_for, {}, ttl, clock)

    def __call__(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        flow = context.get("flow")
        if "namespace" in context or not isinstance(flow, Mapping):
            return {}
        namespace, tenant = flow.get("namespace"), flow.get("tenantId") or MAIN
        if not isinstance(namespace, str) or not isinstance(tenant, str) or not re.match(NAMESPACE_PATTERN, namespace):
            return {}
        return {"namespace": _LazyVariables(self, tenant, namespace)}


def plugin_defaults_for(storage: Storage, namespace: str) -> tuple[str, tuple[PluginDefault, ...]]:
    """The plugin defaults flows of `namespace` get below their own: its own first, then its parents' (nearest
    first), with their JSON text (which changes when they do)."""
    parts = _check_namespace(namespace).split(".")
    found = [d for n in range(len(parts), 0, -1) for d in _read(storage, ".".join(parts[:n])).plugin_defaults]
    if not found:
        return "", ()
    return json.dumps(found, sort_keys=True, default=str), tuple(_defaults_adapter().validate_python(found))


def runtime_plugin_defaults(storage: Storage, ttl: float = 2.0, clock: Callable[[], float] = time.monotonic
                            ) -> Callable[[str, str], tuple[str, tuple[PluginDefault, ...]]]:
    """`plugin_defaults_for` of a (tenant, namespace), in that tenant's storage, read at most every `ttl` seconds
    per namespace (for legato.flows.Flows)."""
    return _Timed[tuple[str, tuple[PluginDefault, ...]]](storage, plugin_defaults_for, ("", ()), ttl, clock)


class _LazyVariables(Mapping[str, Any]):
    def __init__(self, source: ExpressionVariables, tenant: str, namespace: str) -> None:
        self._source = source
        self._tenant = tenant
        self._namespace = namespace

    def __getitem__(self, name: str) -> Any:
        return self._source.values(self._tenant, self._namespace)[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._source.values(self._tenant, self._namespace))

    def __len__(self) -> int:
        return len(self._source.values(self._tenant, self._namespace))


def _read(storage: Storage, namespace: str) -> NamespaceSettings:
    uri = _uri(namespace)
    if not storage.exists(uri):
        return NamespaceSettings(namespace)
    try:
        raw = json.loads(storage.get(uri))
    except ValueError:  # not JSON: only a hand edit of the storage can do that; show it as empty
        return NamespaceSettings(namespace)
    return NamespaceSettings(namespace, raw.get("description"), dict(raw.get("variables") or {}),
                             list(raw.get("pluginDefaults") or []))
