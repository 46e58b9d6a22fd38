"""Chaos with containers: 200 script tasks in Docker containers on real worker processes, while executions are
killed and workers are killed with SIGKILL; afterwards no Legato container is left on the engine (the containers
of the dead workers are removed by the workers that start next)."""

from __future__ import annotations

import json
import random
import time
import uuid

import httpx
import pytest

from legato.clock import utcnow
from legato.model import state as st
from legato.model.state import State
from legato.runtime import actions
from legato.runtime.serialize import task_run_json
from legato.store.sql import SqlStore

from .harness import Cluster, kill9, wait_until

pytestmark = pytest.mark.slow

EXECUTIONS = 20
TASKS = 10  # 200 container tasks in all


def _flow(flow_id: str) -> str:
    tasks = "\n".join(f"""  - id: t{i}
    type: io.kestra.plugin.scripts.shell.Commands
    containerImage: ubuntu:22.04
    taskRunner:
      type: io.kestra.plugin.scripts.runner.docker.Docker
    commands: ["sleep {0.2 + (i % 4) * 0.3:.1f}; echo done {i}"]""" for i in range(TASKS))
    return f"id: {flow_id}\nnamespace: tests.chaos\ntasks:\n{tasks}\n"


def _legato_containers(host: str, flow_id: str) -> list[str]:
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://docker", timeout=30) as client:
        filters = json.dumps({"label": ["io.legato.managed=true", f"io.legato.flow={flow_id}"]})
        found = client.get("/containers/json", params={"all": "1", "filters": filters}).json()
    return [f"{c['Names'][0]} ({c['State']})" for c in found]


def test_killed_tasks_and_workers_leave_no_container(cluster: Cluster, store: SqlStore, docker_host: str) -> None:
    flow_id = f"chaos_{uuid.uuid4().hex[:8]}"
    cluster.settings["DOCKER_FALLBACK"] = "fail"  # a task must never slip out of its container
    record = actions.deploy(store, _flow(flow_id), now=utcnow())
    cluster.start("executor")
    workers = [cluster.start("worker", "--slots", "4") for _ in range(2)]
    ids = [actions.create_execution(store, record.namespace, record.id, {}, now=utcnow()).id for _ in range(EXECUTIONS)]
    rng = random.Random(17)
    killed_executions: set[str] = set()
    worker_kills = 0
    deadline = time.monotonic() + 240
    while not all(store.get_execution(i).state in st.TERMINAL for i in ids) and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(1.5)
        if rng.random() < 0.5:
            running = [i for i in ids if store.get_execution(i).state == State.RUNNING and i not in killed_executions]  # type: ignore[union-attr]
            if running:
                victim = rng.choice(running)
                actions.kill(store, victim)
                killed_executions.add(victim)
        elif worker_kills < 6:
            index = rng.randrange(len(workers))
            kill9(workers[index])
            workers[index] = cluster.start("worker", "--slots", "4")  # its start removes the dead one's containers
            worker_kills += 1
    wait_until(lambda: all(store.get_execution(i).state in st.TERMINAL for i in ids), 180, "every execution to end")
    states = [store.get_execution(i).state for i in ids]  # type: ignore[union-attr]
    assert worker_kills >= 3 and killed_executions, (worker_kills, killed_executions)
    assert states.count(State.SUCCESS) + states.count(State.KILLED) == EXECUTIONS, states
    done = [run for i in ids for run in store.task_runs(i) if run.state == State.SUCCESS]
    assert done and all(task_run_json(run)["attempts"][-1]["runner"] == "docker" for run in done)
    # A create request in flight when its worker died can land after the next worker's reaper looked: one more
    # worker start (as after any crash) removes it.
    cluster.start("worker", "--slots", "1")
    wait_until(lambda: not _legato_containers(docker_host, flow_id), 30,
               f"no container left (left: {_legato_containers(docker_host, flow_id)})")
    print(f"\n{len(done)} container tasks succeeded, {len(killed_executions)} executions killed, {worker_kills} workers killed")
