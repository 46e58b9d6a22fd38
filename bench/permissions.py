"""The permission check of every API request: the pure check over resolved grants, and the whole per-request
path with a cached principal (grants looked up in the cache, the route's rule found in the access table, the
check). Goal: <= 0.2 ms per request.

    .venv/bin/python bench/permissions.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from legato.api import access as table
from legato.identity.permissions import Action, Resource
from legato.services import access, identity
from legato.services.principal import SYSTEM
from legato.store import open_store

N = 200_000
GOAL_MS = 0.2


def _per_call_us(fn: object, n: int) -> float:
    call = fn  # type: ignore[assignment]
    started = time.perf_counter()
    for _ in range(n):
        call()  # type: ignore[operator]
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        identity.create_account(store, "USER", "owner", password="bench-password", by=SYSTEM, now=now, owner=True)
        ada = identity.create_account(store, "USER", "ada", password="bench-password", by=SYSTEM, now=now)
        group = access.create_group(store, "team", by=SYSTEM, now=now)
        access.set_member(store, group.id, ada.id, True, by=SYSTEM)
        # a realistic spread: a viewer everywhere, an editor on 20 team namespaces, a launcher through a group
        access.create_binding(store, "viewer", "USER", ada.id, None, by=SYSTEM, now=now)
        for i in range(20):
            access.create_binding(store, "editor", "USER", ada.id, f"company.team{i}", by=SYSTEM, now=now)
            access.create_binding(store, "launcher", "GROUP", group.id, f"ops.area{i}", by=SYSTEM, now=now)
        principal = identity.principal_of(store, ada)
        grants = principal.grants
        pure_hit = _per_call_us(lambda: grants.allows(Resource.FLOW, Action.UPDATE, "company.team19.sub"), N)
        pure_miss = _per_call_us(lambda: grants.allows(Resource.FLOW, Action.DELETE, "company.team190"), N)
        need = table.rule("PUT", "/api/v1/{tenant}/flows/{namespace}/{id}")
        assert isinstance(need, table.Need)

        def per_request() -> bool:
            found = table.rule("PUT", "/api/v1/{tenant}/flows/{namespace}/{id}")
            assert isinstance(found, table.Need)
            resolved = identity.principal_of(store, ada, token_id="t", ip="127.0.0.1")  # grants from the cache
            return table.allowed(resolved, found, "company.team7.etl")

        assert per_request()
        request_us = _per_call_us(per_request, N // 4)
        store.close()
    print(f"permission check (pure, allowed, 41 bindings): {pure_hit:.2f} us")
    print(f"permission check (pure, refused):               {pure_miss:.2f} us")
    verdict = "OK" if request_us / 1000 <= GOAL_MS else "OVER GOAL"
    print(f"per request (table + cached principal + check):  {request_us:.2f} us = {request_us / 1000:.4f} ms "
          f"(goal <= {GOAL_MS} ms: {verdict})")


if __name__ == "__main__":
    main()
