"""A server process's entry in the server registry: registered at start, heartbeated, marked stopped at
a clean exit. A process killed without warning keeps its old heartbeat and is listed as DEAD."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from datetime import datetime

from legato.aio import wait_any
from legato.model.ids import new_id
from legato.store.ports import ServerRecord, ServerRegistry

log = logging.getLogger("legato.presence")

RUNNING, DEAD, STOPPED = "RUNNING", "DEAD", "STOPPED"


def server_state(record: ServerRecord, now: datetime, dead_after_seconds: float) -> str:
    """RUNNING while heartbeats arrive, DEAD once they stop for `dead_after_seconds`, STOPPED after a clean exit."""
    if record.stopped is not None:
        return STOPPED
    if (now - record.heartbeat_at).total_seconds() > dead_after_seconds:
        return DEAD
    return RUNNING


class Presence:
    """Keeps this process's row in the `servers` table alive."""

    def __init__(self, store: ServerRegistry, roles: Sequence[str], clock: Callable[[], datetime], *,
                 interval_seconds: float = 5.0, worker_groups: Sequence[str | None] = (), slots: int | None = None,
                 server_id: str | None = None):
        self.store = store
        self.clock = clock
        self.interval_seconds = interval_seconds
        host = socket.gethostname()
        self.id = server_id or f"{host}:{os.getpid()}:{new_id()[:8]}"
        now = clock()
        self.record = ServerRecord(id=self.id, roles=tuple(roles), host=host, pid=os.getpid(),
                                   worker_groups=tuple(worker_groups), slots=slots, started=now, heartbeat_at=now)

    def register(self) -> None:
        """Insert this process's row (call once the database is migrated)."""
        self.store.register_server(self.record)

    async def run(self, stopping: asyncio.Event) -> None:
        """Heartbeat until `stopping`; re-register when the row was forgotten meanwhile."""
        while not stopping.is_set():
            await wait_any(asyncio.sleep(self.interval_seconds), stopping)
            if stopping.is_set():
                return
            alive = await asyncio.to_thread(self.store.server_heartbeat, self.id, self.clock())
            if not alive:
                log.warning("server %s was missing from the registry; registering again", self.id)
                self.record = _refreshed(self.record, self.clock())
                await asyncio.to_thread(self.store.register_server, self.record)

    def stopped(self) -> None:
        """Mark the row of a clean shutdown."""
        self.store.server_stopped(self.id, self.clock())


def _refreshed(record: ServerRecord, now: datetime) -> ServerRecord:
    return ServerRecord(id=record.id, roles=record.roles, host=record.host, pid=record.pid,
                        worker_groups=record.worker_groups, slots=record.slots, started=record.started,
                        heartbeat_at=now)
