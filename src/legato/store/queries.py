"""Every named query of the store, built once per dialect (statements are reused, so SQLAlchemy compiles
each of them once)."""

from __future__ import annotations

from dataclasses import dataclass

from legato.store.apps import AppQueries
from legato.store.assets import AssetQueries
from legato.store.charts import ChartQueries
from legato.store.dashboards import DashboardQueries
from legato.store.deploy_journals import DeployJournalQueries
from legato.store.dialect import Dialect
from legato.store.events import EventQueries
from legato.store.executions import ExecutionQueries
from legato.store.flow_ends import EndQueries
from legato.store.flows import FlowQueries
from legato.store.jobs import JobQueries
from legato.store.kv import KVQueries
from legato.store.logs import LogQueries
from legato.store.purge import PurgeQueries
from legato.store.search import SearchQueries
from legato.store.task_runs import TaskRunQueries
from legato.store.test_suites import TestSuiteQueries
from legato.store.timers import TimerQueries
from legato.store.triggers import TriggerQueries


@dataclass(frozen=True)
class Queries:
    flows: FlowQueries
    executions: ExecutionQueries
    task_runs: TaskRunQueries
    events: EventQueries
    jobs: JobQueries
    timers: TimerQueries
    logs: LogQueries
    kv: KVQueries
    triggers: TriggerQueries
    search: SearchQueries
    purge: PurgeQueries
    ends: EndQueries  # the Flow trigger's outbox
    test_suites: TestSuiteQueries
    dashboards: DashboardQueries
    charts: ChartQueries
    apps: AppQueries
    assets: AssetQueries
    deploy_journals: DeployJournalQueries

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> Queries:
        return cls(
            flows=FlowQueries(dialect), executions=ExecutionQueries(dialect), task_runs=TaskRunQueries(dialect),
            events=EventQueries(dialect), jobs=JobQueries(dialect), timers=TimerQueries(dialect),
            logs=LogQueries(), kv=KVQueries(dialect), triggers=TriggerQueries(dialect),
            search=SearchQueries(dialect), purge=PurgeQueries(), ends=EndQueries(dialect),
            test_suites=TestSuiteQueries(dialect), dashboards=DashboardQueries(dialect), charts=ChartQueries(dialect),
            apps=AppQueries(dialect), assets=AssetQueries(dialect), deploy_journals=DeployJournalQueries(),
        )
