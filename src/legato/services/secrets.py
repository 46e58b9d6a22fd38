"""Namespace secrets, for the API and the CLI: set (create or replace), change the description and tags,
list without values, delete, and rotate the encryption key of the database backend. Every write is audited
in its own transaction; a value is never returned once written, nor put in the audit log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from legato import sealing
from legato.identity.permissions import Action, Resource
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import audit
from legato.services.errors import NotFoundError
from legato.services.principal import Principal, require, require_instance
from legato.store import secret_backends
from legato.store.ports import Governance
from legato.store.ports.governance import TENANT
from legato.store.secret_backends import SecretInfo
from legato.store.secrets import chain_of

KEY_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$"
MAX_VALUE = 64 * 1024
MAX_TAGS = 64


class InvalidSecret(ValueError):
    """A secret's key, value, namespace or tags are not acceptable (the message says which and why)."""


def list_secrets(store: Governance, namespace: str, *, by: Principal) -> list[SecretInfo]:
    """The secrets of exactly `namespace` (no values), by key."""
    require(by, Resource.SECRET, Action.LIST, namespace)
    _check_namespace(namespace)
    return secret_backends.backend(store).list(namespace, _tenant(by))


def inherited(store: Governance, namespace: str, *, by: Principal) -> dict[str, list[str]]:
    """The keys `namespace` inherits, by parent namespace (nearest first), without the ones it overrides."""
    require(by, Resource.SECRET, Action.LIST, namespace)
    _check_namespace(namespace)
    backend = secret_backends.backend(store)
    seen = {s.key for s in backend.list(namespace, _tenant(by))}
    out: dict[str, list[str]] = {}
    for parent in chain_of(namespace)[1:]:
        keys = [s.key for s in backend.list(parent, _tenant(by)) if s.key not in seen]
        seen.update(keys)
        if keys:
            out[parent] = keys
    return out


def set_secret(store: Governance, namespace: str, key: str, value: str, *, by: Principal, now: datetime,
               description: str | None = None, tags: Mapping[str, str] | None = None) -> SecretInfo:
    """Create or replace the secret `key` of `namespace`."""
    require(by, Resource.SECRET, Action.CREATE, namespace)
    _check_namespace(namespace)
    _check_key(key)
    if not isinstance(value, str) or value == "":
        raise InvalidSecret(f"secret {key}: the value must be a non-empty string")
    if len(value.encode()) > MAX_VALUE:
        raise InvalidSecret(f"secret {key}: the value is larger than {MAX_VALUE // 1024} KiB")
    return _write(store, _info(namespace, key, description, tags, by, now), value, by, now)


def update_secret(store: Governance, namespace: str, key: str, *, by: Principal, now: datetime,
                  description: str | None = None, tags: Mapping[str, str] | None = None) -> SecretInfo:
    """Change the description and tags of an existing secret, keeping its value; NotFoundError without one."""
    require(by, Resource.SECRET, Action.UPDATE, namespace)
    _check_namespace(namespace)
    backend = secret_backends.backend(store)
    current = backend.info(namespace, key, _tenant(by))
    if current is None:
        raise NotFoundError(f"secret {key} not found in namespace {namespace}")
    info = _info(namespace, key, description if description is not None else current.description,
                 tags if tags is not None else current.tags, by, now)
    return _write(store, info, None, by, now)


def delete_secret(store: Governance, namespace: str, key: str, *, by: Principal, now: datetime) -> None:
    """Delete the secret `key` of `namespace`; NotFoundError when it has none (its parents' stay)."""
    require(by, Resource.SECRET, Action.DELETE, namespace)
    _check_namespace(namespace)
    backend = secret_backends.backend(store)
    current = backend.info(namespace, key, _tenant(by))
    if current is None:
        raise NotFoundError(f"secret {key} not found in namespace {namespace}")
    entry = audit.entry(by, "DELETE", "SECRET", f"{namespace}/{key}", namespace=namespace, now=now,
                        details=audit.changed(_shown(current), None))
    if backend.delete(namespace, key, _tenant(by), [entry]) is None:
        raise NotFoundError(f"secret {key} not found in namespace {namespace}")


def rotate_key(store: Governance, new_key: str, *, by: Principal, now: datetime) -> int:
    """Re-seal every secret of the database, and the sealed SECRET inputs of stored executions, with `new_key`
    (base64 of 32 bytes) in ONE transaction, then make
    it this process's key; how many secrets. A value the current key cannot open stops it before anything is
    written (sealing.SealingError)."""
    require_instance(by, Resource.SECRET, Action.UPDATE)
    key = sealing.key_of(new_key, "the new encryption key")
    entry = audit.entry(by, "ROTATE_KEY", "SECRET", "*", now=now)
    count = store.secrets_reseal(sealing.resealer(key), [entry])
    sealing.use_key(key)
    return count


def _write(store: Governance, info: SecretInfo, value: str | None, by: Principal, now: datetime) -> SecretInfo:
    backend = secret_backends.backend(store)
    before = backend.info(info.namespace, info.key, info.tenant)
    details: dict[str, Any] = {**audit.changed(_shown(before), _shown(info)), "valueChanged": value is not None}
    entry = audit.entry(by, "CREATE" if before is None else "UPDATE", "SECRET", f"{info.namespace}/{info.key}",
                        namespace=info.namespace, now=now, details=details)
    backend.write(info, value, [entry])
    return info


def _shown(info: SecretInfo | None) -> dict[str, Any] | None:
    """What the audit log shows of a secret: never its value."""
    return None if info is None else {"description": info.description, "tags": dict(info.tags)}


def _info(namespace: str, key: str, description: str | None, tags: Mapping[str, str] | None, by: Principal,
          now: datetime) -> SecretInfo:
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS or any(not isinstance(k, str) or not isinstance(v, str) or not k for k, v in tags.items()):
        raise InvalidSecret(f"secret {key}: tags are at most {MAX_TAGS} non-empty string keys with string values")
    return SecretInfo(namespace=namespace, key=key, description=description, tags=tags, updated=now,
                      updated_by=str(by), tenant=_tenant(by))


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not re.match(KEY_PATTERN, key) or len(key) > 255:
        raise InvalidSecret(f"invalid secret key {key!r}: letters, digits, '_', '.' and '-' (not first), "
                            "at most 255 characters")


def _check_namespace(namespace: str) -> None:
    if not re.match(NAMESPACE_PATTERN, namespace) or len(namespace) > 255:
        raise InvalidSecret(f"invalid namespace {namespace!r}")


def _tenant(by: Principal) -> str:
    return str(getattr(by, "tenant", None) or TENANT)
