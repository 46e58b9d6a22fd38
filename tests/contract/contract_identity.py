"""Contract: identity records (accounts, groups, roles, bindings, API tokens, sessions) on every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from legato.identity.records import Account, ApiToken, Binding, Group, Role, ScimIntegration, Session
from legato.store.sql import SqlStore

from .helpers import NOW, at


def _account(name: str = "ada", **changes: object) -> Account:
    account = Account(id=f"id-{name}", kind="USER", name=name, display_name=name.title(), password_hash="h",
                      owner=False, disabled=False, created=NOW, updated=NOW)
    return replace(account, **changes)  # type: ignore[arg-type]


def _token(token_id: str = "t1", account_id: str = "id-ada", **changes: object) -> ApiToken:
    token = ApiToken(token_id, account_id, "ci", "", "hash", "lgt_t1", NOW, None, None, None)
    return replace(token, **changes)  # type: ignore[arg-type]


class IdentityContract:
    def test_accounts_have_unique_names(self, store: SqlStore) -> None:
        assert store.create_account(_account())
        assert not store.create_account(_account(id="other"))
        assert store.create_account(_account("bot", kind="SERVICE_ACCOUNT", password_hash=None))
        assert store.get_account("id-ada") == _account()
        assert store.account_by_name("bot").kind == "SERVICE_ACCOUNT"  # type: ignore[union-attr]
        assert [a.name for a in store.list_accounts()] == ["ada", "bot"]
        assert [a.name for a in store.list_accounts("USER")] == ["ada"]
        assert store.count_accounts("USER") == 1 and store.count_accounts("SERVICE_ACCOUNT") == 1

    def test_update_and_delete_account_with_everything_it_owns(self, store: SqlStore) -> None:
        store.create_account(_account())
        changed = store.update_account("id-ada", disabled=True, failures=3, failures_since=at(1), updated=at(2))
        assert changed is not None and changed.disabled and changed.failures == 3 and changed.failures_since == at(1)
        assert store.update_account("missing", disabled=True) is None
        store.create_group(Group("g1", "team", "", NOW))
        store.add_group_member("g1", "id-ada")
        store.create_binding(Binding("b1", "viewer", "USER", "id-ada", None, NOW))
        store.create_token(_token())
        store.create_session(Session("s1", "id-ada", "csrf", NOW, at(3600)))
        assert store.delete_account("id-ada")
        assert not store.delete_account("id-ada")
        assert store.group_members("g1") == [] and store.list_bindings() == []
        assert store.get_token("t1") is None and store.get_session("s1", NOW) is None

    def test_groups_and_members(self, store: SqlStore) -> None:
        store.create_account(_account())
        assert store.create_group(Group("g1", "team", "the team", NOW))
        assert not store.create_group(Group("g2", "team", "", NOW))
        store.add_group_member("g1", "id-ada")
        store.add_group_member("g1", "id-ada")
        assert store.group_members("g1") == ["id-ada"] and store.groups_of("id-ada") == ["g1"]
        assert store.remove_group_member("g1", "id-ada") and not store.remove_group_member("g1", "id-ada")
        store.create_binding(Binding("b1", "viewer", "GROUP", "g1", "dev", NOW))
        assert store.delete_group("g1") and store.list_groups() == [] and store.list_bindings() == []

    def test_provisioned_accounts_by_external_id_and_email(self, store: SqlStore) -> None:
        profile = {"name": {"givenName": "Ada"}, "emails": [{"value": "Ada@Example.org", "type": "work"}]}
        store.create_account(_account(email="Ada@Example.org", external_id="okta-1", profile=profile))
        store.create_account(_account("bot", kind="SERVICE_ACCOUNT", email="bot@example.org"))
        found = store.account_by_external_id("okta-1")
        assert found is not None and found.id == "id-ada" and found.profile == profile
        assert store.account_by_external_id("OKTA-1") is None  # externalId is case-exact
        folded = store.account_by_name_folded("ADA")
        assert folded is not None and folded.id == "id-ada" and store.account_by_name_folded("ad") is None
        by_email = store.account_by_email("ada@example.ORG")
        assert by_email is not None and by_email.id == "id-ada"
        assert store.account_by_email("bot@example.org") is None  # users only
        changed = store.update_account("id-ada", email=None, external_id="entra-2", profile=None)
        assert changed is not None and changed.email is None and changed.external_id == "entra-2"
        assert changed.profile is None and store.account_by_email("ada@example.org") is None

    def test_groups_change_name_and_external_id(self, store: SqlStore) -> None:
        store.create_group(Group("g1", "team", "", NOW, "ext-1"))
        store.create_group(Group("g2", "other", "", NOW))
        assert store.get_group("g1") == Group("g1", "team", "", NOW, "ext-1")
        assert store.get_group("missing") is None
        changed = store.update_group("g1", name="renamed", external_id=None, updated=at(5))
        assert changed == Group("g1", "renamed", "", NOW, None, at(5)) and changed.last_modified == at(5)
        try:
            store.update_group("g1", name="other")
            raise AssertionError("a taken name was accepted")
        except ValueError as exc:
            assert "other" in str(exc)
        assert store.update_group("missing", name="x") is None

    def test_scim_integrations(self, store: SqlStore) -> None:
        first = ScimIntegration("i1", "main", "okta", True, "sa-1", NOW, NOW)
        store.create_scim_integration(first)
        store.create_scim_integration(ScimIntegration("i2", "main", "", True, "sa-2", at(1), at(1)))
        assert store.get_scim_integration("i1") == first and store.get_scim_integration("nope") is None
        assert [i.id for i in store.list_scim_integrations()] == ["i1", "i2"]
        changed = store.update_scim_integration("i1", enabled=False, updated=at(2))
        assert changed == replace(first, enabled=False, updated=at(2))
        assert store.update_scim_integration("nope", enabled=False) is None
        assert store.delete_scim_integration("i1") and not store.delete_scim_integration("i1")
        assert [i.id for i in store.list_scim_integrations()] == ["i2"]

    def test_roles_and_bindings(self, store: SqlStore) -> None:
        role = Role("r1", "ops", "", ("FLOW:VIEW", "EXECUTION:KILL"), NOW, NOW)
        assert store.create_role(role) and not store.create_role(replace(role, id="r2"))
        assert store.list_roles() == [role]
        assert store.update_role(replace(role, permissions=("FLOW:LIST",), updated=at(1)))
        assert store.list_roles()[0].permissions == ("FLOW:LIST",)
        store.create_binding(Binding("b1", "r1", "USER", "u1", "dev", NOW))
        store.create_binding(Binding("b2", "viewer", "GROUP", "g1", None, at(1)))
        assert [b.id for b in store.list_bindings()] == ["b1", "b2"]
        assert [b.namespace for b in store.list_bindings(["u1"])] == ["dev"]
        assert store.delete_role("r1") and [b.id for b in store.list_bindings()] == ["b2"]
        assert store.delete_binding("b2") and not store.delete_binding("b2")

    def test_token_lifecycle(self, store: SqlStore) -> None:
        store.create_token(_token(expires_at=at(60)))
        store.create_token(_token("t2", created=at(1)))
        assert [t.id for t in store.list_tokens("id-ada")] == ["t2", "t1"]
        store.touch_token("t1", at(5))
        token = store.get_token("t1")
        assert token is not None and token.last_used == at(5) and token.usable(at(59)) and not token.usable(at(60))
        assert store.revoke_token("t1", at(6)) and not store.revoke_token("t1", at(7))
        revoked = store.get_token("t1")
        assert revoked is not None and revoked.revoked_at == at(6) and not revoked.usable(at(7))

    def test_sessions_expire_and_sign_out(self, store: SqlStore) -> None:
        store.create_session(Session("s1", "u1", "c1", NOW, at(60)))
        store.create_session(Session("s2", "u1", "c2", NOW, at(600)))
        store.create_session(Session("s3", "u2", "c3", NOW, at(600)))
        assert store.get_session("s1", at(59)) == Session("s1", "u1", "c1", NOW, at(60))
        assert store.get_session("s1", at(60)) is None
        assert store.delete_sessions(expired_before=at(60)) == 1
        assert store.delete_session("s3") and not store.delete_session("s3")
        assert store.delete_sessions("u1") == 1
        assert store.get_session("s2", NOW + timedelta(seconds=1)) is None
