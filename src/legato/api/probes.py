"""The probes of a process without the webserver role (executor, worker, scheduler): `/health`, `/ready` and
`/metrics` on a port of their own (setting `probe_port`), for an orchestrator's liveness and readiness checks and
for Prometheus. No credentials: bind it where only the orchestrator and Prometheus reach (127.0.0.1 by default)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse

from legato.api import system
from legato.api.middleware import RequestMetrics


def create_probe_app(store: system.ProbePorts, clock: Callable[[], datetime], roles: Sequence[str]) -> FastAPI:
    """The probe routes of a process running `roles` on `store`."""
    app = FastAPI(title=f"Legato {'+'.join(roles)} probes", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/health")
    def health() -> JSONResponse:
        """UP while the process runs and its database answers; 503 otherwise."""
        return system.health_of(store)

    @app.get("/ready")
    def ready() -> JSONResponse:
        """UP when the database answers and its schema is at the newest migration; 503 otherwise."""
        return system.readiness_of(store)

    @app.get("/metrics")
    def metrics() -> Response:
        """This process's metrics (the host's, in multi-process mode) and the database's figures."""
        return system.metrics_of(store, clock)

    app.add_middleware(RequestMetrics)
    return app
