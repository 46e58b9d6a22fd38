"""The FastAPI application: Kestra-shaped routes under /api/v1/{tenant}/..., one router per noun."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from legato.api import (
    blueprints,
    errors,
    evaluate,
    execution_files,
    executions,
    flows,
    kv,
    logs,
    namespace_files,
    plugins,
    stats,
    system,
    triggers,
    ui,
    webhooks,
)
from legato.api.context import ApiContext
from legato.api.middleware import BasicAuth, RejectNul, RequestMetrics
from legato.clock import utcnow
from legato.storage import LocalStorage, Storage, default_storage
from legato.storage import defaults as storage_defaults
from legato.store.ports import Store

TAGS = [
    {"name": "Flows", "description": "Create, read, update, delete, validate and search flows (YAML sources with revisions)."},
    {"name": "Executions", "description": "Start executions, follow them, and act on them (kill, restart, resume...)."},
    {"name": "Logs", "description": "Log lines of executions: read, search, download, follow, delete."},
    {"name": "KV", "description": "The key-value store of a namespace."},
    {"name": "Namespace files", "description": "Files of a namespace (scripts, SQL, configs) that tasks can use."},
    {"name": "Plugins", "description": "Task and trigger types with their docs and JSON Schemas."},
    {"name": "Blueprints", "description": "Ready-to-run example flows shipped with Legato."},
    {"name": "Triggers", "description": "Trigger states (next and last dates, lock, enabled) and backfills of schedules."},
    {"name": "Stats", "description": "Execution counts for dashboards."},
    {"name": "System", "description": "Health, configuration and metrics."},
]


def create_app(store: Store, *, clock: Callable[[], datetime] = utcnow, data_dir: Path | None = None,
               basic_auth: tuple[str, str] | None = None, poll_seconds: float = 0.2,
               storage: Storage | None = None) -> FastAPI:
    """The API over `store`. Uploaded files go under `data_dir` (a temporary directory by default);
    with `basic_auth=(user, password)` every route but /health requires those credentials. `storage` is the
    internal storage the runtime writes to; by default the runtime's own default for `data_dir`
    (LEGATO_STORAGE_ROOT when set, else <data dir>/storage)."""
    app = FastAPI(
        title="Legato API", version=system.legato_version(), openapi_tags=TAGS,
        openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None,
        description="Kestra-compatible REST API of Legato. Errors are JSON `{message, details[]}`.",
    )
    root = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix="legato-api-"))
    if storage is None:
        storage = default_storage() if storage_defaults.configured() else LocalStorage(root / "storage")
    ctx = ApiContext(store=store, clock=clock, data_dir=root, started=clock(), basic_auth=basic_auth is not None,
                     poll_seconds=poll_seconds, storage=storage)
    app.state.legato = ctx
    errors.install(app)
    for module in (system, flows, webhooks, triggers, executions, execution_files, evaluate, logs, kv,
                   namespace_files, plugins, stats, blueprints, ui):
        for router in module.routers():
            app.include_router(router)
    app.add_middleware(RejectNul)
    app.add_middleware(RequestMetrics, metrics=ctx.metrics)
    if basic_auth is not None:
        app.add_middleware(BasicAuth, credentials=basic_auth)
    return app
