"""SqlStore: the one implementation of ports.Store, over SQLAlchemy Core, for SQLite and PostgreSQL.

It is made of one object per aggregate (legato.store.sql.flows (with the deploy journal), .executions, .jobs, .records, .triggers,
.servers, .governance, .identity, .dashboards, .apps, .assets, .tenants), all over one explicit `Database` (the connection pool, its dialect and the
wake-ups its commits owe) and one set of named queries; SqlStore builds them and binds their methods, so that it
is every port at once for the composition root, and each part is also reachable alone (`store.job_queue`...).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from legato.store import dialect as dialects
from legato.store import migrate as migrations
from legato.store import ports
from legato.store.audit import AuditQueries
from legato.store.backfills import BackfillQueries
from legato.store.database import Database
from legato.store.queries import Queries
from legato.store.sql.apps import SqlApps
from legato.store.sql.assets import SqlAssets
from legato.store.sql.dashboards import SqlDashboards
from legato.store.sql.executions import SqlExecutions
from legato.store.sql.flows import SqlDeployJournals, SqlFlows, SqlSuites
from legato.store.sql.governance import SqlAudit, SqlSecrets
from legato.store.sql.identity import SqlIdentity
from legato.store.sql.jobs import SqlJobs
from legato.store.sql.records import SqlKV, SqlLogs
from legato.store.sql.servers import SqlRetention, SqlServers
from legato.store.sql.tenants import SqlTenants
from legato.store.sql.triggers import SqlBackfills, SqlExecutionEnds, SqlTriggerLeases, SqlTriggers
from legato.store.wakeups import LocalWakeups, PgListener


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(url: str, *, clock: Callable[[], datetime] = utc_now, pool_size: int = 16) -> SqlStore:
    """A store on `sqlite:///path/to.db` (parent directories created) or `postgresql://user@host:port/db`.
    Call `migrate()` before first use."""
    return SqlStore(dialects.for_url(url), clock=clock, pool_size=pool_size)


class SqlStore:
    """ports.Store over SQL. Thread-safe: each call takes a pooled connection for one short transaction.
    `clock` stamps rows the ports give no time for (event and job creation)."""

    def __init__(self, dialect: dialects.Dialect, *, clock: Callable[[], datetime] = utc_now, pool_size: int = 16):
        self.wakeups = LocalWakeups()
        self._db = db = Database(dialect, self.wakeups, pool_size=pool_size)
        q = Queries.for_dialect(dialect)
        backfills = BackfillQueries(dialect)
        audit = AuditQueries()
        self.flow_store: ports.FlowStore = SqlFlows(db, q)
        self.suite_store: ports.SuiteStore = SqlSuites(db, q)
        self.deploy_journal_store: ports.DeployJournalStore = SqlDeployJournals(db, q)
        self.execution_store: ports.ExecutionStore = SqlExecutions(db, q, clock)
        self.job_queue: ports.JobQueue = SqlJobs(db, q, clock)
        self.log_store: ports.LogStore = SqlLogs(db, q)
        self.kv_store: ports.KVStore = SqlKV(db, q, clock)
        self.trigger_store = SqlTriggers(db, q, clock, backfills)
        self.trigger_leases: ports.TriggerLeases = SqlTriggerLeases(db)
        self.backfill_store: ports.BackfillStore = SqlBackfills(db, backfills)
        self.execution_ends: ports.ExecutionEnds = SqlExecutionEnds(db, q, self.trigger_store)
        self.server_registry: ports.ServerRegistry = SqlServers(db)
        self.retention: ports.Retention = SqlRetention(db, audit)
        self.secret_store: ports.SecretStore = SqlSecrets(db, audit)
        self.audit_log: ports.AuditLog = SqlAudit(db, audit)
        self.identity_store: ports.IdentityStore = SqlIdentity(db)
        self.dashboard_store: ports.DashboardStore = SqlDashboards(db, q)
        self.app_store: ports.AppStore = SqlApps(db, q)
        self.asset_store: ports.AssetStore = SqlAssets(db, q)
        self.tenant_store: ports.TenantStore = SqlTenants(db)
        self._bind_flow_store(self.flow_store)
        self._bind_suite_store(self.suite_store)
        self._bind_deploy_journal_store(self.deploy_journal_store)
        self._bind_execution_store(self.execution_store)
        self._bind_job_queue(self.job_queue)
        self._bind_log_store(self.log_store)
        self._bind_kv_store(self.kv_store)
        self._bind_trigger_store(self.trigger_store)
        self._bind_trigger_leases(self.trigger_leases)
        self._bind_backfill_store(self.backfill_store)
        self._bind_execution_ends(self.execution_ends)
        self._bind_server_registry(self.server_registry)
        self._bind_retention(self.retention)
        self._bind_secret_store(self.secret_store)
        self._bind_audit_log(self.audit_log)
        self._bind_identity_store(self.identity_store)
        self._bind_dashboard_store(self.dashboard_store)
        self._bind_app_store(self.app_store)
        self._bind_asset_store(self.asset_store)
        self._bind_tenant_store(self.tenant_store)
        self._listener: PgListener | None = None
        if isinstance(dialect, dialects.PostgresDialect):
            self._listener = PgListener(_libpq_conninfo(dialect.url), self.wakeups)
            self.wakeups.on_first_wait(self._listener.start)

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._db.dialect.name

    @property
    def concurrent_writers(self) -> bool:
        return self._db.dialect.concurrent_writers

    @property
    def database(self) -> Database:
        """The connection handling (for tests and tools that need raw SQL access)."""
        return self._db

    def migrate(self) -> None:
        migrations.upgrade(self._db)

    def schema_at_head(self) -> bool:
        return migrations.at_head(self._db)

    def pool_status(self) -> ports.PoolStatus:
        pool = self._db.engine.pool
        size, out, over = (getattr(pool, name, lambda: 0)() for name in ("size", "checkedout", "overflow"))
        return ports.PoolStatus(size=size, checked_out=out, overflow=max(over, 0),
                                limit=size + getattr(pool, "_max_overflow", 0))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self._db.dispose()

    # Each port's methods, bound once: a call costs no more than on the part itself.
    def _bind_flow_store(self, part: ports.FlowStore) -> None:
        self.save_flow = part.save_flow
        self.get_flow = part.get_flow
        self.list_flows = part.list_flows
        self.every_tenant_flows = part.every_tenant_flows
        self.delete_flow = part.delete_flow
        self.replace_flows = part.replace_flows
        self.flow_revisions = part.flow_revisions

    def _bind_suite_store(self, part: ports.SuiteStore) -> None:
        self.save_test_suite = part.save_test_suite
        self.get_test_suite = part.get_test_suite
        self.list_test_suites = part.list_test_suites
        self.delete_test_suite = part.delete_test_suite
        self.add_test_result = part.add_test_result
        self.get_test_result = part.get_test_result
        self.test_results = part.test_results

    def _bind_deploy_journal_store(self, part: ports.DeployJournalStore) -> None:
        self.open_deploy_journal = part.open_deploy_journal
        self.abandon_deploy_journals = part.abandon_deploy_journals
        self.deploy_journals = part.deploy_journals
        self.delete_deploy_journal = part.delete_deploy_journal

    def _bind_execution_store(self, part: ports.ExecutionStore) -> None:
        self.create_execution = part.create_execution
        self.get_execution = part.get_execution
        self.task_runs = part.task_runs
        self.read_view = part.read_view
        self.list_executions = part.list_executions
        self.search_executions = part.search_executions
        self.count_executions = part.count_executions
        self.delete_execution = part.delete_execution
        self.send_event = part.send_event
        self.event_backlog = part.event_backlog
        self.process_next_event = part.process_next_event
        self.process_events = part.process_events
        self.fire_due_timers = part.fire_due_timers
        self.next_timer_at = part.next_timer_at

    def _bind_job_queue(self, part: ports.JobQueue) -> None:
        self.claim_jobs = part.claim_jobs
        self.claim_loaded = part.claim_loaded
        self.heartbeat = part.heartbeat
        self.finish_job = part.finish_job
        self.finish_jobs = part.finish_jobs
        self.finish_and_process = part.finish_and_process
        self.expire_leases = part.expire_leases
        self.queue_depth = part.queue_depth
        self.release_jobs = part.release_jobs

    def _bind_log_store(self, part: ports.LogStore) -> None:
        self.append_logs = part.append_logs
        self.logs = part.logs
        self.logs_after = part.logs_after
        self.search_logs = part.search_logs
        self.delete_logs = part.delete_logs

    def _bind_kv_store(self, part: ports.KVStore) -> None:
        self.kv_get = part.kv_get
        self.kv_set = part.kv_set
        self.kv_delete = part.kv_delete
        self.kv_list = part.kv_list
        self.kv_purge = part.kv_purge

    def _bind_trigger_store(self, part: SqlTriggers) -> None:
        self.trigger_states = part.trigger_states
        self.get_trigger_state = part.get_trigger_state
        self.set_trigger_disabled = part.set_trigger_disabled
        self.unlock_trigger = part.unlock_trigger
        self.set_trigger_error = part.set_trigger_error
        self.fire_trigger = part.fire_trigger
        self.advance_trigger = part.advance_trigger
        self.prune_trigger_fires = part.prune_trigger_fires
        self.restart_trigger = part.restart_trigger

    def _bind_trigger_leases(self, part: ports.TriggerLeases) -> None:
        self.claim_trigger_lease = part.claim_trigger_lease
        self.renew_trigger_leases = part.renew_trigger_leases
        self.release_trigger_leases = part.release_trigger_leases

    def _bind_backfill_store(self, part: ports.BackfillStore) -> None:
        self.backfills = part.backfills
        self.get_backfill = part.get_backfill
        self.create_backfill = part.create_backfill
        self.set_backfill_paused = part.set_backfill_paused
        self.delete_backfill = part.delete_backfill
        self.advance_backfill = part.advance_backfill

    def _bind_execution_ends(self, part: ports.ExecutionEnds) -> None:
        self.process_next_end = part.process_next_end
        self.pending_ends = part.pending_ends
        self.discard_ends = part.discard_ends
        self.get_precondition = part.get_precondition
        self.reset_precondition = part.reset_precondition

    def _bind_server_registry(self, part: ports.ServerRegistry) -> None:
        self.register_server = part.register_server
        self.database_time = part.database_time
        self.server_heartbeat = part.server_heartbeat
        self.server_stopped = part.server_stopped
        self.list_servers = part.list_servers
        self.forget_servers = part.forget_servers

    def _bind_retention(self, part: ports.Retention) -> None:
        self.purge_executions = part.purge_executions
        self.purge_logs = part.purge_logs
        self.purge_audit = part.purge_audit

    def _bind_secret_store(self, part: ports.SecretStore) -> None:
        self.secret_get = part.secret_get
        self.secret_nearest = part.secret_nearest
        self.secrets_of = part.secrets_of
        self.secret_put = part.secret_put
        self.secret_delete = part.secret_delete
        self.secrets_reseal = part.secrets_reseal

    def _bind_audit_log(self, part: ports.AuditLog) -> None:
        self.audit_append = part.audit_append
        self.audited = part.audited
        self.audit_search = part.audit_search

    def _bind_identity_store(self, part: ports.IdentityStore) -> None:
        self.create_account = part.create_account
        self.get_account = part.get_account
        self.account_by_name = part.account_by_name
        self.account_by_name_folded = part.account_by_name_folded
        self.account_by_external_id = part.account_by_external_id
        self.account_by_email = part.account_by_email
        self.list_accounts = part.list_accounts
        self.count_accounts = part.count_accounts
        self.update_account = part.update_account
        self.delete_account = part.delete_account
        self.create_group = part.create_group
        self.list_groups = part.list_groups
        self.get_group = part.get_group
        self.update_group = part.update_group
        self.delete_group = part.delete_group
        self.add_group_member = part.add_group_member
        self.remove_group_member = part.remove_group_member
        self.group_members = part.group_members
        self.groups_of = part.groups_of
        self.create_role = part.create_role
        self.list_roles = part.list_roles
        self.update_role = part.update_role
        self.delete_role = part.delete_role
        self.create_binding = part.create_binding
        self.list_bindings = part.list_bindings
        self.delete_binding = part.delete_binding
        self.binding_tenants = part.binding_tenants
        self.create_token = part.create_token
        self.get_token = part.get_token
        self.list_tokens = part.list_tokens
        self.touch_token = part.touch_token
        self.revoke_token = part.revoke_token
        self.create_session = part.create_session
        self.get_session = part.get_session
        self.delete_session = part.delete_session
        self.delete_sessions = part.delete_sessions
        self.create_scim_integration = part.create_scim_integration
        self.get_scim_integration = part.get_scim_integration
        self.list_scim_integrations = part.list_scim_integrations
        self.update_scim_integration = part.update_scim_integration
        self.delete_scim_integration = part.delete_scim_integration

    def _bind_app_store(self, part: ports.AppStore) -> None:
        self.save_app = part.save_app
        self.get_app = part.get_app
        self.list_apps = part.list_apps
        self.delete_app = part.delete_app

    def _bind_asset_store(self, part: ports.AssetStore) -> None:
        self.record_asset_usages = part.record_asset_usages
        self.save_asset = part.save_asset
        self.get_asset = part.get_asset
        self.search_assets = part.search_assets
        self.delete_asset = part.delete_asset
        self.asset_usages = part.asset_usages
        self.asset_usages_after = part.asset_usages_after
        self.execution_asset_usages = part.execution_asset_usages
        self.asset_lineage = part.asset_lineage

    def _bind_tenant_store(self, part: ports.TenantStore) -> None:
        self.create_tenant = part.create_tenant
        self.get_tenant = part.get_tenant
        self.list_tenants = part.list_tenants
        self.rename_tenant = part.rename_tenant
        self.delete_tenant = part.delete_tenant

    def _bind_dashboard_store(self, part: ports.DashboardStore) -> None:
        self.save_dashboard = part.save_dashboard
        self.get_dashboard = part.get_dashboard
        self.list_dashboards = part.list_dashboards
        self.delete_dashboard = part.delete_dashboard
        self.replace_dashboards = part.replace_dashboards
        self.chart_rows = part.chart_rows
        self.fold_execution_days = part.fold_execution_days


def _libpq_conninfo(sqlalchemy_url: str) -> str:
    """The plain libpq URL psycopg.connect() understands, from an SQLAlchemy one."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)
