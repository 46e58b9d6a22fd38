"""The flows of one process: parsing with the installed plugins and the parsed revisions, cached once for every
role and route of the process (the composition root builds one `Flows` and hands it to all of them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from legato.flows.cache import FlowCache, Key
from legato.flows.parse import parse_flow
from legato.model.flow import Flow
from legato.store.ports import FlowRecord


class FlowReader(Protocol):
    def get_flow(self, namespace: str, flow_id: str, revision: int | None = None) -> FlowRecord | None: ...


class Flows:
    """Parsed flow revisions of one process. A revision never changes, so a parsed one never goes stale."""

    def __init__(self, size: int = 1024) -> None:
        self._cache = FlowCache(parse_flow, size)

    @staticmethod
    def parse(source: str, name: str = "<flow>") -> Flow:
        """`source` parsed and validated (not cached: it may not be a stored revision)."""
        return parse_flow(source, name)

    def __contains__(self, key: Key) -> bool:
        """Whether revision `key` is parsed already (getting it costs nothing)."""
        return key in self._cache

    def get(self, key: Key, source: Callable[[], str | None]) -> Flow | None:
        """The parsed revision `key` = (namespace, flow id, revision); `source` is called only when it is not
        cached yet (None: no such revision)."""
        return self._cache.get(key, source)

    def of(self, record: FlowRecord) -> Flow:
        """The parsed revision of a stored flow (FlowValidationError when it no longer loads)."""
        flow = self._cache.get((record.namespace, record.id, record.revision), lambda: record.source)
        assert flow is not None
        return flow

    def revision(self, store: FlowReader, namespace: str, flow_id: str, revision: int) -> Flow | None:
        """The parsed revision read from `store` when not cached; None when the store does not have it."""

        def source() -> str | None:
            record = store.get_flow(namespace, flow_id, revision)
            return record.source if record is not None else None

        return self._cache.get((namespace, flow_id, revision), source)
