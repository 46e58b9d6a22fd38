"""Namespace secrets kept in HashiCorp Vault's KV v2 engine through the real `hvac` client, against the Vault
test double of tests/vault_double.py (Vault itself has no package here): token and AppRole authentication
(a new login when the token expires), inheritance, `secret()` resolution, values never in Legato's database,
writes audited there, and a clear error when Vault refuses or cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.vault_double import VaultDouble

from legato.config import SecretSettings, VaultSettings
from legato.server.compose import use_secret_backend
from legato.services import secrets as secret_service
from legato.services import tenants as tenant_service
from legato.services.principal import SYSTEM, in_tenant, user
from legato.store import functions as store_functions
from legato.store import open_store, secret_backends
from legato.store.ports.governance import AuditFilter
from legato.store.sql import SqlStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ALICE = user("alice")
VALUE = "vault-held-value-77aa"


@pytest.fixture
def double() -> Iterator[VaultDouble]:
    vault = VaultDouble(approles={"legato-role": "legato-secret-id"}).start()
    yield vault
    vault.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    yield store
    secret_backends.use(None)
    store.close()


def _use(double: VaultDouble, **auth: str) -> None:
    fields = {k: SecretStr(v) if k in ("token", "secret_id") else v for k, v in auth.items()}
    use_secret_backend(SecretSettings(backend="vault", vault=VaultSettings(url=double.url, **fields)))  # type: ignore[arg-type]


def test_token_auth_keeps_values_in_vault_and_audits_in_the_database(double: VaultDouble, store: SqlStore) -> None:
    _use(double, token="root-token")
    secret_service.set_secret(store, "company", "TOKEN", VALUE, by=ALICE, now=NOW, description="api",
                              tags={"team": "data"})
    assert double.entries["legato/main/company/TOKEN"][-1]["data"]["value"] == VALUE
    with store.database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM secrets").scalar_one() == 0
    [info] = secret_service.list_secrets(store, "company", by=ALICE)
    assert (info.key, info.description, info.tags, info.updated_by) == ("TOKEN", "api", {"team": "data"}, "alice")
    assert info.updated is not None
    secret_service.set_secret(store, "company.team", "LOCAL", "local-value", by=ALICE, now=NOW)
    secret = store_functions.bind(store, "company.team.sub", "exec-1", lambda: NOW)["secret"]
    assert (secret("TOKEN"), secret("LOCAL")) == (VALUE, "local-value")
    assert secret_service.inherited(store, "company.team.sub", by=ALICE) == {"company.team": ["LOCAL"],
                                                                             "company": ["TOKEN"]}
    secret_service.update_secret(store, "company", "TOKEN", by=ALICE, now=NOW, description="renamed")
    assert double.entries["legato/main/company/TOKEN"][-1]["data"]["value"] == VALUE  # the value stays
    secret_service.delete_secret(store, "company", "TOKEN", by=ALICE, now=NOW)
    assert "legato/main/company/TOKEN" not in double.entries
    records, _ = store.audit_search(AuditFilter(resource="SECRET"), descending=False)
    assert [(r.entry.action, r.entry.resource_id) for r in records] == [
        ("CREATE", "company/TOKEN"), ("CREATE", "company.team/LOCAL"), ("READ", "company/TOKEN"),
        ("READ", "company.team/LOCAL"), ("UPDATE", "company/TOKEN"), ("DELETE", "company/TOKEN")]
    assert VALUE not in repr(records)
    assert ("LIST", "/v1/secret/metadata/legato/main/company") in double.requests


def test_approle_logs_in_and_again_when_the_token_expires(double: VaultDouble, store: SqlStore) -> None:
    _use(double, role_id="legato-role", secret_id="legato-secret-id")
    secret_service.set_secret(store, "company", "TOKEN", VALUE, by=ALICE, now=NOW)
    assert double.logins == 1
    double.expire_tokens()
    secret = store_functions.bind(store, "company", "exec-1", lambda: NOW)["secret"]
    assert secret("TOKEN") == VALUE
    assert double.logins == 2


def test_a_refusal_or_an_unreachable_vault_is_a_clear_error(double: VaultDouble, store: SqlStore) -> None:
    _use(double, token="not-a-valid-token")
    with pytest.raises(secret_backends.SecretBackendError, match=r"Vault refused or failed to read .*permission denied"):
        secret_service.set_secret(store, "company", "TOKEN", VALUE, by=ALICE, now=NOW)
    _use(double, role_id="legato-role", secret_id="wrong")
    with pytest.raises(secret_backends.SecretBackendError, match="invalid role or secret ID"):
        secret_service.list_secrets(store, "company", by=ALICE)
    url = double.url
    double.stop()
    use_secret_backend(SecretSettings(backend="vault", vault=VaultSettings(url=url, token=SecretStr("t"),
                                                                           timeout_seconds=2)))
    with pytest.raises(secret_backends.SecretBackendError, match="Vault refused or failed to list"):
        secret_service.list_secrets(store, "company", by=ALICE)
    assert store.audit_search(AuditFilter())[1] == 0


def test_vault_settings_need_an_authentication() -> None:
    with pytest.raises(ValueError, match="vault needs `token`, or `role_id` and `secret_id`"):
        VaultSettings(url="http://127.0.0.1:8200")
    with pytest.raises(ValueError, match="backend `vault` needs the `vault` settings"):
        SecretSettings(backend="vault")


def test_a_deleted_tenants_secrets_leave_vault_and_a_new_tenant_of_its_id_has_none(double: VaultDouble,
                                                                                    store: SqlStore) -> None:
    _use(double, token="root-token")
    tenant_service.create_tenant(store, "acme", by=SYSTEM, now=NOW)
    acme = in_tenant(SYSTEM, "acme")
    secret_service.set_secret(store, "company", "TOKEN", VALUE, by=acme, now=NOW)
    secret_service.set_secret(store, "company.team", "LOCAL", "local-value", by=acme, now=NOW)
    secret_service.set_secret(store, "company", "TOKEN", "main-value", by=SYSTEM, now=NOW)  # main's stays
    tenant_service.delete_tenant(store, "acme", by=SYSTEM, now=NOW)
    assert sorted(double.entries) == ["legato/main/company/TOKEN"]
    tenant_service.create_tenant(store, "acme", by=SYSTEM, now=NOW)
    assert secret_service.list_secrets(store, "company", by=acme) == []
    secret = store_functions.bind(store, "company.team", "exec-1", lambda: NOW, tenant="acme")["secret"]
    with pytest.raises(ValueError, match="secret 'LOCAL' not found"):
        secret("LOCAL")
