"""The flows of one process: parsing with the installed plugins and the parsed revisions, cached once for every
role and route of the process (the composition root builds one `Flows` and hands it to all of them)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Protocol

from legato.flows.cache import CacheKey, FlowCache, Key
from legato.flows.parse import parse_flow
from legato.model.flow import Flow
from legato.model.taskfield import PluginDefault
from legato.store.ports import MAIN, FlowRecord

# The plugin defaults of a (tenant, namespace) (its own, then its parents'), nearest first, with a text that changes
# when they do (the parse of a revision depends on it).
NamespaceDefaults = Callable[[str, str], tuple[str, tuple[PluginDefault, ...]]]


class FlowReader(Protocol):
    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None, *,
                 tenant: str = ...) -> FlowRecord | None: ...


class Flows:
    """Parsed flow revisions of one process. A revision never changes, so a parsed one never goes stale."""

    def __init__(self, size: int = 1024) -> None:
        self._cache = FlowCache(parse_flow, size)
        self._defaults: NamespaceDefaults | None = None

    def use_namespace_defaults(self, defaults: NamespaceDefaults) -> None:
        """Apply, below each flow's own, the plugin defaults of its namespace as `defaults` gives them (the
        runtime's view of the namespaces' settings); a revision is parsed again once they change. A flow gets the
        defaults of its namespace in its own tenant."""
        self._defaults = defaults

    def _key(self, key: Key) -> tuple[CacheKey, Callable[[str], Flow] | None]:
        """The cache key of revision `key` with its namespace's current plugin defaults, and how to parse it."""
        if self._defaults is None:
            return key, None
        fingerprint, found = self._defaults(key[0], key[1])
        if not found:
            return key, None
        return (*key, fingerprint), partial(parse_flow, defaults=found)

    @staticmethod
    def parse(source: str, name: str = "<flow>") -> Flow:
        """`source` parsed and validated (not cached: it may not be a stored revision)."""
        return parse_flow(source, name)

    def __contains__(self, key: Key) -> bool:
        """Whether revision `key` is parsed already (getting it costs nothing)."""
        return self._key(key)[0] in self._cache

    def get(self, key: Key, source: Callable[[], str | None]) -> Flow | None:
        """The parsed revision `key` = (tenant, namespace, flow id, revision); `source` is called only when it
        is not cached yet (None: no such revision)."""
        cache_key, parse = self._key(key)
        return self._cache.get(cache_key, source, parse)

    def of(self, record: FlowRecord) -> Flow:
        """The parsed revision of a stored flow (FlowValidationError when it no longer loads)."""
        flow = self.get((record.tenant, record.namespace, record.id, record.revision), lambda: record.source)
        assert flow is not None
        return flow

    def revision(self, store: FlowReader, namespace: str, flow_id: str, revision: int, *,
                 tenant: str = MAIN) -> Flow | None:
        """The parsed revision read from `store` when not cached; None when the store does not have it."""

        def source() -> str | None:
            record = store.get_flow(namespace, flow_id, revision, tenant=tenant)
            return record.source if record is not None else None

        return self.get((tenant, namespace, flow_id, revision), source)
