"""`legato server standalone|executor|worker|scheduler|webserver`: Legato's roles, alone or together, on the
configured database (see legato.config). Each process migrates the schema, registers in the server
registry, and on SIGTERM/SIGINT drains (stops taking work, lets running tasks finish within
`drain_seconds`, hands back the rest) and exits 0."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from legato import config
from legato.api import server as http
from legato.cli import hardening
from legato.cli.server_cmd import parse_basic_auth, server, settings_from
from legato.cli.store_option import config_option
from legato.server import compose
from legato.server.compose import ALL_ROLES, EXECUTOR, SCHEDULER, WEBSERVER, WORKER
from legato.store import StoreURLError, open_store
from legato.store.ports import Store

log = logging.getLogger("legato.server")



def open_configured(settings: config.Settings, *, migrate: bool = True, pool_size: int = 4) -> Store:
    """The configured store, migrated; a clear error when the database cannot be reached. `pool_size`: the
    connections it keeps (a command needs few; a server process sizes it by its roles)."""
    try:
        store = open_store(settings.store_url(), pool_size=pool_size)
        if migrate:
            store.migrate()
        return store
    except StoreURLError as exc:
        raise click.UsageError(f"database_url: {exc}") from None
    except Exception as exc:  # the driver's own error type varies; its first line says what is wrong
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"cannot open the database: {first}") from None


def _worker_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--slots", "worker_slots", type=click.IntRange(1), default=None,
                           help="Tasks this worker runs at once (env LEGATO_WORKER_SLOTS, default 16).")(command)
    return click.option("--group", "worker_groups", multiple=True, metavar="KEY",
                        help="Run only tasks and triggers with this workerGroup.key (repeatable; env "
                             "LEGATO_WORKER_GROUPS). Without it: those without a worker group.")(command)


def _api_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--host", default=None, help="Address of the API (env LEGATO_HOST, default 127.0.0.1).")(command)
    return click.option("--port", type=click.IntRange(0, 65535), default=None,
                         help="Port of the API (env LEGATO_PORT, default 8080).")(command)


@server.command("standalone")
@config_option
@_worker_options
@_api_options
def standalone(config_file: Path | None, worker_slots: int | None, worker_groups: tuple[str, ...],
               host: str | None, port: int | None) -> None:
    """Every role in one process on the configured database."""
    settings = settings_from(config_file, worker_slots=worker_slots, worker_groups=worker_groups or None,
                             host=host, port=port)
    run_roles(settings, ALL_ROLES)


@server.command("executor")
@config_option
def executor(config_file: Path | None) -> None:
    """Consume events, decide, dispatch jobs; fire timers, resubmit lost jobs, purge old executions."""
    run_roles(settings_from(config_file), (EXECUTOR,))


@server.command("worker")
@config_option
@_worker_options
def worker(config_file: Path | None, worker_slots: int | None, worker_groups: tuple[str, ...]) -> None:
    """Claim and run tasks; evaluate polling and realtime triggers."""
    settings = settings_from(config_file, worker_slots=worker_slots, worker_groups=worker_groups or None)
    run_roles(settings, (WORKER,))


@server.command("scheduler")
@config_option
def scheduler(config_file: Path | None) -> None:
    """Fire schedules, backfills and Flow triggers."""
    run_roles(settings_from(config_file), (SCHEDULER,))


@server.command("webserver")
@config_option
@_api_options
def webserver(config_file: Path | None, host: str | None, port: int | None) -> None:
    """Serve the REST API (and UI)."""
    run_roles(settings_from(config_file, host=host, port=port), (WEBSERVER,))


# running roles ---------------------------------------------------------------------------------------


def run_roles(settings: config.Settings, roles: Sequence[str]) -> None:
    """Run `roles` in this process until SIGTERM/SIGINT, then drain and return (exit status 0)."""
    credentials = parse_basic_auth(settings.basic_auth, "basic_auth")
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    hardening.secure_start(settings.data_dir, encryption_key=key)
    store = open_configured(settings, pool_size=compose.pool_size(settings, roles))
    users = WEBSERVER in roles and store.count_accounts("USER") > 0
    sock = _listen(settings, credentials is not None or users) if WEBSERVER in roles else None
    try:
        process = compose.build(settings, roles, store, sock=sock, credentials=credentials)
    except OSError as exc:  # the probes' port (the API's was bound above)
        store.close()
        raise click.ClickException(f"cannot listen on {settings.probe_host}:{settings.probe_port} (probe_host, "
                                   f"probe_port): {exc.strerror or exc}") from None
    assert process.presence is not None
    where = _redacted(settings.store_url())
    bound = process.sock.getsockname() if process.sock is not None else None
    listening = f", {'API' if sock else 'probes'} on http://{bound[0]}:{bound[1]}" if bound else ""
    click.echo(f"Legato {'+'.join(roles)} {process.presence.id} on {where}{listening}", err=True)
    try:
        asyncio.run(_main(process))
        process.presence.stopped()
    finally:
        store.close()


async def _main(process: compose.Process) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await process.run(stopping)


def _listen(settings: config.Settings, authenticated: bool) -> socket.socket:
    if not authenticated and not http.is_loopback(settings.host):
        raise click.UsageError(
            f"refusing to listen on {settings.host} without authentication: create a user (legato user create) "
            "or set basic_auth (env LEGATO_BASIC_AUTH)")
    try:
        return http.bind(settings.host, settings.port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"
