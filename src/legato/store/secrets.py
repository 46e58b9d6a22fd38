"""Namespace secrets: sealed values with a description and tags, per tenant and namespace."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Text, bindparam, cast, delete, select, update

from legato import sealing
from legato.store.dialect import Dialect
from legato.store.ports.governance import SecretRecord
from legato.store.schema import executions, secrets

_s = secrets.c
_KEY = (_s.tenant == bindparam("b_tenant")) & (_s.namespace == bindparam("b_ns")) & (_s.key == bindparam("b_key"))


class SecretQueries:
    """Named queries over the secrets table."""

    def __init__(self, dialect: Dialect):
        self._get = select(secrets).where(_KEY)
        self._upsert = dialect.upsert(secrets, ["tenant", "namespace", "key"],
                                      ["value", "description", "tags", "updated", "updated_by"])
        self._delete = delete(secrets).where(_KEY)
        self._of_namespace = (select(secrets).where(_s.tenant == bindparam("b_tenant"), _s.namespace == bindparam("b_ns"))
                              .order_by(_s.key))
        self._in_chain = select(secrets).where(
            _s.tenant == bindparam("b_tenant"), _s.key == bindparam("b_key"),
            _s.namespace.in_(bindparam("b_chain", expanding=True)))
        self._all = select(_s.tenant, _s.namespace, _s.key, _s.value)
        self._reseal = update(secrets).where(_KEY).values(value=bindparam("b_value"))
        # executions whose SECRET inputs are sealed (legato.sealing.PREFIX)
        self._sealed_executions = select(executions.c.id, executions.c.data).where(
            cast(executions.c.data, Text).contains(sealing.PREFIX, autoescape=True))
        self._reseal_execution = update(executions).where(executions.c.id == bindparam("b_id")).values(
            data=bindparam("b_data", type_=executions.c.data.type))

    def get(self, conn: Connection, tenant: str, namespace: str, key: str) -> SecretRecord | None:
        """The secret `key` of exactly `namespace`."""
        row = conn.execute(self._get, {"b_tenant": tenant, "b_ns": namespace, "b_key": key}).first()
        return _record(row) if row else None

    def put(self, conn: Connection, record: SecretRecord) -> None:
        """Create or replace a secret."""
        conn.execute(self._upsert, {
            "tenant": record.tenant, "namespace": record.namespace, "key": record.key, "value": record.value,
            "description": record.description, "tags": dict(record.tags), "updated": record.updated,
            "updated_by": record.updated_by,
        })

    def delete(self, conn: Connection, tenant: str, namespace: str, key: str) -> bool:
        """Remove a secret; True when it existed."""
        return conn.execute(self._delete, {"b_tenant": tenant, "b_ns": namespace, "b_key": key}).rowcount == 1

    def of_namespace(self, conn: Connection, tenant: str, namespace: str) -> list[SecretRecord]:
        """The secrets of exactly `namespace`, by key."""
        return [_record(r) for r in conn.execute(self._of_namespace, {"b_tenant": tenant, "b_ns": namespace})]

    def nearest(self, conn: Connection, tenant: str, chain: Sequence[str], key: str) -> SecretRecord | None:
        """The secret `key` of the first namespace of `chain` that has one (a namespace, then its parents)."""
        rows = {r.namespace: r for r in conn.execute(self._in_chain, {"b_tenant": tenant, "b_key": key,
                                                                      "b_chain": list(chain)})}
        return next((_record(rows[ns]) for ns in chain if ns in rows), None)

    def reseal_all(self, conn: Connection, reseal: Callable[[str], str]) -> int:
        """Replace every sealed value by `reseal(value)`: the secrets' values and the sealed SECRET inputs of
        stored executions; how many secrets."""
        rows = conn.execute(self._all).all()
        for row in rows:
            conn.execute(self._reseal, {"b_tenant": row.tenant, "b_ns": row.namespace, "b_key": row.key,
                                        "b_value": reseal(row.value)})
        for found in conn.execute(self._sealed_executions).all():
            execution = found.data
            inputs = _map_sealed(execution.inputs, reseal)
            if inputs != execution.inputs:
                conn.execute(self._reseal_execution,
                             {"b_id": found.id, "b_data": execution.model_copy(update={"inputs": inputs})})
        return len(rows)


def _record(row: Row[Any]) -> SecretRecord:
    return SecretRecord(namespace=row.namespace, key=row.key, value=row.value, description=row.description,
                        tags=dict(row.tags or {}), updated=row.updated, updated_by=row.updated_by, tenant=row.tenant)


def _map_sealed(value: Any, fn: Callable[[str], str]) -> Any:
    """`value` (JSON-like) with each sealed string replaced by `fn(it)`."""
    if isinstance(value, str):
        return fn(value) if sealing.is_sealed(value) else value
    if isinstance(value, dict):
        return {k: _map_sealed(v, fn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_map_sealed(v, fn) for v in value]
    return value


def chain_of(namespace: str) -> list[str]:
    """`namespace` and its parents, nearest first: `a.b.c` → `a.b.c`, `a.b`, `a`."""
    parts = namespace.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def touched(record: SecretRecord, now: datetime, by: str) -> SecretRecord:
    """`record` stamped as written at `now` by `by`."""
    return SecretRecord(namespace=record.namespace, key=record.key, value=record.value,
                        description=record.description, tags=dict(record.tags), updated=now, updated_by=by,
                        tenant=record.tenant)
