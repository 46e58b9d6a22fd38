"""Namespace secrets in HashiCorp Vault's KV version 2 engine (the `vault` extra: hvac), with token or AppRole
authentication. One Vault entry per secret, at `<mount>/data/<root>/<tenant>/<namespace>/<KEY>`, holding
`value`, `description`, `tags` and `updatedBy`; the entry's version metadata gives the update date. Audit
entries go to Legato's database right after Vault accepted the write (Vault itself keeps its own audit device).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import hvac
import requests
from hvac import exceptions as vault_errors

from legato.store.ports import Governance
from legato.store.ports.governance import AuditEntry
from legato.store.secret_backends import SecretBackend, SecretBackendError, SecretInfo


class VaultClient:
    """An authenticated hvac client: a fixed token, or an AppRole login made again when the token expires."""

    def __init__(self, url: str, *, mount: str = "secret", root: str = "legato", token: str | None = None,
                 role_id: str | None = None, secret_id: str | None = None, approle_mount: str = "approle",
                 verify: bool = True, timeout: float = 10.0):
        self.mount = mount.strip("/")
        self.root = root.strip("/")
        self._approle = (role_id, secret_id, approle_mount) if token is None else None
        self._client = hvac.Client(url=url, token=token, verify=verify, timeout=timeout)
        self._lock = threading.Lock()

    def call(self, what: str, fn: Callable[[Any], Any]) -> Any:
        """`fn(client)`, logged in; one new AppRole login when Vault says the token is no longer valid.
        SecretBackendError naming `what` for any other failure."""
        try:
            try:
                return fn(self._logged_in(renew=False))
            except vault_errors.Forbidden:
                if self._approle is None:
                    raise
                return fn(self._logged_in(renew=True))
        except vault_errors.InvalidPath:
            raise
        except (vault_errors.VaultError, requests.RequestException) as exc:
            raise SecretBackendError(f"Vault refused or failed to {what}: {_reason(exc)}") from None

    def _logged_in(self, *, renew: bool) -> Any:
        with self._lock:
            if self._approle is not None and (renew or not self._client.token):
                role_id, secret_id, mount = self._approle
                self._client.auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=mount)
            return self._client

    def path(self, tenant: str, namespace: str, key: str | None = None) -> str:
        parts = [p for p in (self.root, tenant, namespace, key) if p]
        return "/".join(parts)


class VaultSecrets:
    """ports: SecretBackend over Vault KV v2."""

    name = "vault"

    def __init__(self, vault: VaultClient, store: Governance):
        self.vault = vault
        self.store = store

    def _read(self, tenant: str, namespace: str, key: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
        path = self.vault.path(tenant, namespace, key)
        kv = self.vault.mount
        try:
            answer = self.vault.call(f"read {path}", lambda c: c.secrets.kv.v2.read_secret_version(
                path=path, mount_point=kv, raise_on_deleted_version=False))
        except vault_errors.InvalidPath:
            return None
        body = (answer or {}).get("data") or {}
        data = body.get("data")
        return (data, body.get("metadata") or {}) if isinstance(data, dict) and "value" in data else None

    def read(self, chain: Sequence[str], key: str, tenant: str) -> tuple[str, str] | None:
        for namespace in chain:
            found = self._read(tenant, namespace, key)
            if found is not None:
                return namespace, str(found[0]["value"])
        return None

    def info(self, namespace: str, key: str, tenant: str) -> SecretInfo | None:
        found = self._read(tenant, namespace, key)
        return _info(namespace, key, tenant, *found) if found is not None else None

    def list(self, namespace: str, tenant: str) -> list[SecretInfo]:
        path = self.vault.path(tenant, namespace)
        kv = self.vault.mount
        try:
            answer = self.vault.call(f"list {path}", lambda c: c.secrets.kv.v2.list_secrets(path=path, mount_point=kv))
        except vault_errors.InvalidPath:
            return []
        keys = sorted(k for k in ((answer or {}).get("data") or {}).get("keys", []) if not k.endswith("/"))
        found = [self.info(namespace, key, tenant) for key in keys]
        return [f for f in found if f is not None]

    def write(self, info: SecretInfo, value: str | None, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        current = self._read(info.tenant, info.namespace, info.key)
        if value is None:
            if current is None:
                raise KeyError(info.key)
            value = str(current[0]["value"])
        path = self.vault.path(info.tenant, info.namespace, info.key)
        data = {"value": value, "description": info.description, "tags": dict(info.tags), "updatedBy": info.updated_by}
        kv = self.vault.mount
        self.vault.call(f"write {path}", lambda c: c.secrets.kv.v2.create_or_update_secret(
            path=path, secret=data, mount_point=kv))
        self.store.audit_append(audit)
        return _info(info.namespace, info.key, info.tenant, *current) if current is not None else None

    def delete(self, namespace: str, key: str, tenant: str, audit: Sequence[AuditEntry]) -> SecretInfo | None:
        current = self._read(tenant, namespace, key)
        if current is None:
            return None
        self._delete(self.vault.path(tenant, namespace, key))
        self.store.audit_append(audit)
        return _info(namespace, key, tenant, *current)


    def forget_tenant(self, tenant: str) -> int:
        return self._delete_under(self.vault.path(tenant, ""))

    def _delete(self, path: str) -> None:
        kv = self.vault.mount
        self.vault.call(f"delete {path}", lambda c: c.secrets.kv.v2.delete_metadata_and_all_versions(
            path=path, mount_point=kv))

    def _delete_under(self, folder: str) -> int:
        """Delete every secret under `folder` (a path), its sub-folders included; how many."""
        kv = self.vault.mount
        try:
            answer = self.vault.call(f"list {folder}", lambda c: c.secrets.kv.v2.list_secrets(path=folder, mount_point=kv))
        except vault_errors.InvalidPath:
            return 0
        deleted = 0
        for name in ((answer or {}).get("data") or {}).get("keys", []):
            path = f"{folder}/{name.rstrip('/')}"
            if name.endswith("/"):
                deleted += self._delete_under(path)
            else:
                self._delete(path)
                deleted += 1
        return deleted


def _info(namespace: str, key: str, tenant: str, data: dict[str, Any], metadata: dict[str, Any]) -> SecretInfo:
    tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
    return SecretInfo(namespace=namespace, key=key, description=data.get("description"),
                      tags={str(k): str(v) for k, v in (tags or {}).items()},
                      updated=_date(metadata.get("created_time")), updated_by=data.get("updatedBy"), tenant=tenant)


def _date(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:  # Vault writes nanoseconds; Python reads up to microseconds
        head, _, rest = text.rstrip("Z").partition(".")
        return datetime.fromisoformat(f"{head}.{(rest or '0')[:6]}+00:00")
    except ValueError:
        return None


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        return "; ".join(str(e) for e in errors)
    return str(exc) or type(exc).__name__


def factory(vault: VaultClient) -> Callable[[Governance], SecretBackend]:
    """The backend factory legato.store.secret_backends.use takes, for one Vault client."""
    return lambda store: VaultSecrets(vault, store)
