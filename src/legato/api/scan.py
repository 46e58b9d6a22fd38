"""Reading executions in batches, newest first, for filters the store's `list_executions` does not take
(labels, dates) and for counts. Bounded: at most MAX_SCAN executions are looked at per request."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from legato.model.execution import Execution
from legato.model.state import State
from legato.store.ports import Store

BATCH = 500
MAX_SCAN = 20_000


def executions(store: Store, *, namespace: str | None = None, flow_id: str | None = None,
               states: Iterable[State] | None = None, since: datetime | None = None) -> Iterator[Execution]:
    """Executions matching the store-side filters, newest first, stopping before `since` or at MAX_SCAN."""
    wanted = list(states) if states is not None else None
    offset = 0
    while offset < MAX_SCAN:
        page = store.list_executions(namespace=namespace, flow_id=flow_id, states=wanted,
                                     limit=min(BATCH, MAX_SCAN - offset), offset=offset)
        for execution in page:
            if since is not None and execution.created < since:
                return
            yield execution
        if len(page) < BATCH:
            return
        offset += len(page)
