"""The FastAPI application: Kestra-shaped routes under /api/v1/{tenant}/..., one router per noun."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI

from legato.api import (
    access,
    ai,
    apps,
    assets,
    auditlogs,
    auth,
    blueprints,
    dashboards,
    deploy,
    errors,
    evaluate,
    execution_files,
    execution_metrics,
    executions,
    iam,
    integrations,
    kv,
    logs,
    namespace_files,
    namespaces,
    plugins,
    scim,
    secrets,
    sso,
    stats,
    system,
    tenants,
    tests,
    triggers,
    ui,
    webhooks,
)
from legato.api import flows as flow_routes
from legato.api.auth import AuthConfig, Authenticate
from legato.api.context import ApiContext
from legato.api.middleware import AuditOrigin, RejectNul, RequestMetrics
from legato.clock import utcnow
from legato.flows import Flows
from legato.services.copilot import Model
from legato.storage import LocalStorage, Storage, default_storage
from legato.storage import defaults as storage_defaults
from legato.store.ports import Store

TAGS = [
    {"name": "Flows", "description": "Create, read, update, delete, validate and search flows (YAML sources with revisions)."},
    {"name": "Executions", "description": "Start executions, follow them, and act on them (kill, restart, resume...)."},
    {"name": "Logs", "description": "Log lines of executions: read, search, download, follow, delete."},
    {"name": "KV", "description": "The key-value store of a namespace."},
    {"name": "Namespaces", "description": "A namespace's own description, variables and plugin defaults."},
    {"name": "Namespace files", "description": "Files of a namespace (scripts, SQL, configs) that tasks can use."},
    {"name": "Plugins", "description": "Task and trigger types with their docs and JSON Schemas."},
    {"name": "Blueprints", "description": "Ready-to-run example flows shipped with Legato."},
    {"name": "Triggers", "description": "Trigger states (next and last dates, lock, enabled) and backfills of schedules."},
    {"name": "Secrets", "description": "Namespace secrets: values encrypted at rest and never returned."},
    {"name": "Audit logs", "description": "Who changed what, when, from where: search and export."},
    {"name": "Stats", "description": "Execution counts for dashboards."},
    {"name": "Tests", "description": "Flow unit tests: test suites with fixtures and assertions, their runs and results."},
    {"name": "Dashboards", "description": "Custom dashboards: charts over executions, flows, logs, metrics and triggers."},
    {"name": "Deploy", "description": "`legato deploy --server`: a namespace's flows, test suites, apps and files, or the dashboards, applied all or nothing."},
    {"name": "Assets", "description": "What flows read and write, registered by hand or recorded by tasks, with their lineage."},
    {"name": "Apps", "description": "Apps: forms over flows, with blocks shown by the stage of the execution they start."},
    {"name": "AI", "description": "The AI copilot: flows written, changed and fixed on request, proposed once valid."},
    {"name": "System", "description": "Health, configuration and metrics."},
    {"name": "Access", "description": "Sign-in, users, service accounts, API tokens, groups, roles and bindings."},
    {"name": "Tenants", "description": "Tenants: isolated sets of flows, executions, logs, KV, files and bindings."},
]


def create_app(store: Store, *, clock: Callable[[], datetime] = utcnow, data_dir: Path | None = None,
               basic_auth: tuple[str, str] | None = None, poll_seconds: float = 0.2,
               storage: Storage | None = None, flows: Flows | None = None, auth_config: AuthConfig | None = None,
               ai_model: Model | None = None) -> FastAPI:
    """The API over `store`. Uploaded files go under `data_dir` (a temporary directory by default);
    with `basic_auth=(user, password)` (the instance owner) or once users exist, every route but the public ones
    requires credentials (auth.py; the access table, access.RULES, says what each route needs). `storage` is the
    internal storage the runtime writes to; by default the runtime's own default for `data_dir`
    (LEGATO_STORAGE_ROOT when set, else <data dir>/storage). `flows` is the process's parsed flows, shared
    with the roles running in the same process. `ai_model`: the AI copilot's model (routes of api/ai.py answer
    409 without one)."""
    app = FastAPI(
        title="Legato API", version=system.legato_version(), openapi_tags=TAGS,
        openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None,
        description="Kestra-compatible REST API of Legato. Errors are JSON `{message, details[]}`.",
        dependencies=[Depends(access.authorize)],
    )
    root = data_dir if data_dir is not None else Path(tempfile.mkdtemp(prefix="legato-api-"))
    if storage is None:
        storage = default_storage() if storage_defaults.configured() else LocalStorage(root / "storage")
    ctx = ApiContext(store=store, clock=clock, data_dir=root, started=clock(), basic_auth=basic_auth is not None,
                     poll_seconds=poll_seconds, storage=storage, flows=flows or Flows(), ai=ai_model)
    app.state.legato = ctx
    errors.install(app)
    config = auth_config or AuthConfig()
    if basic_auth is not None:
        config = replace(config, basic=basic_auth)
    app.state.legato_auth = config
    for module in (system, auth, sso, iam, tenants, integrations, flow_routes, webhooks, triggers, executions, execution_files,
                   execution_metrics, evaluate, logs, kv, namespace_files, namespaces, plugins, stats, blueprints, tests,
                   dashboards, deploy, apps, assets, secrets, auditlogs, ai, ui):
        for router in module.routers():
            app.include_router(router)
    app.mount(access.SCIM_BASE, scim.create_scim_app(ctx))
    app.add_middleware(RejectNul)
    app.add_middleware(AuditOrigin)
    app.add_middleware(RequestMetrics)
    app.add_middleware(Authenticate, ctx=ctx, config=config, public=access.PUBLIC_ROUTES,
                       optional=access.CREDENTIALS_OPTIONAL)
    return app
