"""Deploy journals: the namespace-file moves and deletions a deploy commits with its flows, carried out after
the commit (and at the next start, when the deploying process died before it was done). A journal is opened
(not committed) before the deploy stages its files, so that a starting server can tell abandoned staging apart.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from legato.store.dialect import Json, UtcDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deploy_journals",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("namespace", sa.String(150), nullable=False),
        sa.Column("staging", sa.Text(), nullable=False),
        sa.Column("moves", Json(), nullable=False),
        sa.Column("deletions", Json(), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.Column("created", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deploy_journals"),
    )
    op.create_index("ix_deploy_journals_namespace", "deploy_journals", ["tenant", "namespace"])


def downgrade() -> None:
    op.drop_index("ix_deploy_journals_namespace", table_name="deploy_journals")
    op.drop_table("deploy_journals")
