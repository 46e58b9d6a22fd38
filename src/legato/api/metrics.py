"""What `/metrics` adds to the process's own metrics (legato.telemetry.metrics): figures read from the database
when Prometheus scrapes, so they are true for the whole installation whichever API replica answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from legato.model.state import State
from legato.store.ports import ExecutionFilter, ExecutionStore, FlowReader, JobQueue, PoolStatus, QueueDepth


class MetricsPorts(FlowReader, ExecutionStore, JobQueue, Protocol):
    """What the scrape reads: live flows, executions by state and the event backlog, the job queue, the pool."""

    def pool_status(self) -> PoolStatus: ...


class StoreCollector(Collector):
    """Executions by state, live flows, the job queue (depth, running, oldest age), the executor's event backlog and
    this process's pool."""

    def __init__(self, store: MetricsPorts, clock: Callable[[], datetime]):
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        yield from self._executions()
        yield from self._queue()
        yield from self._pool()

    def _executions(self) -> Iterator[Metric]:
        counts = {State(c.key[0]): c.count for c in self.store.count_executions(ExecutionFilter(), ["state"])}
        states = GaugeMetricFamily("legato_executions_in_state", "Stored executions in each state.", labels=["state"])
        for state in State:
            states.add_metric([state.value], counts.get(state, 0))
        yield states
        flows = GaugeMetricFamily("legato_flows", "Live flows, by namespace.", labels=["namespace"])
        for namespace, n in sorted(Counter(f.namespace for f in self.store.list_flows()).items()):
            flows.add_metric([namespace], n)
        yield flows

    def _queue(self) -> Iterator[Metric]:
        labels = ["worker_group"]
        depth = GaugeMetricFamily("legato_queue_depth", "Task attempts waiting for a worker, by worker group.",
                                  labels=labels)
        running = GaugeMetricFamily("legato_queue_running", "Task attempts leased to a worker, by worker group.",
                                    labels=labels)
        age = GaugeMetricFamily("legato_queue_oldest_age_seconds",
                                "How long the oldest waiting task attempt has waited, by worker group.", labels=labels)
        now = self.clock()
        groups = {g.worker_group: g for g in self.store.queue_depth()}
        # the default group is always there: an empty queue reads 0, not "no data" (autoscalers act on it)
        groups.setdefault(None, QueueDepth(None, 0, 0, None))
        for group in groups.values():
            name = [group.worker_group or ""]
            depth.add_metric(name, group.waiting)
            running.add_metric(name, group.running)
            oldest = group.oldest_waiting
            age.add_metric(name, max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0)
        yield from (depth, running, age)
        pending, oldest_event = self.store.event_backlog()
        yield GaugeMetricFamily("legato_executor_events_pending", "Events (task results, timers, kills...) waiting for "
                                "an executor.", value=pending)
        yield GaugeMetricFamily("legato_executor_events_oldest_age_seconds", "How long the oldest waiting event has "
                                "waited.", value=max((now - oldest_event).total_seconds(), 0.0) if oldest_event else 0.0)

    def _pool(self) -> Iterator[Metric]:
        pool = self.store.pool_status()
        yield GaugeMetricFamily("legato_db_pool_size", "Connections the API process's pool keeps.", value=pool.size)
        yield GaugeMetricFamily("legato_db_pool_checked_out", "Connections of the API process in use now.",
                                value=pool.checked_out)
        yield GaugeMetricFamily("legato_db_pool_overflow", "Connections open beyond the pool's size.",
                                value=pool.overflow)
        yield GaugeMetricFamily("legato_db_pool_limit", "Most connections the API process may open.",
                                value=pool.limit)
