"""A polling trigger inside a real `legato server local`: files arriving in a watched directory start one
execution each; kill -9 of the server and a restart lose none and fire none twice."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from tests.e2e.local_server import start_local, wait_for

from legato.clock import utcnow
from legato.model.state import State
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store import open_store

pytestmark = pytest.mark.slow

FLOW = """
id: inbox
namespace: tests.sources
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "got {{{{ trigger.files[0].name }}}}"
triggers:
  - id: files
    type: io.kestra.plugin.fs.local.Trigger
    from: {incoming}
    interval: PT0.2S
    maxFiles: 1
    action: MOVE
    moveDirectory: {archive}
"""



def test_kill_9_and_restart_fire_each_file_once(tmp_path: Path) -> None:
    allowed = tmp_path / "files"
    incoming, archive = allowed / "incoming", allowed / "archive"
    incoming.mkdir(parents=True)
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    flow_service.deploy(store, FLOW.format(incoming=incoming, archive=archive), now=utcnow(), by=SYSTEM)
    for n in range(12):
        (incoming / f"{n:02d}.txt").write_text(str(n))

    def fired() -> list[str]:
        return [e.trigger["files"][0]["name"] for e in store.list_executions(namespace="tests.sources", limit=100)]  # type: ignore[index]

    server = start_local(tmp_path, {"LEGATO_LOCAL_FILES_ALLOWED": str(allowed)})
    try:
        wait_for(lambda: len(fired()) >= 4, 30)
        os.killpg(server.pid, signal.SIGKILL)  # mid-stream: files still waiting
        server.wait(10)
        assert len(fired()) < 12
        server = start_local(tmp_path, {"LEGATO_LOCAL_FILES_ALLOWED": str(allowed)})
        wait_for(lambda: len(fired()) == 12 and all(
            e.state == State.SUCCESS for e in store.list_executions(namespace="tests.sources", limit=100)), 60)
        time.sleep(1)
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        store.close()
    assert sorted(fired()) == [f"{n:02d}.txt" for n in range(12)]  # every file once
    assert sorted(p.name for p in archive.iterdir()) == [f"{n:02d}.txt" for n in range(12)]
    assert list(incoming.iterdir()) == []
