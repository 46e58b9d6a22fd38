"""Parsed flow revisions, cached: revisions are immutable, so a parsed one never goes stale."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from legato.model.flow import Flow

Key = tuple[str, str, str, int]  # (tenant, namespace, flow id, revision)
CacheKey = Key | tuple[str, str, str, int, str]  # a Key, with what else the parse depended on


class FlowCache:
    """Parses each (tenant, namespace, flow id, revision) once; `parse` turns a source into a Flow."""

    def __init__(self, parse: Callable[[str], Flow], size: int = 512):
        self._parse = parse
        self._size = size
        self._flows: OrderedDict[CacheKey, Flow] = OrderedDict()
        self._lock = Lock()

    def __contains__(self, key: CacheKey) -> bool:
        with self._lock:
            return key in self._flows

    def get(self, key: CacheKey, source: Callable[[], str | None],
            parse: Callable[[str], Flow] | None = None) -> Flow | None:
        """The parsed revision; `source` is called only when it is not cached yet (and parsed with `parse`, by
        default the cache's own)."""
        with self._lock:
            flow = self._flows.get(key)
            if flow is not None:
                self._flows.move_to_end(key)
                return flow
        text = source()
        if text is None:
            return None
        flow = (parse or self._parse)(text)
        with self._lock:
            self._flows[key] = flow
            while len(self._flows) > self._size:
                self._flows.popitem(last=False)
        return flow
