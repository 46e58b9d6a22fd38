"""Apps (Kestra's io.kestra.plugin.ee.apps.Execution): their YAML sources, with the namespace, flow, display name
and access type lists and app pages read without parsing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apps",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("namespace", sa.String(150), nullable=False),
        sa.Column("flow_id", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(150), nullable=False),
        sa.Column("access", sa.String(16), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.Column("updated", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant", "id", name="pk_apps"),
    )
    op.create_index("ix_apps_namespace", "apps", ["tenant", "namespace"])


def downgrade() -> None:
    op.drop_index("ix_apps_namespace", table_name="apps")
    op.drop_table("apps")
