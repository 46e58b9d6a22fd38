"""Alembic environment: SqlStore.migrate() hands over its connection; the alembic CLI may pass a URL
instead (`alembic -x url=sqlite:////abs/path.db upgrade head` with script_location pointing here)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from legato.store import dialect as dialects
from legato.store.schema import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no database: pass -x url=<store URL>")
    engine = dialects.for_url(url).create_engine(pool_size=1)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
    engine.dispose()


def run_offline() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
