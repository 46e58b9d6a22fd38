"""docker.Stop and docker.Rm against the real engine: the container a `docker.Run` with `wait: false` left running
(its id in `outputs.taskRunner.containerId`) is stopped or killed and removed; Rm removes containers and images."""

from __future__ import annotations

import pytest
from tests.integration.docker.conftest import Engine, Tasks

from legato.plugins.context import TaskFailed

_START = """
id: start
type: io.kestra.plugin.docker.Run
containerImage: ubuntu:22.04
commands: ["sleep", "60"]
wait: false
"""


def _start(tasks: Tasks, engine: Engine) -> str:
    outputs, ctx = tasks.run(_START)
    container: str = outputs["taskRunner"]["containerId"]
    running = [c["Id"] for c in engine.containers(io_legato_execution=ctx.execution.id) if c["State"] == "running"]
    assert running == [container]
    return container


def _exists(engine: Engine, container: str) -> bool:
    return engine.client().get(f"/containers/{container}/json").status_code == 200


def test_stop_kills_and_removes_the_container_run_left(tasks: Tasks, engine: Engine) -> None:
    container = _start(tasks, engine)
    try:
        tasks.run(f"id: stop\ntype: io.kestra.plugin.docker.Stop\ncontainerId: \"{container}\"\nkill: true\n")
        assert not _exists(engine, container)
    finally:
        if _exists(engine, container):
            engine.remove(container)


def test_stop_without_delete_keeps_the_stopped_container(tasks: Tasks, engine: Engine) -> None:
    container = _start(tasks, engine)
    try:
        tasks.run(f"id: stop\ntype: io.kestra.plugin.docker.cli.Stop\ncontainerId: \"{container}\"\nkill: true\ndelete: false\n")
        state = engine.client().get(f"/containers/{container}/json").json()["State"]
        assert state["Running"] is False
    finally:
        engine.remove(container)
    with pytest.raises(TaskFailed, match=r"(?i)no such container"):
        tasks.run(f"id: stop\ntype: io.kestra.plugin.docker.Stop\ncontainerId: \"{container}\"\n")


def test_rm_forces_a_running_container_out(tasks: Tasks, engine: Engine) -> None:
    container = _start(tasks, engine)
    try:
        tasks.run(f"id: rm\ntype: io.kestra.plugin.docker.Rm\ncontainerIds: [\"{container}\"]\nforce: true\n")
        assert not _exists(engine, container)
    finally:
        if _exists(engine, container):
            engine.remove(container)
    with pytest.raises(TaskFailed, match="nothing to remove"):
        tasks.run("id: rm\ntype: io.kestra.plugin.docker.Rm\n")
