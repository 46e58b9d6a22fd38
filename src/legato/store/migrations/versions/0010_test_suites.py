"""Test suites (flow unit tests), the history of their runs, and the flag of the executions they create.

Revision ID: 0010_test_suites
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0010_test_suites"
down_revision = "0009"
branch_labels = None
depends_on = None

_NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "test_suites",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("id", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "id", name="pk_test_suites"),
    )
    op.create_table(
        "test_results",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("suite_id", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started", UtcDateTime(), nullable=False),
        sa.Column("ended", UtcDateTime(), nullable=False),
        sa.Column("data", Json(), nullable=False),
    )
    op.create_index("ix_test_results_suite", "test_results", ["namespace", "suite_id", "started"])
    with op.batch_alter_table("executions") as batch:
        batch.add_column(sa.Column("transient", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("transient")
    op.drop_index("ix_test_results_suite", table_name="test_results")
    op.drop_table("test_results")
    op.drop_table("test_suites")
