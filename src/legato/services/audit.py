"""The audit trail of the services: every write records who (the acting principal, from which IP with which
token), when, what (resource, id, namespace, tenant) and the change, in the same transaction as the write.

Resource and action names are Kestra's (FLOW, EXECUTION, TRIGGER, SECRET...; CREATE, UPDATE, DELETE, and
the specific actions such as KILL or RESTART). The IP comes from the principal when it carries one, else
from the request the API is serving (`ORIGIN`, set by its middleware); the token id only from the principal.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from legato.clock import utcnow
from legato.services.principal import Principal
from legato.store.ports import AuditLog
from legato.store.ports.governance import AuditEntry

ORIGIN: ContextVar[str | None] = ContextVar("legato_audit_origin", default=None)  # the caller's IP address


def entry(by: Principal, action: str, resource: str, resource_id: str, *, namespace: str | None = None,
          details: dict[str, Any] | None = None, now: datetime | None = None) -> AuditEntry:
    """The audit entry of `by` doing `action` on a resource."""
    return AuditEntry(
        at=now or utcnow(), action=action, resource=resource, resource_id=resource_id, namespace=namespace,
        actor_kind=str(by.kind), actor=by.name, ip=by.ip or ORIGIN.get(), token_id=by.token_id, details=details,
        tenant=by.tenant,
    )


@contextmanager
def recorded(store: AuditLog, entries: Sequence[AuditEntry]) -> Iterator[None]:
    """Within the block, the first write of the store also appends `entries` (same transaction)."""
    if not entries:
        yield
        return
    with store.audited(entries):
        yield


def action(store: AuditLog, by: Principal, action: str, resource: str, resource_id: str, *,
           namespace: str | None = None, details: dict[str, Any] | None = None,
           now: datetime | None = None) -> AbstractContextManager[None]:
    """`recorded` for one entry: `with audit.action(store, by, "KILL", "EXECUTION", id): store.send_event(...)`."""
    return recorded(store, [entry(by, action, resource, resource_id, namespace=namespace, details=details, now=now)])


def record(store: AuditLog, by: Principal, action: str, resource: str, resource_id: str, *,
           namespace: str | None = None, details: dict[str, Any] | None = None, now: datetime | None = None) -> None:
    """Append one entry on its own, for a write outside the store that just succeeded (a namespace file)."""
    store.audit_append([entry(by, action, resource, resource_id, namespace=namespace, details=details, now=now)])


def source_diff(before: str | None, after: str | None, name: str) -> dict[str, Any]:
    """The change of a flow's YAML source as a unified diff (`diff`)."""
    lines = difflib.unified_diff((before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
                                 fromfile=f"a/{name}", tofile=f"b/{name}")
    return {"diff": "".join(lines)}


def changed(before: Any, after: Any) -> dict[str, Any]:
    """The change of a JSON-like value as `before` and `after`."""
    return {"before": before, "after": after}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
