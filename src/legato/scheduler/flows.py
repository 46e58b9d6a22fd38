"""The parsed revisions of deployed flows, as the scheduler's services see them."""

from __future__ import annotations

import logging

from legato import plugins
from legato.model.cache import FlowCache
from legato.model.errors import FlowValidationError
from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.store.ports import FlowRecord

log = logging.getLogger("legato.scheduler")


def parse_flow(source: str) -> Flow:
    """A flow parsed with every installed task and trigger type."""
    return load_flow(source, source="<flow>", registry=plugins.registry(), triggers=plugins.trigger_registry())


class DeployedFlows:
    """Parses each deployed revision once (through a shared FlowCache); a revision that no longer loads (a
    plugin was removed) is skipped with one warning naming what is skipped."""

    def __init__(self, cache: FlowCache | None = None, *, skipped: str = "its triggers"):
        self.cache = cache or FlowCache(parse_flow)
        self.skipped = skipped
        self._broken: set[tuple[str, str, int]] = set()

    def get(self, record: FlowRecord) -> Flow | None:
        key = (record.namespace, record.id, record.revision)
        if key in self._broken:
            return None
        try:
            return self.cache.get(key, lambda: record.source)
        except FlowValidationError as exc:
            self._broken.add(key)
            log.warning("flow %s.%s revision %d does not load; %s are skipped: %s", *key, self.skipped, exc)
            return None
