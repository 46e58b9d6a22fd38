"""Initial schema: flows, executions, task runs, loop items, jobs, events, timers, logs, kv.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.String(64)
_NAME = sa.String(255)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "flows",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("id", _NAME, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "id", "revision", name="pk_flows"),
    )
    op.create_table(
        "executions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("flow_revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("parent_id", _ID),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("ended", UtcDateTime()),
        sa.Column("data", Json(), nullable=False),
    )
    op.create_index("ix_executions_flow", "executions", ["namespace", "flow_id", "state", "created"])
    op.create_index("ix_executions_flow_created", "executions", ["namespace", "flow_id", "created"])
    op.create_index("ix_executions_state", "executions", ["state", "created"])
    op.create_index("ix_executions_created", "executions", ["created"])
    op.create_index("ix_executions_parent", "executions", ["parent_id"])

    op.create_table(
        "task_runs",
        sa.Column("seq", _serial(), primary_key=True, autoincrement=True),
        sa.Column("id", _ID, nullable=False),
        sa.Column("execution_id", _ID, nullable=False),
        sa.Column("parent_id", _ID),
        sa.Column("branch", _NAME, nullable=False),
        sa.Column("iteration", sa.Integer()),
        sa.Column("task_id", _NAME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("data", Json(), nullable=False),
        sa.UniqueConstraint("id", name="uq_task_runs_id"),
    )
    op.create_index("ix_task_runs_scope", "task_runs", ["execution_id", "parent_id", "branch", "iteration"])
    op.create_index("ix_task_runs_task", "task_runs", ["execution_id", "task_id"])
    op.create_index("ix_task_runs_state", "task_runs", ["execution_id", "state"])

    op.create_table(
        "loop_items",
        sa.Column("task_run_id", _ID, nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("value", Json()),
        sa.PrimaryKeyConstraint("task_run_id", "idx", name="pk_loop_items"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", _serial(), primary_key=True, autoincrement=True),
        sa.Column("execution_id", _ID, nullable=False),
        sa.Column("task_run_id", _ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker_group", _NAME),
        sa.Column("worker_id", _NAME),
        sa.Column("lease_expires_at", UtcDateTime()),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("task_run_id", "attempt", name="uq_jobs_attempt"),
    )
    op.create_index("ix_jobs_claim", "jobs", ["worker_group", "id", "worker_id"])
    op.create_index("ix_jobs_lease", "jobs", ["lease_expires_at"])

    op.create_table(
        "events",
        sa.Column("id", _serial(), primary_key=True, autoincrement=True),
        sa.Column("execution_id", _ID, nullable=False),
        sa.Column("payload", Json(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_events_execution", "events", ["execution_id", "id"])

    op.create_table(
        "timers",
        sa.Column("id", _serial(), primary_key=True, autoincrement=True),
        sa.Column("execution_id", _ID, nullable=False),
        sa.Column("task_run_id", _ID),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("timer", sa.String(32), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.UniqueConstraint("key", name="uq_timers_key"),
    )
    op.create_index("ix_timers_at", "timers", ["at"])
    op.create_index("ix_timers_task_run", "timers", ["task_run_id"])

    op.create_table(
        "logs",
        sa.Column("id", _serial(), primary_key=True, autoincrement=True),
        sa.Column("execution_id", _ID, nullable=False),
        sa.Column("task_run_id", _ID),
        sa.Column("task_id", _NAME),
        sa.Column("attempt", sa.Integer()),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_logs_execution", "logs", ["execution_id", "id"])

    op.create_table(
        "kv",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("key", _NAME, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("value", Json()),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "key", name="pk_kv"),
    )


def downgrade() -> None:
    for table in ("kv", "logs", "timers", "events", "jobs", "loop_items", "task_runs", "executions", "flows"):
        op.drop_table(table)
