"""Claim index covers unclaimed jobs only, so claiming never scans past running jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_UNCLAIMED = sa.text("worker_id IS NULL")


def upgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index(
        "ix_jobs_claim", "jobs", ["worker_group", "id"], sqlite_where=_UNCLAIMED, postgresql_where=_UNCLAIMED
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_claim", table_name="jobs")
    op.create_index("ix_jobs_claim", "jobs", ["worker_group", "id", "worker_id"])
