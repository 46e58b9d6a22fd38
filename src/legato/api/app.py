"""The FastAPI application: Kestra-shaped routes under /api/v1/{tenant}/..., one router per noun."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI

from legato.api import errors, executions, flows, kv, logs, plugins, stats, system
from legato.api.context import ApiContext
from legato.api.middleware import BasicAuth, RejectNul, RequestMetrics
from legato.clock import utcnow
from legato.store.ports import Store

TAGS = [
    {"name": "Flows", "description": "Create, read, update, delete, validate and search flows (YAML sources with revisions)."},
    {"name": "Executions", "description": "Start executions, follow them, and act on them (kill, restart, resume...)."},
    {"name": "Logs", "description": "Log lines of executions: read, search, download, follow, delete."},
    {"name": "KV", "description": "The key-value store of a namespace."},
    {"name": "Plugins", "description": "Task and trigger types with their docs and JSON Schemas."},
    {"name": "Stats", "description": "Execution counts for dashboards."},
    {"name": "System", "description": "Health, configuration and metrics."},
]


def create_app(store: Store, *, clock: Callable[[], datetime] = utcnow, data_dir: Path | None = None,
               basic_auth: tuple[str, str] | None = None, poll_seconds: float = 0.2) -> FastAPI:
    """The API over `store`. Uploaded files go under `data_dir` (a temporary directory by default);
    with `basic_auth=(user, password)` every route but /health requires those credentials."""
    app = FastAPI(
        title="Legato API", version=system.legato_version(), openapi_tags=TAGS,
        openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None,
        description="Kestra-compatible REST API of Legato. Errors are JSON `{message, details[]}`.",
    )
    root = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix="legato-api-"))
    ctx = ApiContext(store=store, clock=clock, data_dir=root, started=clock(), basic_auth=basic_auth is not None,
                     poll_seconds=poll_seconds)
    app.state.legato = ctx
    errors.install(app)
    for module in (system, flows, executions, logs, kv, plugins, stats):
        for router in module.routers():
            app.include_router(router)
    app.add_middleware(RejectNul)
    app.add_middleware(RequestMetrics, metrics=ctx.metrics)
    if basic_auth is not None:
        app.add_middleware(BasicAuth, credentials=basic_auth)
    return app
