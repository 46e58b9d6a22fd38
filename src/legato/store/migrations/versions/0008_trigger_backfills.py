"""Backfills of Schedule triggers: the range of past dates to replay, how far it got, paused or not.

Revision ID: 0008
Revises: 0007
Create Date: 2025-01-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_NAME = sa.String(255)


def upgrade() -> None:
    op.create_table(
        "trigger_backfills",
        sa.Column("namespace", _NAME, nullable=False),
        sa.Column("flow_id", _NAME, nullable=False),
        sa.Column("trigger_id", _NAME, nullable=False),
        sa.Column("start_date", UtcDateTime(), nullable=False),
        sa.Column("end_date", UtcDateTime(), nullable=False),
        sa.Column("cursor_date", UtcDateTime(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("inputs", Json()),
        sa.Column("labels", Json()),
        sa.Column("fired", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("execution_id", sa.String(64)),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("namespace", "flow_id", "trigger_id", name="pk_trigger_backfills"),
    )


def downgrade() -> None:
    op.drop_table("trigger_backfills")
