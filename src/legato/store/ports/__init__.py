"""The store's ports: what the rest of Legato may ask of the database, by intent, one protocol per aggregate.
One SQL implementation serves SQLite and PostgreSQL (legato.store.sql, composing one object per aggregate);
the contract suite in tests/contract/ runs against both.

A consumer names the ports it uses (a worker a JobQueue, the flow services a FlowStore...) in a protocol of its
own, listing the ports (never another consumer's protocol) in the order of `Store`'s bases: any two such protocols
then combine with a consistent method resolution order. `Store`, the union of them all, is for the composition
root (legato.server.compose) and the tools that wire everything.
All times are passed in (`now`) from the caller's clock, so tests can move time.
Every method is one short transaction unless it says otherwise.
"""

from __future__ import annotations

from typing import Protocol

from legato.store.ports.apps import AppRecord, AppStore
from legato.store.ports.assets import (
    AssetEvent,
    AssetFilter,
    AssetLineage,
    AssetRecord,
    AssetStore,
    AssetUsage,
)
from legato.store.ports.dashboards import (
    ChartQueryError,
    ChartRows,
    ChartWindow,
    DashboardRecord,
    DashboardStore,
)
from legato.store.ports.deploys import DeployJournal, DeployJournalStore, FileMove, JournalAbandoned
from legato.store.ports.executions import (
    CountKey,
    ExecutionCount,
    ExecutionFilter,
    ExecutionReader,
    ExecutionSort,
    ExecutionStore,
    StoredEvent,
    Timers,
    Tx,
)
from legato.store.ports.flows import (
    FlowReader,
    FlowRecord,
    FlowSave,
    FlowStore,
    SuiteSave,
    SuiteStore,
    TestResultRecord,
    TestSuiteRecord,
)
from legato.store.ports.governance import (
    AuditEntry,
    AuditFilter,
    AuditLog,
    AuditRecord,
    Governance,
    SecretRecord,
    SecretStore,
)
from legato.store.ports.identity import IdentityStore
from legato.store.ports.jobs import ClaimedJob, Job, JobQueue, QueueDepth
from legato.store.ports.kv import KVEntry, KVStore
from legato.store.ports.logs import LogFilter, LogStore, StoredLog
from legato.store.ports.servers import (
    DatabaseClock,
    PoolStatus,
    PurgeCount,
    Retention,
    ServerRecord,
    ServerRegistry,
)
from legato.store.ports.tenants import MAIN, TenantInUse, TenantRecord, TenantStore
from legato.store.ports.triggers import (
    BackfillState,
    BackfillStore,
    EndTx,
    ExecutionEnd,
    ExecutionEnds,
    FireOutcome,
    PreconditionState,
    SourceLease,
    TriggerFire,
    TriggerKey,
    TriggerLeases,
    TriggerState,
    TriggerStore,
)


class Wakeups(Protocol):
    """Cross-service nudges: 'events' (executor), 'jobs' (workers), 'timers' (timer loop)."""

    def notify(self, channel: str) -> None: ...

    async def wait(self, channel: str, timeout: float) -> bool:
        """Wait until `channel` is notified or `timeout` seconds pass; True when notified."""
        ...


class Notifying(Protocol):
    """The store's wake-ups, for the loops that sleep until a write they wait for commits."""

    @property
    def wakeups(self) -> Wakeups: ...


class Store(FlowStore, SuiteStore, ExecutionStore, JobQueue, LogStore, KVStore, TriggerStore, TriggerLeases,
            BackfillStore, ExecutionEnds, ServerRegistry, Retention, Governance, IdentityStore, DashboardStore,
            DeployJournalStore, AppStore, AssetStore, TenantStore, Notifying, Protocol):
    """Every port at once: for the composition root, which hands each consumer the ports it uses."""

    def migrate(self) -> None:
        """Bring the schema to the latest revision (Alembic)."""
        ...

    def schema_at_head(self) -> bool:
        """Whether the database answers and its schema is at the newest revision this code ships."""
        ...

    def pool_status(self) -> PoolStatus:
        """The connection pool of this process, for metrics."""
        ...

    def close(self) -> None: ...


__all__ = [
    "MAIN",
    "AppRecord",
    "AppStore",
    "AssetEvent",
    "AssetFilter",
    "AssetLineage",
    "AssetRecord",
    "AssetStore",
    "AssetUsage",
    "AuditEntry",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "BackfillState",
    "BackfillStore",
    "ChartQueryError",
    "ChartRows",
    "ChartWindow",
    "ClaimedJob",
    "CountKey",
    "DashboardRecord",
    "DashboardStore",
    "DatabaseClock",
    "DeployJournal",
    "DeployJournalStore",
    "EndTx",
    "ExecutionCount",
    "ExecutionEnd",
    "ExecutionEnds",
    "ExecutionFilter",
    "ExecutionReader",
    "ExecutionSort",
    "ExecutionStore",
    "FileMove",
    "FireOutcome",
    "FlowReader",
    "FlowRecord",
    "FlowSave",
    "FlowStore",
    "Governance",
    "IdentityStore",
    "Job",
    "JobQueue",
    "JournalAbandoned",
    "KVEntry",
    "KVStore",
    "LogFilter",
    "LogStore",
    "Notifying",
    "PoolStatus",
    "PreconditionState",
    "PurgeCount",
    "QueueDepth",
    "Retention",
    "SecretRecord",
    "SecretStore",
    "ServerRecord",
    "ServerRegistry",
    "SourceLease",
    "Store",
    "StoredEvent",
    "StoredLog",
    "SuiteSave",
    "SuiteStore",
    "TenantInUse",
    "TenantRecord",
    "TenantStore",
    "TestResultRecord",
    "TestSuiteRecord",
    "Timers",
    "TriggerFire",
    "TriggerKey",
    "TriggerLeases",
    "TriggerState",
    "TriggerStore",
    "Tx",
    "Wakeups",
]
