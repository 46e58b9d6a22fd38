"""The services tests talk to (PostgreSQL, MariaDB, Redis, RabbitMQ, MQTT, NATS on 127.0.0.1): a missing one
skips the test on a developer's machine and fails it in CI (CI=true), where `.ci/run` starts them all."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql as pgsql

PG_ADMIN_URL = os.environ.get("LEGATO_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

PORTS = {"postgresql": 5432, "mariadb": 3306, "redis": 6379, "rabbitmq": 5672, "mqtt": 1883, "nats": 4222}


def unavailable(service: str, reason: str) -> None:
    """Fail in CI, skip elsewhere: `service` cannot be reached."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{service} is required in CI: {reason}")
    pytest.skip(f"{service} not reachable: {reason}")


def require(service: str) -> None:
    """Check that `service` (a key of PORTS) accepts TCP connections on 127.0.0.1."""
    try:
        socket.create_connection(("127.0.0.1", PORTS[service]), timeout=2).close()
    except OSError as exc:
        unavailable(service, f"127.0.0.1:{PORTS[service]}: {exc}")


def pg_database(prefix: str = "legato_test", *, migrate: bool = True) -> Iterator[str]:
    """A throw-away PostgreSQL database `<prefix>_<xdist worker>_<random>` (migrated unless told not to): its URL,
    dropped afterwards. Use as `yield from pg_database(...)` in a fixture."""
    name = f"{prefix}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        if migrate:
            from legato.store import open_store

            store = open_store(url)
            store.migrate()
            store.close()
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
