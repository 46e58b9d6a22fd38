"""What every route needs: the store, the clock, where uploaded files go; and the tenant check."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi import Path as PathParam

from legato.api.errors import not_found
from legato.flows import Flows
from legato.services.copilot import Model
from legato.services.principal import Principal
from legato.storage.port import Storage
from legato.store.ports import MAIN, Store
from legato.store.ports.tenants import TenantStore

TENANT = MAIN  # the default tenant (Kestra's OSS one): the tenant of existing data and single-tenant installs


@dataclass
class ApiContext:
    store: Store
    clock: Callable[[], datetime]
    data_dir: Path
    started: datetime
    basic_auth: bool = False
    poll_seconds: float = 0.2  # how often streams look for changes
    storage: Storage | None = None  # internal storage (execution files, namespace files)
    flows: Flows = field(default_factory=Flows)  # the process's parsed flows (the roles' own when they run here)
    ai: Model | None = None  # the AI copilot's model, when the administrator configured one

    @property
    def files(self) -> Storage:
        """The internal storage; a server always has one (create_app sets it)."""
        assert self.storage is not None
        return self.storage


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.legato
    return ctx


Ctx = Annotated[ApiContext, Depends(context)]


def principal(request: Request) -> Principal:
    """Who calls, as auth.Authenticate established it before any route runs."""
    found = request.scope.get("state", {}).get("principal")
    if not isinstance(found, Principal):
        raise RuntimeError("no principal: the app runs without its authentication middleware")
    return found


Acting = Annotated[Principal, Depends(principal)]


class KnownTenants:
    """Which tenants exist, remembered for `ttl` seconds (a request checks its tenant without a query; a tenant
    created or deleted through this process's services shows at once, through another one within `ttl`)."""

    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._known: frozenset[str] = frozenset()
        self._until = 0.0

    def exists(self, store: TenantStore, tenant: str) -> bool:
        if tenant == MAIN:
            return True
        now = time.monotonic()
        if now >= self._until or tenant not in self._known:
            self._known = frozenset(t.id for t in store.list_tenants())
            self._until = now + self.ttl
        return tenant in self._known

    def clear(self) -> None:
        self._until = 0.0


KNOWN = KnownTenants()


def check_tenant(ctx: Annotated[ApiContext, Depends(context)],
                 tenant: Annotated[str, PathParam(description="The tenant; `main` by default.", max_length=64)]) -> str:
    """The tenant of the path; 404 naming it unless it is registered (`main` always is)."""
    if not KNOWN.exists(ctx.store, tenant):
        raise not_found(f"tenant '{tenant}' not found")
    return tenant


Tenant = Annotated[str, Depends(check_tenant)]
