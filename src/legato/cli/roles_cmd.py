"""`legato server standalone|executor|worker|scheduler|webserver`: Legato's roles, alone or together, on the
configured database (see legato.config). Each process migrates the schema, registers in the server
registry, and on SIGTERM/SIGINT drains (stops taking work, lets running tasks finish within
`drain_seconds`, hands back the rest) and exits 0."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url

from legato import config
from legato.aio import supervise
from legato.api import create_app
from legato.api import server as http
from legato.api.middleware import parse_credentials
from legato.cli import hardening
from legato.cli.server_cmd import server
from legato.executor.retention import Retention
from legato.runtime.dbclock import DatabaseClock
from legato.runtime.presence import Presence
from legato.runtime.runtime import Runtime, secret, storage_for
from legato.scheduler.sources import SourceRunner
from legato.store import StoreURLError, open_store
from legato.store.ports import Store

log = logging.getLogger("legato.server")

EXECUTOR, WORKER, SCHEDULER, WEBSERVER = "executor", "worker", "scheduler", "webserver"
ALL_ROLES = (EXECUTOR, WORKER, SCHEDULER, WEBSERVER)


def config_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config FILE (else $LEGATO_CONFIG): the YAML configuration file."""
    return click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
                        help="YAML configuration file (env LEGATO_CONFIG); LEGATO_* variables override it.")(command)


def settings_from(config_file: Path | None, **overrides: Any) -> config.Settings:
    """The settings, or a usage error that says which setting is wrong and where it came from."""
    try:
        return config.load(config_file, **overrides)
    except config.ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def open_configured(settings: config.Settings, *, migrate: bool = True) -> Store:
    """The configured store, migrated; a clear error when the database cannot be reached."""
    try:
        store = open_store(settings.store_url())
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


@dataclass
class _Process:
    settings: config.Settings
    roles: tuple[str, ...]
    store: Store
    presence: Presence
    clock: DatabaseClock
    runtime: Runtime | None
    sock: socket.socket | None
    scheduler: Any
    sources: SourceRunner | None = None  # polling and realtime triggers (worker role)


def run_roles(settings: config.Settings, roles: Sequence[str]) -> None:
    """Run `roles` in this process until SIGTERM/SIGINT, then drain and return (exit status 0)."""
    credentials = _credentials(settings.basic_auth)
    hardening.secure_start()
    sock = _listen(settings, credentials) if WEBSERVER in roles else None
    store = open_configured(settings)
    clock = DatabaseClock(store)
    clock.sync()
    groups: tuple[str | None, ...] = tuple(settings.worker_groups) or (None,)
    runtime = None
    if EXECUTOR in roles or WORKER in roles:
        data_dir = settings.data_dir.resolve()
        runtime = Runtime(store, clock=clock, run_worker=WORKER in roles, run_executor=EXECUTOR in roles,
                          worker_slots=settings.worker_slots, worker_groups=groups,
                          lease=timedelta(seconds=settings.lease_seconds), poll_seconds=settings.poll_seconds,
                          data_dir=data_dir, drain_seconds=settings.drain_seconds,
                          executor_threads=settings.executor_threads)
    presence = Presence(store, roles, clock, interval_seconds=settings.heartbeat_seconds,
                        worker_groups=groups if WORKER in roles else (),
                        slots=settings.worker_slots if WORKER in roles else None)
    presence.register()
    process = _Process(settings, tuple(roles), store, presence, clock, runtime, sock,
                       _scheduler(store, clock) if SCHEDULER in roles else None,
                       _sources(store, presence.id, settings, clock, groups) if WORKER in roles else None)
    where = _redacted(settings.store_url())
    listening = f", API on http://{sock.getsockname()[0]}:{sock.getsockname()[1]}" if sock else ""
    click.echo(f"Legato {'+'.join(roles)} {presence.id} on {where}{listening}", err=True)
    try:
        asyncio.run(_main(process, credentials))
        presence.stopped()
    finally:
        store.close()


async def _main(process: _Process, credentials: tuple[str, str] | None) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    settings = process.settings
    side: list[asyncio.Task[None]] = [
        asyncio.create_task(supervise("presence", process.presence.run, stopping), name="presence"),
        asyncio.create_task(supervise("clock", process.clock.run, stopping), name="clock"),
    ]
    policy = settings.retention
    if EXECUTOR in process.roles and (policy.executions is not None or policy.logs is not None):
        retention = _retention(process.store, settings, process.clock)
        side.append(asyncio.create_task(
            supervise("retention", lambda s: retention.run(s, policy.interval), stopping), name="retention"))
    if process.scheduler is not None:
        side.append(asyncio.create_task(supervise("scheduler", process.scheduler.run, stopping), name="scheduler"))
    if process.sources is not None:
        side.append(asyncio.create_task(supervise("trigger-sources", process.sources.run, stopping),
                                        name="trigger-sources"))
    main: Awaitable[object]
    if process.sock is not None:
        app = create_app(process.store, clock=process.clock, data_dir=settings.data_dir.resolve(),
                         basic_auth=credentials)
        main = http.serve(app, process.runtime, stopping, process.sock)
    elif process.runtime is not None:
        main = process.runtime.run(stopping)
    else:
        main = stopping.wait()
    try:
        await main
    finally:
        stopping.set()
        await asyncio.gather(*side, return_exceptions=True)


def _retention(store: Store, settings: config.Settings, clock: Callable[[], datetime]) -> Retention:
    policy = settings.retention
    return Retention(store, clock, executions=policy.executions, logs=policy.logs, batch=policy.batch,
                     pause_seconds=0.01)


def _scheduler(store: Store, clock: Callable[[], datetime]) -> Any:
    """The scheduler service when this installation has one (legato.scheduler.service.Scheduler)."""
    try:
        module = importlib.import_module("legato.scheduler.service")
    except ImportError:
        log.warning("this installation has no scheduler service; the scheduler role idles")
        return None
    return module.Scheduler(store, clock)


def _sources(store: Store, owner: str, settings: config.Settings, clock: Callable[[], datetime],
             groups: tuple[str | None, ...]) -> SourceRunner:
    """The polling/realtime trigger runner of a worker: the triggers of its groups, leased under this server's id."""
    return SourceRunner(store, clock, storage=storage_for(settings.data_dir.resolve()), owner=owner,
                        lease_seconds=settings.lease_seconds, functions={"secret": secret}, groups=groups)


def _credentials(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    try:
        return parse_credentials(text)
    except ValueError as exc:
        raise click.UsageError(f"basic_auth (env LEGATO_BASIC_AUTH): {exc}") from None


def _listen(settings: config.Settings, credentials: tuple[str, str] | None) -> socket.socket:
    if credentials is None and not http.is_loopback(settings.host):
        raise click.UsageError(
            f"refusing to listen on {settings.host} without authentication: set basic_auth (env LEGATO_BASIC_AUTH)")
    try:
        return http.bind(settings.host, settings.port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}") from None


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"
