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
)

from legato.engine.events import EVENT_ADAPTER
from legato.model.execution import Execution, TaskRun
from legato.store.dialect import Json, ModelJson, UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY columns; PostgreSQL gets a BIGINT identity.
Serial = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

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
    # The primary key serves "latest revision": the last entry of (namespace, id) in the index.
    PrimaryKeyConstraint("namespace", "id", "revision", name="pk_flows"),
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
    # list by flow, running_count and oldest_queued
    Index("ix_executions_flow", "namespace", "flow_id", "state", "created"),
    Index("ix_executions_flow_created", "namespace", "flow_id", "created"),
    Index("ix_executions_state", "state", "created"),
    Index("ix_executions_created", "created"),
    Index("ix_executions_parent", "parent_id"),  # active_children
    Index("ix_executions_ended", "ended"),  # retention purge: the oldest finished first
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
    PrimaryKeyConstraint("namespace", "key", name="pk_kv"),
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
    PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_triggers"),
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
    PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", "fire_key", name="pk_trigger_fires"),
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
    PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_trigger_preconditions"),
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
    PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_trigger_backfills"),
)
