"""Namespace secrets (sealed values) and the audit log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0011"
down_revision = "0010_test_suites"
branch_labels = None
depends_on = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("namespace", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("tags", Json()),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(255)),
        sa.PrimaryKeyConstraint("tenant", "namespace", "key", name="pk_secrets"),
    )
    op.create_table(
        "audit_logs",
        sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(512), nullable=False),
        sa.Column("namespace", sa.String(255)),
        sa.Column("actor_kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("token_id", sa.String(128)),
        sa.Column("details", Json()),
    )
    op.create_index("ix_audit_logs_at", "audit_logs", ["at"])
    op.create_index("ix_audit_logs_resource", "audit_logs", ["resource", "at"])
    op.create_index("ix_audit_logs_namespace", "audit_logs", ["namespace", "at"])
    op.create_index("ix_audit_logs_actor", "audit_logs", ["actor", "at"])


def downgrade() -> None:
    op.drop_table("audit_logs")
    op.drop_table("secrets")
