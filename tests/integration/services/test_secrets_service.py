"""Namespace secrets through the service: sealed at rest, listed without values, inherited by child
namespaces unless overridden, resolved by `secret()` before Kestra's SECRET_<NAME> environment form, every
write and every read of a value audited (never with the value), and the key rotated in one transaction."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from legato import sealing, secrets_env
from legato.services import secrets as secret_service
from legato.services.errors import NotFoundError
from legato.services.principal import SYSTEM, user
from legato.store import functions as store_functions
from legato.store import open_store
from legato.store.ports.governance import AuditFilter
from legato.store.sql import SqlStore

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ALICE = user("alice")
VALUE = "s3cr3t-value-for-the-service-test"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    store = open_store(f"sqlite:///{tmp_path / 'legato.db'}")
    store.migrate()
    key = sealing.current_key()
    yield store
    sealing.use_key(key)
    store.close()


def _raw_rows(store: SqlStore) -> list[tuple[str, str, str]]:
    with store.database.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT namespace, key, value FROM secrets")]  # type: ignore[misc]


def _audit(store: SqlStore, **filters: str) -> list[tuple[str, str, str]]:
    records, _ = store.audit_search(AuditFilter(**filters), descending=False)  # type: ignore[arg-type]
    return [(r.entry.action, r.entry.resource_id, r.entry.actor) for r in records]


def test_a_secret_is_sealed_at_rest_and_listed_without_its_value(store: SqlStore) -> None:
    info = secret_service.set_secret(store, "company", "DB_PASSWORD", VALUE, by=ALICE, now=NOW,
                                     description="the warehouse", tags={"team": "data"})
    assert (info.key, info.description, info.tags, info.updated_by) == ("DB_PASSWORD", "the warehouse", {"team": "data"}, "alice")
    [(namespace, key, stored)] = _raw_rows(store)
    assert (namespace, key) == ("company", "DB_PASSWORD")
    assert sealing.is_sealed(stored) and VALUE not in stored
    listed = secret_service.list_secrets(store, "company", by=ALICE)
    assert [(s.key, s.description) for s in listed] == [("DB_PASSWORD", "the warehouse")]
    assert VALUE not in repr(listed)


def test_children_inherit_a_secret_unless_they_override_it(store: SqlStore) -> None:
    secret_service.set_secret(store, "company", "TOKEN", "parent-token", by=ALICE, now=NOW)
    secret_service.set_secret(store, "company", "SHARED", "shared-value", by=ALICE, now=NOW)
    secret_service.set_secret(store, "company.team", "TOKEN", "team-token", by=ALICE, now=NOW)
    team = store_functions.bind(store, "company.team.sub", "exec-1", lambda: NOW)["secret"]
    assert team("TOKEN") == "team-token"
    assert team("SHARED") == "shared-value"
    assert store_functions.bind(store, "company", "exec-2", lambda: NOW)["secret"]("TOKEN") == "parent-token"
    with pytest.raises(ValueError, match="not found in namespace 'companyx'"):
        store_functions.bind(store, "companyx", "exec-3", lambda: NOW)["secret"]("SHARED")
    assert secret_service.inherited(store, "company.team.sub", by=ALICE) == {"company.team": ["TOKEN"],
                                                                             "company": ["SHARED"]}


def test_the_environment_form_is_the_fallback(store: SqlStore) -> None:
    secrets_env.reset_for_tests({"SECRET_FROM_ENV": base64.b64encode(b"env-value").decode()})
    try:
        secret = store_functions.bind(store, "company", "exec-1", lambda: NOW)["secret"]
        assert secret("FROM_ENV") == "env-value"
        secret_service.set_secret(store, "company", "FROM_ENV", "namespace-value", by=ALICE, now=NOW)
        assert secret("FROM_ENV") == "namespace-value"
    finally:
        secrets_env.reset_for_tests({})


def test_reads_are_audited_once_per_binding_without_the_value(store: SqlStore) -> None:
    secret_service.set_secret(store, "company", "TOKEN", VALUE, by=ALICE, now=NOW)
    secret = store_functions.bind(store, "company.team", "exec-9", lambda: NOW)["secret"]
    secret("TOKEN")
    secret("TOKEN")
    records, _ = store.audit_search(AuditFilter(action="READ"))
    assert [(r.entry.resource, r.entry.resource_id, r.entry.details) for r in records] == [
        ("SECRET", "company/TOKEN", {"executionId": "exec-9", "flowNamespace": "company.team"})]


def test_writes_are_audited_with_what_changed_but_never_the_value(store: SqlStore) -> None:
    secret_service.set_secret(store, "company", "TOKEN", VALUE, by=ALICE, now=NOW, description="one")
    secret_service.update_secret(store, "company", "TOKEN", by=ALICE, now=NOW, description="two")
    assert store_functions.bind(store, "company", "x", lambda: NOW)["secret"]("TOKEN") == VALUE  # value kept
    secret_service.set_secret(store, "company", "TOKEN", VALUE + "-2", by=ALICE, now=NOW)
    secret_service.delete_secret(store, "company", "TOKEN", by=ALICE, now=NOW)
    assert _audit(store, resource="SECRET") == [
        ("CREATE", "company/TOKEN", "alice"), ("UPDATE", "company/TOKEN", "alice"), ("READ", "company/TOKEN", "system"),
        ("UPDATE", "company/TOKEN", "alice"), ("DELETE", "company/TOKEN", "alice")]
    records, _ = store.audit_search(AuditFilter(resource="SECRET"), descending=False)
    assert records[1].entry.details == {"before": {"description": "one", "tags": {}},
                                        "after": {"description": "two", "tags": {}}, "valueChanged": False}
    assert VALUE not in repr(records)
    with pytest.raises(NotFoundError):
        secret_service.delete_secret(store, "company", "TOKEN", by=ALICE, now=NOW)


@pytest.mark.parametrize(("namespace", "key", "value", "message"), [
    ("company", "bad key", "v", "invalid secret key 'bad key'"),
    ("company", "-X", "v", "invalid secret key"),
    ("Not A Namespace", "K", "v", "invalid namespace"),
    ("company", "K", "", "non-empty"),
    ("company", "K", "x" * (70 * 1024), "larger than 64 KiB"),
])
def test_bad_input_is_refused_with_a_message(store: SqlStore, namespace: str, key: str, value: str,
                                             message: str) -> None:
    with pytest.raises(secret_service.InvalidSecret, match=message):
        secret_service.set_secret(store, namespace, key, value, by=ALICE, now=NOW)
    assert _raw_rows(store) == []


def test_key_rotation_reseals_every_secret_in_one_transaction(store: SqlStore) -> None:
    for namespace in ("a", "a.b", "c"):
        secret_service.set_secret(store, namespace, "K", f"value-of-{namespace}", by=ALICE, now=NOW)
    before = {(ns, k): v for ns, k, v in _raw_rows(store)}
    old_key = sealing.current_key()
    new_key = sealing.new_key()
    assert secret_service.rotate_key(store, new_key, by=SYSTEM, now=NOW) == 3
    after = {(ns, k): v for ns, k, v in _raw_rows(store)}
    assert all(after[k] != before[k] and sealing.is_sealed(after[k]) for k in before)
    assert [store_functions.bind(store, ns, "x", lambda: NOW)["secret"]("K") for ns in ("a", "a.b", "c")] == [
        "value-of-a", "value-of-a.b", "value-of-c"]
    sealing.use_key(old_key)  # the old key opens none of them any more
    with pytest.raises(sealing.SealingError):
        sealing.unseal(after[("a", "K")])
    sealing.use_key(base64.b64decode(new_key))
    assert ("ROTATE_KEY", "*", "system") in _audit(store, resource="SECRET")


def test_a_rotation_that_cannot_open_a_value_writes_nothing(store: SqlStore) -> None:
    secret_service.set_secret(store, "a", "K", "value", by=ALICE, now=NOW)
    before = _raw_rows(store)
    sealing.use_key(base64.b64decode(sealing.new_key()))  # not the key the value was sealed with
    with pytest.raises(sealing.SealingError):
        secret_service.rotate_key(store, sealing.new_key(), by=SYSTEM, now=NOW)
    assert _raw_rows(store) == before
    assert ("ROTATE_KEY", "*", "system") not in _audit(store, resource="SECRET")


def test_key_rotation_reseals_the_secret_inputs_of_stored_executions(store: SqlStore) -> None:
    from legato.services import executions as execution_service
    from legato.services import flows as flow_service

    flow_service.deploy(store, "id: f\nnamespace: a\ninputs:\n  - id: pw\n    type: SECRET\ntasks:\n"
                               "  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n", by=ALICE, now=NOW)
    execution = execution_service.create_execution(store, "a", "f", {"pw": "input-value"}, by=ALICE, now=NOW)
    sealed_before = store.get_execution(execution.id).inputs["pw"]  # type: ignore[union-attr]
    assert sealing.is_sealed(sealed_before)
    secret_service.rotate_key(store, sealing.new_key(), by=SYSTEM, now=NOW)
    sealed_after = store.get_execution(execution.id).inputs["pw"]  # type: ignore[union-attr]
    assert sealed_after != sealed_before and sealing.unseal(sealed_after) == "input-value"
