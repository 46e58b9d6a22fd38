"""The parsed revisions of deployed flows, as the scheduler and the trigger sources see them."""

from __future__ import annotations

import logging

from legato.flows.flows import Flows
from legato.model.errors import FlowValidationError
from legato.model.flow import Flow
from legato.store.ports import FlowRecord

log = logging.getLogger("legato.scheduler")


class DeployedFlows:
    """Parses each deployed revision once (through the process's Flows); a revision that no longer loads (a
    plugin was removed) is skipped with one warning naming what is skipped."""

    def __init__(self, flows: Flows, *, skipped: str = "its triggers"):
        self.flows = flows
        self.skipped = skipped
        self._broken: set[tuple[str, str, str, int]] = set()

    def get(self, record: FlowRecord) -> Flow | None:
        key = (record.tenant, record.namespace, record.id, record.revision)
        if key in self._broken:
            return None
        try:
            return self.flows.of(record)
        except FlowValidationError as exc:
            self._broken.add(key)
            log.warning("flow %s.%s revision %d (tenant %s) does not load; %s are skipped: %s", *key[1:], key[0],
                        self.skipped, exc)
            return None
