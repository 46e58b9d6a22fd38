"""The store contract: every behaviour of ports.Store that services rely on. Each backend's test module
subclasses StoreContract and provides a `store` fixture (a migrated, empty SqlStore)."""

from __future__ import annotations

from .contract_apps import AppContract
from .contract_assets import AssetContract
from .contract_backfills import BackfillContract
from .contract_batches import BatchContract
from .contract_dashboards import DashboardContract
from .contract_deploy_journals import DeployJournalContract
from .contract_events import EventContract
from .contract_executions import ExecutionContract
from .contract_fires import FireContract
from .contract_flow_ends import FlowEndContract
from .contract_flows import FlowContract
from .contract_governance import GovernanceContract
from .contract_identity import IdentityContract
from .contract_jobs import JobContract
from .contract_kv import KVContract
from .contract_leases import LeaseContract
from .contract_logs import LogContract
from .contract_operations import OperationsContract
from .contract_rollup import RollupContract
from .contract_schema import SchemaContract
from .contract_search import SearchContract
from .contract_tenants import TenantContract
from .contract_test_suites import SuiteContract, TransientExecutionContract
from .contract_timers import TimerContract
from .contract_trigger_tenants import TriggerTenantContract
from .contract_triggers import TriggerContract
from .contract_view import ViewContract
from .contract_wakeups import WakeupContract


class StoreContract(
    FlowContract, ExecutionContract, EventContract, ViewContract, JobContract, TimerContract, LogContract,
    KVContract, TriggerContract, WakeupContract, SchemaContract, SearchContract,
    OperationsContract, FireContract, LeaseContract, FlowEndContract, BackfillContract, BatchContract,
    SuiteContract, TransientExecutionContract, GovernanceContract,
    IdentityContract, DashboardContract, AppContract, AssetContract, RollupContract, TenantContract,
    TriggerTenantContract, DeployJournalContract,
):
    __test__ = False
