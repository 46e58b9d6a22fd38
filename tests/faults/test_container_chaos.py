"""Chaos with containers: 200 script tasks in Docker containers on real worker processes, while executions are
killed and workers are killed with SIGKILL; afterwards no Legato container is left on the engine (the containers
of the dead workers are removed by the workers that start next). The executions wait at a gate (a Pause) half
way and are let through in waves, one per round of chaos and the last after it, so every round hits live work."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest

from legato.api.serialize import task_run_dto
from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.services import executions as execution_service
from legato.services import flows as flow_service
from legato.services.principal import SYSTEM
from legato.store.sql import SqlStore

from .harness import Cluster, Waves, kill9, wait_until

pytestmark = pytest.mark.slow

EXECUTIONS = 20
TASKS = 10  # 200 container tasks in all
GATE = "  - id: gate\n    type: io.kestra.plugin.core.flow.Pause"
# Each round: release a wave, then kill a worker or one of the wave's executions (at least 3.1 s of sleeps are
# left in each of them after the gate, so a victim is still running).
ROUNDS = ("worker", "execution", "worker", "execution", "worker", "execution", "worker")


def _flow(flow_id: str) -> str:
    tasks = [f"""  - id: t{i}
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ubuntu:22.04
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
    commands: ["sleep {0.2 + (i % 4) * 0.3:.1f}; echo done {i}"]""" for i in range(TASKS)]
    tasks.insert(TASKS // 2, GATE)
    return f"id: {flow_id}\nnamespace: tests.chaos\ntasks:\n" + "\n".join(tasks) + "\n"


def _legato_containers(host: str, flow_id: str) -> list[str]:
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://docker", timeout=30) as client:
        filters = json.dumps({"label": ["io.legato.managed=true", f"io.legato.flow={flow_id}"]})
        found = client.get("/containers/json", params={"all": "1", "filters": filters}).json()
    return [f"{c['Names'][0]} ({c['State']})" for c in found]


def test_killed_tasks_and_workers_leave_no_container(cluster: Cluster, store: SqlStore, docker_host: str) -> None:
    flow_id = f"chaos_{uuid.uuid4().hex[:8]}"
    cluster.settings["DOCKER_FALLBACK"] = "fail"  # a task must never slip out of its container
    record = flow_service.deploy(store, _flow(flow_id), now=utcnow(), by=SYSTEM)
    cluster.start("executor")
    workers = [cluster.start("worker", "--slots", "4") for _ in range(2)]
    ids = [execution_service.create_execution(store, record.namespace, record.id, {}, now=utcnow(), by=SYSTEM).id for _ in range(EXECUTIONS)]
    waves = Waves(store, ids, len(ROUNDS) + 1)
    killed_executions: set[str] = set()
    worker_kills = 0
    for round_number, action in enumerate(ROUNDS):
        wave = waves.release(timeout=180)
        wait_until(lambda: waves.moving(wave), 60, "the released wave to run again")  # noqa: B023
        time.sleep(1.5)  # its next containers are starting or running
        if action == "execution":
            running = [i for i in wave if store.get_execution(i).state == State.RUNNING]  # type: ignore[union-attr]
            assert running, f"round {round_number}: no execution of the released wave runs"
            execution_service.kill(store, running[0], by=SYSTEM)
            killed_executions.add(running[0])
        else:
            index = round_number % len(workers)
            kill9(workers[index])
            workers[index] = cluster.start("worker", "--slots", "4")  # its start removes the dead one's containers
            worker_kills += 1
    waves.release(timeout=180)
    wait_until(lambda: all(store.get_execution(i).state in st.TERMINAL for i in ids), 180, "every execution to end")
    states = [store.get_execution(i).state for i in ids]  # type: ignore[union-attr]
    assert worker_kills == 4 and len(killed_executions) == 3, (worker_kills, killed_executions)
    assert states.count(State.SUCCESS) + states.count(State.KILLED) == EXECUTIONS, states
    done = [run for i in ids for run in store.task_runs(i) if run.state == State.SUCCESS and run.task_id != "gate"]
    assert done and all(task_run_dto(run).attempts[-1].runner == "docker" for run in done)
    # A create request in flight when its worker died can land after the next worker's reaper looked: one more
    # worker start (as after any crash) removes it.
    cluster.start("worker", "--slots", "1")
    wait_until(lambda: not _legato_containers(docker_host, flow_id), 30,
               f"no container left (left: {_legato_containers(docker_host, flow_id)})")
    print(f"\n{len(done)} container tasks succeeded, {len(killed_executions)} executions killed, {worker_kills} workers killed")
