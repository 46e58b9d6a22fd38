"""Metrics and logs of real server processes: the webserver, executor and worker roles each in its own process on
one PostgreSQL database, sharing a PROMETHEUS_MULTIPROC_DIR; a 3-task flow runs; `/metrics`, read with
prometheus-client's own parser, counts the execution the executor ended and the attempts the worker ran, and the
worker's JSON log lines name the execution and task runs; the worker answers its own probes on `probe_port`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from tests.services import pg_database

LEGATO = str(Path(sys.executable).with_name("legato"))
DASHBOARD = Path(__file__).parents[2] / "deploy" / "grafana" / "legato.json"
NS = "tests.observability"
FLOW = f"""
id: three
namespace: {NS}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
  - id: trace
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - 'echo "::{{\\"outputs\\": {{\\"traceparent\\": \\"$TRACEPARENT\\"}}}}::"'
  - id: done
    type: io.kestra.plugin.core.debug.Return
    format: ok
"""


@dataclass
class Role:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)


@dataclass
class Cluster:
    url: str
    roles: dict[str, Role]
    env: dict[str, str]
    root: Path
    execution: dict[str, Any]


def _start(role: str, root: Path, env: dict[str, str], name: str | None = None) -> Role:
    log = root / f"{name or role}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen([LEGATO, "--log-level", "INFO", "server", role], stdout=subprocess.DEVNULL,
                                stderr=sink, start_new_session=True, env=env)
    return Role(name or role, proc, log)


def _url(role: Role, what: str = "API", timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(what + r" on (http://\S+)", role.log.read_text())
        if found:
            return found.group(1)
        assert role.proc.poll() is None, role.log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"the {role.name} never listened: {role.log.read_text()}")


# The module fixture (separate role processes) is built once: its tests stay on one xdist worker.
pytestmark = pytest.mark.xdist_group("observability")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("observability")
    (root / "prometheus").mkdir()
    for url in pg_database("legato_observability"):
        env = {**os.environ, "LEGATO_DATABASE_URL": url, "LEGATO_DATA_DIR": str(root / "data"), "LEGATO_PORT": "0",
               "LEGATO_POLL_SECONDS": "0.2", "PROMETHEUS_MULTIPROC_DIR": str(root / "prometheus"),
               "LEGATO_WORKER_SLOTS": "3"}
        roles = {"webserver": _start("webserver", root, env),
                 "executor": _start("executor", root, {**env, "LEGATO_LOGGING__FORMAT": "json"}),
                 "worker": _start("worker", root, {**env, "LEGATO_LOGGING__FORMAT": "json", "LEGATO_PROBE_PORT": "0"})}
        try:
            url = _url(roles["webserver"])
            yield Cluster(url, roles, env, root, _run_flow(url))
        finally:
            for role in roles.values():
                role.stop()


def _run_flow(url: str) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as client:
        deployed = client.post("/api/v1/main/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"})
        assert deployed.status_code == 200, deployed.text
        execution: dict[str, Any] = client.post(f"/api/v1/main/executions/{NS}/three", params={"wait": True}).json()
    assert execution["state"]["current"] == "SUCCESS", execution
    return execution


def _samples(client: httpx.Client) -> list[Sample]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return [s for family in text_string_to_metric_families(response.text) for s in family.samples]


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert found, f"no sample {name} {labels}"
    return sum(found)


def test_metrics_of_separate_role_processes_add_up(cluster: Cluster) -> None:
    execution = cluster.execution
    with httpx.Client(base_url=cluster.url, timeout=60) as client:
        samples = _samples(client)
        assert client.get("/ready").json() == {"status": "UP", "database": "UP", "schema": "UP"}
    # the executor's process ended the execution, the worker's ran the tasks; the webserver shows both
    assert _value(samples, "legato_executions_total", state="SUCCESS", namespace=NS) == 1
    assert _value(samples, "legato_execution_duration_seconds_count", state="SUCCESS", namespace=NS) == 1
    for task_type in ("io.kestra.plugin.core.log.Log", "io.kestra.plugin.scripts.shell.Commands",
                      "io.kestra.plugin.core.debug.Return"):
        assert _value(samples, "legato_task_duration_seconds_count", namespace=NS, task_type=task_type,
                      state="SUCCESS") == 1, task_type
        assert _value(samples, "legato_task_duration_seconds_bucket", namespace=NS, task_type=task_type,
                      le="+Inf") == 1
    assert _value(samples, "legato_task_duration_seconds_sum", namespace=NS) > 0
    assert _value(samples, "legato_worker_slots") == 3
    assert _value(samples, "legato_worker_slots_busy") == 0
    assert _value(samples, "legato_executions_in_state", state="SUCCESS") >= 1
    assert _value(samples, "legato_db_pool_limit") > 0
    assert _value(samples, "legato_http_requests_total", method="POST", route="/api/v1/{tenant}/flows",
                  status="200") == 1
    assert _value(samples, "legato_http_request_duration_seconds_count", method="POST",
                  route="/api/v1/{tenant}/executions/{namespace}/{id}") == 1
    # the worker wrote JSON lines, those about the attempts naming the execution and the task run
    lines = cluster.roles["worker"].lines()
    assert not [line for line in lines if re.match(r"\d{4}-\d\d-\d\d .* (INFO|WARNING|ERROR) ", line)]  # no text log
    records = [json.loads(line) for line in lines if line.startswith("{")]  # the rest: the CLI's notices
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    ended = [r for r in records if r["logger"] == "legato.telemetry" and r.get("execution_id") == execution["id"]]
    task_runs = {run["id"] for run in execution["taskRunList"]}
    assert {r["task_run_id"] for r in ended} == task_runs
    assert all(r["level"] == "INFO" and "ended SUCCESS" in r["message"] for r in ended)
    # the executor's line about the execution's end names it
    executor = [json.loads(line) for line in cluster.roles["executor"].lines() if line.startswith("{")]
    assert [r["message"] for r in executor if r.get("execution_id") == execution["id"]] == [
        f"execution {execution['id']} of {NS}.three ended SUCCESS"]


def test_the_worker_answers_its_own_probes(cluster: Cluster) -> None:
    with httpx.Client(base_url=_url(cluster.roles["worker"], "probes"), timeout=60) as probes:
        assert probes.get("/health").json() == {"status": "UP", "database": "UP"}
        assert probes.get("/ready").json() == {"status": "UP", "database": "UP", "schema": "UP"}
        samples = _samples(probes)
        assert probes.get("/api/v1/configs").status_code == 404  # the probes, not the API
    assert _value(samples, "legato_worker_slots") == 3
    assert _value(samples, "legato_task_duration_seconds_count", namespace=NS) == 3


def test_a_running_task_holds_a_worker_slot(cluster: Cluster) -> None:
    ns = f"{NS}.busy"
    source = (f"id: busy\nnamespace: {ns}\ntasks:\n  - id: nap\n    type: io.kestra.plugin.scripts.shell.Commands\n"
              "    commands:\n      - sleep 4\n")
    with httpx.Client(base_url=cluster.url, timeout=60) as client:
        assert client.post("/api/v1/main/flows", content=source, headers={"Content-Type": "application/x-yaml"}).is_success
        execution = client.post(f"/api/v1/main/executions/{ns}/busy").json()
        _wait(lambda: _value(_samples(client), "legato_worker_slots_busy") == 1, "the task to take a slot")
        _wait(lambda: client.get(f"/api/v1/main/executions/{execution['id']}").json()["state"]["current"] == "SUCCESS",
              "the execution to end")
        samples = _samples(client)
    assert _value(samples, "legato_worker_slots_busy") == 0
    assert _value(samples, "legato_task_duration_seconds_sum", namespace=ns) >= 4
    assert _value(samples, "legato_task_duration_seconds_bucket", namespace=ns, le="2.5") == 0
    assert _value(samples, "legato_task_duration_seconds_bucket", namespace=ns, le="5.0") == 1


def test_the_grafana_dashboard_queries_only_exported_metrics(cluster: Cluster) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    queries = [t["expr"] for p in panels for t in p["targets"]]
    queries += [v["definition"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
    used = {name for q in queries for name in re.findall(r"\blegato_[a-z_]+", q)}
    with httpx.Client(base_url=cluster.url, timeout=60) as client:
        exported = {s.name for s in _samples(client)}
    assert used - exported == set()
    assert len(used) >= 16  # every family of legato.telemetry and of the store's figures is on a panel


def test_a_stopped_worker_leaves_the_live_gauges(cluster: Cluster) -> None:
    extra = _start("worker", cluster.root, {**cluster.env, "LEGATO_WORKER_SLOTS": "2", "LEGATO_PROBE_PORT": "0"},
                   name="second-worker")
    try:
        _url(extra, "probes")
        with httpx.Client(base_url=cluster.url, timeout=60) as client:
            _wait(lambda: _value(_samples(client), "legato_worker_slots") == 5, "the second worker's slots")
            extra.stop()
            samples = _samples(client)
    finally:
        extra.stop()
    assert _value(samples, "legato_worker_slots") == 3
    # counters of a stopped process stay: a scrape never sees a total go back
    assert _value(samples, "legato_task_duration_seconds_count", namespace=NS) == 3


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
