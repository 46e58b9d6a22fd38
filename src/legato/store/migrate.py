"""Schema migrations: `alembic upgrade head` with the migrations shipped inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from legato.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration over the packaged migrations, bound to `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(db: Database) -> None:
    """Migrate the database to the newest schema; safe to run from several processes at once."""
    with db.engine.connect() as conn, db.dialect.migration_lock(conn):
        command.upgrade(alembic_config(conn), "head")
        conn.commit()
