"""Schema migrations: `alembic upgrade head` with the migrations shipped inside the package."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from legato.store.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over the packaged migrations, bound to `connection` when given."""
    from alembic.config import Config  # Alembic is heavy to import and only needed to migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def at_head(db: Database) -> bool:
    """Whether the database's schema is at the newest shipped revision (raises when it does not answer)."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        conn.rollback()
    return current == _heads()


def upgrade(db: Database) -> None:
    """Migrate the database to the newest schema; safe to run from several processes at once."""
    from alembic import command

    with db.engine.connect() as conn, db.dialect.migration_lock(conn):
        command.upgrade(alembic_config(conn), "head")
        conn.commit()


def current_revision(db: Database) -> str | None:
    """The database's schema revision (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        conn.rollback()
    return revision


@functools.cache
def revisions() -> tuple[str, ...]:
    """Every shipped revision, oldest first (the last is the head)."""
    from alembic.script import ScriptDirectory

    walked = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    return tuple(reversed(walked))
