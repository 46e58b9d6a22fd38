"""The composition root: the one place that builds a server process's roles (executor, worker, timers,
scheduler, trigger sources), its side loops (presence, database clock, retention) and its API from the
settings. `server local|standalone|<role>` and `flow test` all go through it; every role of a process shares
one `Flows` (parsed flow cache), one renderer and one internal storage."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import socket
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from legato import secrets_env
from legato.aio import supervise
from legato.clock import utcnow
from legato.config import SecretSettings, Settings
from legato.engine.decide import Engine
from legato.executor.audit_shipper import AuditShipper
from legato.executor.retention import Retention
from legato.executor.rollup import DayRollup
from legato.executor.service import Executor
from legato.executor.timers import TimerLoop
from legato.expressions import Renderer
from legato.flows import Flows
from legato.plugins.core import netguard
from legato.runners.select import RunnerSettings
from legato.scheduler.service import Scheduler
from legato.scheduler.sources import SourceRunner
from legato.server.dbclock import DatabaseClock
from legato.server.presence import Presence
from legato.services import copilot, deploy_journal, namespace_settings
from legato.storage import LocalStorage, Storage, StorageError, default_storage
from legato.storage import defaults as storage_defaults
from legato.store import secret_backends
from legato.store.ports import Store
from legato.telemetry import metrics, tracing
from legato.worker.service import Worker

if TYPE_CHECKING:
    from fastapi import FastAPI

    from legato.api.auth import AuthConfig

log = logging.getLogger("legato.server")


class Runtime:
    """The roles of one process (executor + timers, worker + trigger sources, scheduler, as asked) sharing a
    store, a flow cache, a renderer and an internal storage."""

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = utcnow, worker_slots: int = 16,
                 worker_groups: tuple[str | None, ...] = (None,), lease: timedelta = timedelta(seconds=30),
                 run_worker: bool = True, run_executor: bool = True, poll_seconds: float = 1.0,
                 lane_backlog: int = 100_000, data_dir: Path | None = None, drain_seconds: float | None = None,
                 run_scheduler: bool = False, run_sources: bool = False, executor_threads: int = 1,
                 flows: Flows | None = None, sources_owner: str | None = None):
        self.store = store
        self.clock = clock
        # Files live under the data dir (or LEGATO_STORAGE_ROOT), which scripts must never see.
        self.storage = storage = storage_for(data_dir)
        self.renderer = Renderer(clock=clock, functions=secrets_env.FUNCTIONS,
                                 variables=namespace_settings.ExpressionVariables(storage))
        self.flows = flows if flows is not None else Flows()
        self.flows.use_namespace_defaults(namespace_settings.runtime_plugin_defaults(storage))
        self.engine = Engine(self.renderer)
        hidden = [p for p in (data_dir, getattr(storage, "root", None)) if p is not None]
        self.worker = Worker(store, self.flows, clock, renderer=self.renderer, slots=worker_slots,
                             groups=worker_groups, lease=lease, poll_seconds=poll_seconds,
                             lane_backlog=lane_backlog if run_executor else 0, storage=storage,
                             runner_settings=RunnerSettings.from_env(hidden=hidden,
                                                                     address_check=netguard.resolve_checked),
                             drain_seconds=drain_seconds) if run_worker else None
        self.executor = Executor(store, self.engine, self.flows, clock, poll_seconds=poll_seconds,
                                 lane=self.worker, threads=executor_threads, storage=storage) if run_executor else None
        self.timers = TimerLoop(store, clock, poll_seconds=poll_seconds) if run_executor else None
        self.scheduler = Scheduler(store, clock, renderer=self.renderer, flows=self.flows,
                                   poll_seconds=min(poll_seconds, 1.0)) if run_scheduler else None
        # Polling and realtime triggers run beside the worker, for its groups.
        self.sources = SourceRunner(store, clock, storage=storage, renderer=self.renderer, flows=self.flows,
                                    refresh_seconds=min(poll_seconds, 1.0), lease_seconds=lease.total_seconds(),
                                    owner=sources_owner, groups=worker_groups) if run_sources and run_worker else None
        if self.worker is not None and self.executor is not None:
            # One process: the worker's results are applied in the transaction that finishes the job.
            self.worker.finish = self.executor.finish_local

    async def run(self, stopping: asyncio.Event) -> None:
        """Run every service until `stopping` is set; a crashed loop restarts with back-off."""
        loops = []
        if self.executor is not None:
            loops.append(asyncio.create_task(supervise("executor", self.executor.run, stopping), name="executor"))
        if self.timers is not None:
            loops.append(asyncio.create_task(supervise("timers", self.timers.run, stopping), name="timers"))
        if self.worker is not None:
            loops.append(asyncio.create_task(supervise("worker", self.worker.run, stopping), name="worker"))
        if self.scheduler is not None:
            loops.append(asyncio.create_task(supervise("scheduler", self.scheduler.run, stopping), name="scheduler"))
        if self.sources is not None:
            loops.append(asyncio.create_task(supervise("trigger-sources", self.sources.run, stopping),
                                             name="trigger-sources"))
        if loops:
            await asyncio.gather(*loops)
        else:  # a process without roles here (webserver only) runs until it is stopped
            await stopping.wait()


def storage_for(data_dir: Path | None) -> Storage:
    """Internal storage: LEGATO_STORAGE_URL or LEGATO_STORAGE_ROOT when set, else <data dir>/storage, else a
    private temp dir."""
    if storage_defaults.configured() or data_dir is None:
        return default_storage()
    return LocalStorage(data_dir / "storage")


# the process: roles, side loops and the API, from the settings ----------------------------------------------

EXECUTOR, WORKER, SCHEDULER, WEBSERVER = "executor", "worker", "scheduler", "webserver"
ALL_ROLES = (EXECUTOR, WORKER, SCHEDULER, WEBSERVER)
_POOL_MAX = 16


def pool_size(settings: Settings, roles: Sequence[str]) -> int:
    """Connections the process of `roles` keeps to the database (`database_pool_size`, else what its roles need:
    the API's request threads, the executor's event threads and timer loop, the scheduler's loops, a worker's
    tasks reporting at once), so that many processes on one PostgreSQL stay within its connection limit. A
    connection beyond the pool is opened for one use and closed: the pool covers the steady concurrency."""
    if settings.database_pool_size is not None:
        return settings.database_pool_size
    need = {WEBSERVER: 10, EXECUTOR: settings.executor_threads + 2, SCHEDULER: 3,
            WORKER: 2 + settings.worker_slots // 2}
    return min(sum(need[role] for role in roles), _POOL_MAX)


class Process:
    """Everything one server process runs: the roles (one Runtime sharing a flow cache and a renderer), the
    side loops (presence heartbeat, database clock, retention, the executions' roll-up) and the API on its socket. Built by `build`
    (`server standalone|<role>`) or `local` (`server local`)."""

    def __init__(self, store: Store, runtime: Runtime, *, app: FastAPI | None = None,
                 sock: socket.socket | None = None, presence: Presence | None = None,
                 clock: DatabaseClock | None = None, retention: tuple[Retention, timedelta] | None = None,
                 audit_shipper: AuditShipper | None = None, rollup: DayRollup | None = None):
        self.store = store
        self.runtime = runtime
        self.app = app
        self.sock = sock
        self.presence = presence
        self.clock = clock
        self.retention = retention
        self.audit_shipper = audit_shipper
        self.rollup = rollup

    async def run(self, stopping: asyncio.Event) -> None:
        """Run everything until `stopping` is set or the API or the roles stop; then stop the rest."""
        settle_heap()
        side: list[asyncio.Task[None]] = []
        if self.presence is not None:
            side.append(asyncio.create_task(supervise("presence", self.presence.run, stopping), name="presence"))
        if self.clock is not None:
            side.append(asyncio.create_task(supervise("clock", self.clock.run, stopping), name="clock"))
        if self.retention is not None:
            retention, interval = self.retention
            side.append(asyncio.create_task(
                supervise("retention", lambda s: retention.run(s, interval), stopping), name="retention"))
        if self.rollup is not None:
            side.append(asyncio.create_task(supervise("rollup", self.rollup.run, stopping), name="rollup"))
        if self.audit_shipper is not None:
            side.append(asyncio.create_task(supervise("audit-shipper", self.audit_shipper.run, stopping),
                                            name="audit-shipper"))
        main = [asyncio.create_task(self.runtime.run(stopping), name="runtime")]
        if self.app is not None and self.sock is not None:
            from legato.api import server as http

            main.append(asyncio.create_task(http.serve(self.app, stopping, self.sock), name="http"))
        stop = asyncio.create_task(stopping.wait(), name="stop-signal")
        try:
            await asyncio.wait([*main, stop], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.set()
            results = await asyncio.gather(*main, *side, return_exceptions=True)
            stop.cancel()
            for task, result in zip([*main, *side], results, strict=True):
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    log.error("%s stopped with an error: %r", task.get_name(), result)
            tracing.flush()
            metrics.process_stopped()


@functools.cache  # once per process: a test process running many servers pins its first one's start-up only
def settle_heap() -> None:
    """Once a server process is built: what it has loaded (modules, plugins' models, caches) lives as long as the
    process, so the collector's full passes leave it out. Without this, each full pass walks those ~150,000 objects
    again, a 60-120 ms stall of every role in the process, every few hundred tasks."""
    gc.freeze()


def use_secret_backend(secrets: SecretSettings) -> None:
    """Keep this process's namespace secrets where `secrets` says: the database (sealed) or Vault."""
    if secrets.backend != "vault" or secrets.vault is None:
        secret_backends.use(None)
        return
    from legato.store import vault  # the optional `vault` extra (hvac)

    v = secrets.vault
    client = vault.VaultClient(
        v.url, mount=v.mount, root=v.root, token=v.token.get_secret_value() if v.token else None,
        role_id=v.role_id, secret_id=v.secret_id.get_secret_value() if v.secret_id else None,
        approle_mount=v.approle_mount, verify=v.verify, timeout=v.timeout_seconds)
    secret_backends.use(vault.factory(client))


def build(settings: Settings, roles: Sequence[str], store: Store, *, sock: socket.socket | None = None,
          credentials: tuple[str, str] | None = None) -> Process:
    """The process running `roles` on `store` as `settings` say; registered in the server registry (the caller
    marks it stopped when it ends). The API is served on `sock` when the webserver role is among `roles`."""
    use_secret_backend(settings.secrets)
    clock = DatabaseClock(store)
    clock.sync()
    groups: tuple[str | None, ...] = tuple(settings.worker_groups) or (None,)
    presence = Presence(store, roles, clock, interval_seconds=settings.heartbeat_seconds,
                        worker_groups=groups if WORKER in roles else (),
                        slots=settings.worker_slots if WORKER in roles else None)
    presence.register()
    data_dir = settings.data_dir.resolve()
    runtime = Runtime(store, clock=clock, run_worker=WORKER in roles, run_executor=EXECUTOR in roles,
                      run_scheduler=SCHEDULER in roles, run_sources=WORKER in roles, sources_owner=presence.id,
                      worker_slots=settings.worker_slots, worker_groups=groups,
                      lease=timedelta(seconds=settings.lease_seconds), poll_seconds=settings.poll_seconds,
                      data_dir=data_dir, drain_seconds=settings.drain_seconds,
                      executor_threads=settings.executor_threads)
    if EXECUTOR in roles or WEBSERVER in roles:  # the roles that own housekeeping, and the one that deploys
        finish_deploys(store, runtime.storage)
    policy = settings.retention
    retention = None
    if EXECUTOR in roles and (policy.executions is not None or policy.logs is not None
                              or policy.audit_logs is not None):
        retention = (Retention(store, clock, executions=policy.executions, logs=policy.logs, batch=policy.batch,
                               pause_seconds=0.01, audit_logs=policy.audit_logs), policy.interval)
    app = None
    # The API (FastAPI, uvicorn, the sign-in clients) is imported only by a process that serves it: an executor
    # or a worker process (and the Runtime of tests and benchmarks) stays without it.
    if WEBSERVER in roles:
        from legato.api import create_app

        app = create_app(store, clock=clock, data_dir=data_dir, basic_auth=credentials, flows=runtime.flows,
                         storage=runtime.storage, auth_config=auth_config(settings),
                         ai_model=copilot.configured(settings))
    elif settings.probe_port is not None:  # the roles' own /health, /ready and /metrics
        from legato.api import server as http
        from legato.api.probes import create_probe_app

        app, sock = create_probe_app(store, clock, roles), http.bind(settings.probe_host, settings.probe_port)
    audit = settings.audit
    shipper = AuditShipper(store, audit.syslog_host, audit.syslog_port, protocol=audit.syslog_protocol,
                           interval_seconds=audit.syslog_interval_seconds, version=system_version()) \
        if EXECUTOR in roles and audit.syslog_host else None
    rollup = DayRollup(store) if EXECUTOR in roles else None
    return Process(store, runtime, app=app, sock=sock, presence=presence, clock=clock, retention=retention,
                   audit_shipper=shipper, rollup=rollup)


def finish_deploys(store: Store, storage: Storage) -> None:
    """Startup housekeeping: carry out the deploy journals a dead deploy committed and remove the staging of the
    deploys that died before their commit (`services.deploy_journal`). A storage fault is logged, not fatal: the
    journals stay for the next start or the namespace's next deploy."""
    try:
        deploy_journal.recover(store, storage)
    except (StorageError, OSError) as exc:
        log.error("deploy recovery failed, it is tried again at the next start or deploy: %s", exc)


def system_version() -> str:
    """Legato's version, as the audit events name it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("legato")
    except PackageNotFoundError:
        return "0"


def auth_config(settings: Settings) -> AuthConfig:
    """How the API authenticates, from the settings (the basic-auth pair is passed apart, parsed by the CLI)."""
    from legato.api.auth import AuthConfig
    from legato.identity.ldap import LdapDirectory
    from legato.identity.oidc import OidcClient

    auth = settings.auth
    return AuthConfig(policy=auth.policy(), session_ttl=auth.session_ttl, secure_cookies=auth.secure_cookies,
                      oidc=OidcClient(auth.oidc.client_config()) if auth.oidc else None,
                      ldap=LdapDirectory(auth.ldap.directory_config()) if auth.ldap else None)


def local(store: Store, data_dir: Path, sock: socket.socket, *, worker_slots: int, lease: timedelta,
          credentials: tuple[str, str] | None, auth: AuthConfig, ai_model: copilot.Model | None = None) -> Process:
    """`server local`: every role and the API in one process on the SQLite database under `data_dir`."""
    runtime = Runtime(store, worker_slots=worker_slots, lease=lease, data_dir=data_dir, run_scheduler=True,
                      run_sources=True)
    finish_deploys(store, runtime.storage)
    from legato.api import create_app

    app = create_app(store, data_dir=data_dir, basic_auth=credentials, flows=runtime.flows, storage=runtime.storage,
                     auth_config=auth, ai_model=ai_model)
    return Process(store, runtime, app=app, sock=sock, rollup=DayRollup(store))
