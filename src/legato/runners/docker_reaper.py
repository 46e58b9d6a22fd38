"""Which process owns a container, and removing the containers whose owner is gone.

Every container the docker runner starts is labelled with the worker process that started it (host, boot, pid
and the pid's start time, so a reused pid does not count as the owner). A worker that dies (killed, crashed)
cannot remove its containers; the next worker that starts on the same host, or the first container run in any
process, removes those whose owner no longer runs. Containers of other hosts are left to their own workers."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from pathlib import Path

from legato.runners.docker_api import EngineAddress, EngineClient, EngineError

log = logging.getLogger("legato.runners")

MANAGED = "io.legato.managed"  # every container of the runner and of the docker tasks
OWNER = "io.legato.owner"  # <host>/<boot id>/<pid>/<start time>
KEEP = "io.legato.keep"  # `delete: false`: the user asked to keep it
_reaped: set[str] = set()


def _boot_id() -> str:
    with contextlib.suppress(OSError):
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return "-"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); None when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def owner_label(pid: int | None = None) -> str:
    """This process's owner label."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{_boot_id()}/{pid}/{_start_time(pid) or '-'}"


def owner_alive(label: str) -> bool | None:
    """Whether the process named by an owner label still runs; None when it ran on another host."""
    try:
        host, boot, pid, started = label.split("/")
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    if boot != _boot_id() or not pid.isdigit():
        return False
    return _start_time(int(pid)) == started


def labels(extra: dict[str, str] | None = None, *, keep: bool = False) -> dict[str, str]:
    """The labels of a container started now by this process."""
    out = {MANAGED: "true", OWNER: owner_label(), **(extra or {})}
    if keep:
        out[KEEP] = "true"
    return out


async def reap(engine: EngineClient) -> list[str]:
    """Remove this host's Legato containers whose owner process is gone; returns their names."""
    filters = json.dumps({"label": [f"{MANAGED}=true"]})
    found = await engine.json("GET", "/containers/json", params={"all": "1", "filters": filters})
    removed = []
    for container in found or []:
        tags = container.get("Labels") or {}
        if tags.get(KEEP) == "true" or owner_alive(tags.get(OWNER, "")) is not False:
            continue
        with contextlib.suppress(EngineError):
            await engine.call("DELETE", f"/containers/{container['Id']}", params={"force": "1", "v": "1"})
            removed.append((container.get("Names") or ["/" + container["Id"][:12]])[0].lstrip("/"))
    if removed:
        log.warning("removed %d container(s) left by Legato workers that are gone: %s", len(removed), ", ".join(removed))
    return removed


async def reap_once(engine: EngineClient) -> None:
    """`reap` the first time this process uses an engine (a worker's start)."""
    key = str(engine.address)
    if key in _reaped:
        return
    _reaped.add(key)  # before the await: concurrent first runs reap once
    try:
        await reap(engine)
    except EngineError as exc:
        log.warning("could not look for orphaned containers at %s: %s", key, exc)


async def reap_at(address: EngineAddress) -> list[str]:
    """`reap` on the engine at `address`, if it answers (called when a worker starts)."""
    async with EngineClient(address, timeout=10.0) as engine:
        try:
            removed = await reap(engine)
        except EngineError:
            return []
        _reaped.add(str(address))
        return removed
