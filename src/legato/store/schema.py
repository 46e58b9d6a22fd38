"""The store's tables as SQLAlchemy Core metadata. Alembic migrations (legato/store/migrations) build the
same schema; tests/contract checks that the two never drift apart."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

from legato.engine.events import EVENT_ADAPTER
from legato.model.execution import Execution, TaskRun
from legato.store.dialect import Json, ModelJson, UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY columns; PostgreSQL gets a BIGINT identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()
MAIN = "main"  # the tenant of every row written before tenants existed (legato.store.ports.tenants.MAIN)

ExecutionJson = ModelJson(Execution.model_validate_json, Execution.model_validate)
TaskRunJson = ModelJson(TaskRun.model_validate_json, TaskRun.model_validate)
EventJson = ModelJson(EVENT_ADAPTER.validate_json, EVENT_ADAPTER.validate_python)

flows = Table(
    "flows", metadata,
    Column("namespace", String(255), nullable=False),
    Column("id", String(255), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("deleted", Boolean, nullable=False, server_default=false()),
    Column("updated", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    # The primary key serves "latest revision": the last entry of (tenant, namespace, id) in the index.
    PrimaryKeyConstraint("tenant", "namespace", "id", "revision", name="pk_flows"),
)

executions = Table(
    "executions", metadata,
    Column("id", String(64), primary_key=True),
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("flow_revision", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("parent_id", String(64)),
    Column("created", UtcDateTime, nullable=False),
    Column("ended", UtcDateTime),
    Column("data", ExecutionJson, nullable=False),
    # created by a flow unit test (it carries fixtures): left out of lists and counts unless asked for
    Column("transient", Boolean, nullable=False, server_default=false()),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    # list by flow, running_count and oldest_queued
    Index("ix_executions_flow", "tenant", "namespace", "flow_id", "state", "created"),
    Index("ix_executions_flow_created", "tenant", "namespace", "flow_id", "created"),
    Index("ix_executions_tenant_created", "tenant", "created"),  # a tenant's searches
    Index("ix_executions_state", "state", "created"),
    Index("ix_executions_created", "created"),
    Index("ix_executions_parent", "parent_id"),  # active_children
    Index("ix_executions_ended", "ended"),  # retention purge: the oldest finished first
)

# The dashboards' roll-up of executions (not transient): per tenant x UTC day of `created` x namespace x flow x
# state, how many (n), how many ended (ended_n) and the sum of their durations in microseconds. Database triggers on
# `executions` (migrations 0016, 0018) append each change as a signed delta row in the same transaction as the change;
# `fold_execution_days` moves deltas into `execution_days` in short batches. A chart reads both tables, so what it
# counts is exact whether or not the deltas were folded yet.
execution_days = Table(
    "execution_days", metadata,
    Column("day", UtcDateTime, nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("ended_n", BigInteger, nullable=False),
    Column("duration_us", BigInteger, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "day", "namespace", "flow_id", "state", name="pk_execution_days"),
)

execution_day_deltas = Table(
    "execution_day_deltas", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("day", UtcDateTime, nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("ended_n", BigInteger, nullable=False),
    Column("duration_us", BigInteger, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
)

task_runs = Table(
    "task_runs", metadata,
    Column("seq", Serial, primary_key=True, autoincrement=True),  # creation order
    Column("id", String(64), nullable=False),
    Column("execution_id", String(64), nullable=False),
    Column("parent_id", String(64)),
    Column("branch", String(255), nullable=False),
    Column("iteration", Integer),
    Column("task_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("data", TaskRunJson, nullable=False),
    UniqueConstraint("id", name="uq_task_runs_id"),
    Index("ix_task_runs_scope", "execution_id", "parent_id", "branch", "iteration"),
    Index("ix_task_runs_task", "execution_id", "task_id"),
    Index("ix_task_runs_state", "execution_id", "state"),
)

loop_items = Table(
    "loop_items", metadata,
    Column("task_run_id", String(64), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("value", Json),
    PrimaryKeyConstraint("task_run_id", "idx", name="pk_loop_items"),
)

jobs = Table(
    "jobs", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("execution_id", String(64), nullable=False),
    Column("task_run_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("worker_group", String(255)),
    Column("worker_id", String(255)),
    Column("lease_expires_at", UtcDateTime),
    Column("cancel_requested", Boolean, nullable=False, server_default=false()),
    Column("created", UtcDateTime, nullable=False),
    # One job per attempt: replaying a decision cannot queue the same attempt twice.
    UniqueConstraint("task_run_id", "attempt", name="uq_jobs_attempt"),
    Index("ix_jobs_lease", "lease_expires_at"),  # expire_leases
)
# claim_jobs walks the unclaimed jobs of a group in id order; claimed (running) jobs are not in the index,
# so a claim never steps over them.
_unclaimed = jobs.c.worker_id.is_(None)
Index("ix_jobs_claim", jobs.c.worker_group, jobs.c.id, sqlite_where=_unclaimed, postgresql_where=_unclaimed)

events = Table(
    "events", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("execution_id", String(64), nullable=False),
    Column("payload", EventJson, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Index("ix_events_execution", "execution_id", "id"),
)

timers = Table(
    "timers", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("execution_id", String(64), nullable=False),
    Column("task_run_id", String(64)),
    Column("at", UtcDateTime, nullable=False),
    Column("timer", String(32), nullable=False),
    Column("key", String(512), nullable=False),
    UniqueConstraint("key", name="uq_timers_key"),
    Index("ix_timers_at", "at"),
    Index("ix_timers_task_run", "task_run_id"),  # delete_timers
)

logs = Table(
    "logs", metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("execution_id", String(64), nullable=False),
    Column("task_run_id", String(64)),
    Column("task_id", String(255)),
    Column("attempt", Integer),
    Column("level", String(8), nullable=False),
    Column("message", Text, nullable=False),
    Column("timestamp", UtcDateTime, nullable=False),
    Index("ix_logs_execution", "execution_id", "id"),
)

kv = Table(
    "kv", metadata,
    Column("namespace", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    Column("value", Json),
    Column("expires_at", UtcDateTime),
    Column("updated", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "key", name="pk_kv"),
)

triggers = Table(
    "triggers", metadata,
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("trigger_id", String(255), nullable=False),
    # The state a user or a Toggle task set; a trigger without a row is enabled.
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("next_date", UtcDateTime),
    Column("last_date", UtcDateTime),
    # The execution a trigger waits for before it may fire again (cleared by unlock).
    Column("locked_execution_id", String(64)),
    Column("updated", UtcDateTime, nullable=False),
    # Polling/realtime sources: the cursor saved with each execution they create (last id, offsets...).
    Column("source_state", Json),
    # The one live process that runs this source (servers.id) until the lease expires; renewed by heartbeat.
    Column("lease_owner", String(255)),
    Column("lease_expires_at", UtcDateTime),
    # The latest failure to evaluate the trigger (poll, consumer, conditions, inputs); cleared once it works.
    Column("error", Text),
    Column("error_date", UtcDateTime),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "flow_id", "trigger_id", name="pk_triggers"),
    Index("ix_triggers_next_date", "next_date"),  # the scheduler's due triggers
)

servers = Table(
    "servers", metadata,
    Column("id", String(255), nullable=False),
    Column("roles", String(255), nullable=False),  # comma-separated: executor,worker,webserver,scheduler
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("worker_groups", String(1024)),
    Column("slots", Integer),
    Column("started", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False),
    Column("stopped", UtcDateTime),  # set by a clean shutdown; a crash leaves it empty and the heartbeat old
    PrimaryKeyConstraint("id", name="pk_servers"),
    Index("ix_servers_heartbeat", "heartbeat_at"),
)

trigger_fires = Table(
    "trigger_fires", metadata,
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("trigger_id", String(255), nullable=False),
    # What makes a fire unique: the scheduled date (Schedule) or the upstream execution id (Flow trigger).
    Column("fire_key", String(255), nullable=False),
    Column("execution_id", String(64), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    # Exactly once: a second scheduler's insert of the same fire does nothing, and neither does its execution.
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "flow_id", "trigger_id", "fire_key", name="pk_trigger_fires"),
    Index("ix_trigger_fires_created", "created"),  # prune_trigger_fires
)

execution_ends = Table(
    "execution_ends", metadata,
    # The outbox of the Flow trigger: one row per end of an execution, written in the transaction that ended
    # it and deleted in the one where the scheduler fired the triggers it concerns.
    Column("id", Serial, primary_key=True, autoincrement=True),
    # The upstream execution id (plus the end date once restarted): the fire key of what it triggers.
    Column("fire_key", String(255), nullable=False),
    Column("execution_id", String(64), nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("ended", UtcDateTime, nullable=False),
    UniqueConstraint("fire_key", name="uq_execution_ends_key"),  # one end recorded once
    Index("ix_execution_ends_execution", "execution_id"),  # deleting or purging the execution
)

trigger_preconditions = Table(
    "trigger_preconditions", metadata,
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("trigger_id", String(255), nullable=False),
    # The current time window of the trigger's preconditions and which of them were met in it.
    Column("window_start", UtcDateTime),
    Column("window_end", UtcDateTime),
    Column("met", Json, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "flow_id", "trigger_id", name="pk_trigger_preconditions"),
)

trigger_backfills = Table(
    "trigger_backfills", metadata,
    # At most one backfill per trigger (as in Kestra): the past dates of a Schedule in [start_date, end_date]
    # replayed one by one; cursor_date is the last date handled (start_date - 1 µs before the first).
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("trigger_id", String(255), nullable=False),
    Column("start_date", UtcDateTime, nullable=False),
    Column("end_date", UtcDateTime, nullable=False),
    Column("cursor_date", UtcDateTime, nullable=False),
    Column("paused", Boolean, nullable=False, server_default=false()),
    Column("inputs", Json),
    Column("labels", Json),
    Column("fired", Integer, nullable=False, server_default="0"),  # executions created so far
    Column("execution_id", String(64)),  # the last execution it created: the next date waits for its end
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "flow_id", "trigger_id", name="pk_trigger_backfills"),
)

test_suites = Table(
    "test_suites", metadata,
    # Flow unit tests (Kestra's test suites): the YAML source of each suite, one row per (tenant, namespace, id).
    Column("namespace", String(255), nullable=False),
    Column("id", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("source", Text, nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("updated", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    PrimaryKeyConstraint("tenant", "namespace", "id", name="pk_test_suites"),
)

test_results = Table(
    "test_results", metadata,
    # One run of a test suite: its state and dates as columns, the case results as JSON.
    Column("id", String(64), primary_key=True),
    Column("namespace", String(255), nullable=False),
    Column("suite_id", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("started", UtcDateTime, nullable=False),
    Column("ended", UtcDateTime, nullable=False),
    Column("data", Json, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),
    Index("ix_test_results_suite", "tenant", "namespace", "suite_id", "started"),  # a suite's history, newest first
)

secrets = Table(
    "secrets", metadata,
    # A namespace secret of a tenant; `value` is sealed (legato.sealing: AES-GCM), never plain text.
    Column("tenant", String(64), nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("value", Text, nullable=False),
    Column("description", Text),
    Column("tags", Json),
    Column("updated", UtcDateTime, nullable=False),
    Column("updated_by", String(255)),
    PrimaryKeyConstraint("tenant", "namespace", "key", name="pk_secrets"),
)

audit_logs = Table(
    "audit_logs", metadata,
    # Who did what to which resource, from where, with the change: one row per write of the services (and
    # per read of a secret's value), appended in the write's own transaction.
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(32), nullable=False),
    Column("resource", String(32), nullable=False),
    Column("resource_id", String(512), nullable=False),
    Column("namespace", String(255)),
    Column("actor_kind", String(32), nullable=False),
    Column("actor", String(255), nullable=False),
    Column("ip", String(64)),
    Column("token_id", String(128)),
    Column("details", Json),
    Index("ix_audit_logs_at", "at"),
    Index("ix_audit_logs_resource", "resource", "at"),
    Index("ix_audit_logs_namespace", "namespace", "at"),
    Index("ix_audit_logs_actor", "actor", "at"),
)

tenants = Table(
    "tenants", metadata,
    # The registered tenants besides `main`, which always exists without a row (legato.store.ports.tenants).
    Column("id", String(64), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id", name="pk_tenants"),
)

# Identity (legato.identity): accounts are users and service accounts; the managed roles live in code, only
# custom roles are rows. Tokens and sessions keep SHA-256 hashes of their secrets, never the secrets.
accounts = Table(
    "accounts", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # USER | SERVICE_ACCOUNT
    Column("name", String(255), nullable=False),
    Column("display_name", String(255), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    Column("password_hash", String(255)),
    Column("owner", Boolean, nullable=False, server_default=false()),
    Column("disabled", Boolean, nullable=False, server_default=false()),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("failures_since", UtcDateTime),
    Column("locked_until", UtcDateTime),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    # SCIM provisioning: the address single sign-on may also match, and the identity provider's own id
    Column("email", String(255)),
    Column("external_id", String(255)),
    Column("profile", Json),  # SCIM's `name` and `emails` as the provider sent them: {"name": {...}, "emails": [...]}
    UniqueConstraint("name", name="uq_accounts_name"),
    Index("ix_accounts_email", "email"),
    Index("ix_accounts_external_id", "external_id"),
)

iam_groups = Table(
    "iam_groups", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created", UtcDateTime, nullable=False),
    Column("external_id", String(255)),  # the identity provider's id of a group provisioned through SCIM
    Column("updated", UtcDateTime),  # None: never changed since created
    UniqueConstraint("name", name="uq_iam_groups_name"),
)

group_members = Table(
    "group_members", metadata,
    Column("group_id", String(64), nullable=False),
    Column("account_id", String(64), nullable=False),
    PrimaryKeyConstraint("group_id", "account_id", name="pk_group_members"),
    Index("ix_group_members_account", "account_id"),
)

roles = Table(
    "roles", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("permissions", Json, nullable=False),  # ["FLOW:VIEW", ...]
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    UniqueConstraint("name", name="uq_roles_name"),
)

bindings = Table(
    "bindings", metadata,
    Column("id", String(64), primary_key=True),
    Column("role_id", String(64), nullable=False),
    Column("subject_type", String(16), nullable=False),  # USER | GROUP | SERVICE_ACCOUNT
    Column("subject_id", String(64), nullable=False),
    Column("namespace", String(255)),  # None: the whole tenant
    Column("created", UtcDateTime, nullable=False),
    Column("tenant", String(64), nullable=False, server_default=MAIN),  # a binding gives nothing in other tenants
    Index("ix_bindings_subject", "subject_id"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(32), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("secret_hash", String(64), nullable=False),
    Column("prefix", String(64), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("last_used", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Index("ix_api_tokens_account", "account_id"),
)

sessions = Table(
    "sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_sessions_account", "account_id"),
)

dashboards = Table(
    "dashboards", metadata,
    # Custom dashboards (Kestra's YAML): the source as written, its title for lists, one row per (tenant, id).
    Column("tenant", String(64), nullable=False),
    Column("id", String(100), nullable=False),
    Column("title", String(255), nullable=False),
    Column("source", Text, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant", "id", name="pk_dashboards"),
)
# a dashboard's Logs charts read a time range of log lines
Index("ix_logs_timestamp", logs.c.timestamp)

apps = Table(
    "apps", metadata,
    # Apps (Kestra's YAML): the source as written, and what lists and app pages read without parsing it.
    Column("tenant", String(64), nullable=False),
    Column("id", String(100), nullable=False),
    Column("namespace", String(150), nullable=False),
    Column("flow_id", String(100), nullable=False),
    Column("display_name", String(150), nullable=False),
    Column("access", String(16), nullable=False),
    Column("source", Text, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant", "id", name="pk_apps"),
    Index("ix_apps_namespace", "tenant", "namespace"),
)
deploy_journals = Table(
    "deploy_journals", metadata,
    # The namespace files a deploy owes internal storage (staged → final moves, deletions): opened before its
    # files are staged, committed in the deploy's transaction, deleted once carried out
    # (legato.services.deploy_journal).
    Column("id", String(64), nullable=False),
    Column("tenant", String(64), nullable=False),
    Column("namespace", String(150), nullable=False),
    Column("staging", Text, nullable=False),
    Column("moves", Json, nullable=False),
    Column("deletions", Json, nullable=False),
    Column("committed", Boolean, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id", name="pk_deploy_journals"),
    Index("ix_deploy_journals_namespace", "tenant", "namespace"),
)

assets = Table(
    "assets", metadata,
    # Kestra's Assets: what flows read and write (declared on tasks, or registered by hand), one row per (tenant, id).
    Column("tenant", String(64), nullable=False),
    Column("id", String(255), nullable=False),
    Column("namespace", String(255)),
    Column("type", String(255)),
    Column("display_name", String(255)),
    Column("description", Text),
    Column("metadata", Json, nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant", "id", name="pk_assets"),
    Index("ix_assets_namespace", "tenant", "namespace"),
)
asset_usages = Table(
    "asset_usages", metadata,
    # Each read (IN) or write (OUT) of an asset by a task run, numbered in the order recorded (an AssetShipper's
    # position); the unique key makes a result reported twice add nothing, and serves lineage (the other assets of
    # the same task run).
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("task_run_id", String(64), nullable=False),
    Column("asset_id", String(255), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("execution_id", String(64), nullable=False),
    Column("namespace", String(255), nullable=False),
    Column("flow_id", String(255), nullable=False),
    Column("task_id", String(255), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    UniqueConstraint("tenant", "task_run_id", "asset_id", "direction", name="uq_asset_usages_run"),
    Index("ix_asset_usages_asset", "tenant", "asset_id", "created"),
    Index("ix_asset_usages_execution", "tenant", "execution_id"),
)
scim_integrations = Table(
    "scim_integrations", metadata,
    # An identity provider allowed to provision users and groups through SCIM 2.0; it authenticates with an
    # API token of its own service account (account_id) and is refused while not enabled.
    Column("id", String(64), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("account_id", String(64), nullable=False),
    Column("created", UtcDateTime, nullable=False),
    Column("updated", UtcDateTime, nullable=False),
)
