"""Prometheus metrics of a Legato process, through prometheus-client.

The roles update the process's metrics below; `exposition` renders them for `/metrics` with the collectors the
caller adds (the figures read from the database at scrape time). When PROMETHEUS_MULTIPROC_DIR is set before the
process starts, every process of the host writes its values there and any of them exposes the sum (gauges as
their documented multi-process mode says), as prometheus-client's multi-process mode does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

# A `_created` series per counter doubles the output for a timestamp nobody graphs.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

# Tasks run from milliseconds (a Log) to hours (a dbt build): buckets cover both ends.
TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

EXECUTIONS = Counter("legato_executions", "Executions that reached a terminal state, by state and namespace.",
                     ["state", "namespace"])
EXECUTION_DURATION = Histogram("legato_execution_duration_seconds",
                               "Time from creation to the end of executions, by state and namespace.",
                               ["state", "namespace"], buckets=TASK_BUCKETS)
TASK_DURATION = Histogram("legato_task_duration_seconds", "Time task attempts ran on a worker, by outcome.",
                          ["namespace", "flow_id", "task_type", "state"], buckets=TASK_BUCKETS)
WORKER_SLOTS_BUSY = Gauge("legato_worker_slots_busy", "Worker slots running a task attempt now.",
                          multiprocess_mode="livesum")
WORKER_SLOTS = Gauge("legato_worker_slots", "Worker slots (tasks the running workers may run at once).",
                     multiprocess_mode="livesum")
SCHEDULER_LAG = Gauge("legato_scheduler_lag_seconds",
                      "How late the last scheduled fire was evaluated after its due date.", multiprocess_mode="livemax")
SCHEDULER_FIRES = Counter("legato_scheduler_fires", "Schedule fires evaluated, by outcome.", ["outcome"])
HTTP_REQUESTS = Counter("legato_http_requests", "HTTP requests served, by method, route and status.",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("legato_http_request_duration_seconds", "Time to answer HTTP requests.",
                          ["method", "route"], buckets=HTTP_BUCKETS)


def multiprocess_dir() -> str | None:
    """The shared directory of multi-process mode, when the process started with one."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition(collectors: Iterable[Collector] = ()) -> bytes:
    """This process's metrics (or, in multi-process mode, the sum over the host's processes) and the given
    collectors', in Prometheus's text format."""
    if multiprocess_dir():
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared)  # type: ignore[no-untyped-call]
        text = prometheus_client.generate_latest(shared)
    else:
        text = prometheus_client.generate_latest(prometheus_client.REGISTRY)
    own = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        own.register(collector)
    return text + prometheus_client.generate_latest(own)


def process_stopped(pid: int | None = None) -> None:
    """Drop a stopped process's live gauges from the multi-process sums (nothing to do otherwise)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid if pid is not None else os.getpid())  # type: ignore[no-untyped-call]
