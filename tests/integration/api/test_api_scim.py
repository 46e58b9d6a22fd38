"""SCIM 2.0 provisioning over a real server (uvicorn on 127.0.0.1) on SQLite and PostgreSQL: integrations created
by an administrator, discovery, Users and Groups as Okta and Microsoft Entra ID drive them (filters, paging,
PATCH with and without paths, deactivation, deletion), SCIM error bodies, authentication of the integration's
token, and a provisioned user signing in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from tests.integration.api.conftest import LiveServer, _start
from tests.services import pg_database

from legato.api import access
from legato.api import scim as scim_api
from legato.clock import utcnow
from legato.identity import scim as protocol
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store

PASSWORD = "scim-owner-password"
SCIM = {"content-type": protocol.MEDIA_TYPE}


@dataclass
class Scim:
    server: LiveServer
    admin: dict[str, str]  # the owner's Authorization header
    integration: dict[str, Any]

    def client(self, integration: dict[str, Any] | None = None) -> httpx.Client:
        """A client of an integration's SCIM endpoint with its token (this module's integration by default)."""
        found = integration or self.integration
        headers = {"authorization": f"Bearer {found['token']}", **SCIM}
        return httpx.Client(base_url=found["endpoint"] + "/", timeout=30, headers=headers)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"scim-{request.param}")
    if request.param == "sqlite":
        yield from _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite")
        return
    for url in pg_database("legato_scim", migrate=False):
        yield from _start(open_store(url), data_dir, "postgresql")


@pytest.fixture(scope="module")
def scim(live: LiveServer) -> Scim:
    owner = identity.create_account(live.store, "USER", "owner", password=PASSWORD, owner=True, by=SYSTEM,
                                    now=utcnow())
    admin = {"authorization": f"Bearer {identity.create_token(live.store, owner.id, 't', by=SYSTEM, now=utcnow()).text}"}
    with live.client(headers=admin) as client:
        created = client.post("/api/v1/main/integrations", json={"description": "okta"})
    assert created.status_code == 200, created.text
    return Scim(live, admin, created.json())


def _name() -> str:
    return f"u{secrets.token_hex(4)}@example.com"


def _user(name: str, **extra: Any) -> dict[str, Any]:
    return {"schemas": [protocol.USER], "userName": name, "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": name, "type": "work", "primary": True}], "active": True, **extra}


def _error(reply: httpx.Response, status: int, scim_type: str | None = None) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith(protocol.MEDIA_TYPE)
    body: dict[str, Any] = reply.json()
    assert body["schemas"] == [protocol.ERROR] and body["status"] == str(status) and body["detail"]
    assert body.get("scimType") == scim_type
    return body


def test_every_scim_operation_has_an_access_rule() -> None:
    # The SCIM application is not in the OpenAPI document (its own discovery documents describe it), so the RBAC
    # matrix's walk of that document does not see it: its routes are checked here.
    operations = [(method, f"{access.SCIM_BASE}{route.path}") for route in scim_api.router.routes
                  if isinstance(route, APIRoute) for method in route.methods]
    assert len(operations) >= 20
    assert [op for op in operations if access.rule(*op) is None] == []


def test_an_integration_is_created_listed_and_shown_without_its_token(scim: Scim) -> None:
    found = scim.integration
    assert found["enabled"] is True and found["token"].startswith("lgt_")
    assert found["endpoint"] == f"{scim.server.url}/api/v1/main/integrations/{found['id']}/scim/v2"
    with scim.server.client(headers=scim.admin) as client:
        listed = client.get("/api/v1/main/integrations").json()
        assert [i["id"] for i in listed] == [found["id"]] and "token" not in listed[0]
        assert client.get(f"/api/v1/main/integrations/{found['id']}").json()["description"] == "okta"
        assert client.get("/api/v1/main/integrations/nope").status_code == 404
        # its service account holds the SCIM provisioning role, nothing more
        bindings = [b for b in client.get("/api/v1/main/bindings").json() if b["externalId"] == found["serviceAccountId"]]
        roles = {r["id"]: r for r in client.get("/api/v1/main/roles").json()}
        assert len(bindings) == 1 and bindings[0]["namespace"] is None
        assert roles[bindings[0]["roleId"]]["name"] == "SCIM provisioning"
        assert all(p.split(":")[0] in ("USER", "GROUP") for p in roles[bindings[0]["roleId"]]["permissions"])


def test_discovery_documents(scim: Scim) -> None:
    with scim.client() as client:
        config = client.get("ServiceProviderConfig")
        assert config.status_code == 200 and config.headers["content-type"].startswith(protocol.MEDIA_TYPE)
        assert config.json()["patch"]["supported"] is True and config.json()["bulk"]["supported"] is False
        assert config.json()["authenticationSchemes"][0]["type"] == "oauthbearertoken"
        types = client.get("ResourceTypes").json()
        assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"} and types["totalResults"] == 2
        assert client.get("ResourceTypes/User").json()["schema"] == protocol.USER
        schemas = client.get("Schemas").json()["Resources"]
        user_schema = next(s for s in schemas if s["id"] == protocol.USER)
        assert {a["name"] for a in user_schema["attributes"]} >= {"userName", "active", "emails", "externalId"}
        assert client.get(f"Schemas/{protocol.GROUP}").json()["name"] == "Group"
        _error(client.get("Schemas/urn:nope"), 404)


def test_users_created_read_filtered_and_paged(scim: Scim) -> None:
    name = _name()
    with scim.client() as client:
        created = client.post("Users", json=_user(name, externalId="okta-00u1"))
        assert created.status_code == 201, created.text
        user = created.json()
        assert user["userName"] == name and user["displayName"] == "Ada Lovelace" and user["active"] is True
        assert user["emails"] == [{"value": name, "type": "work", "primary": True}]
        assert user["externalId"] == "okta-00u1"
        meta = user["meta"]
        assert meta["resourceType"] == "User" and meta["location"] == f"{scim.integration['endpoint']}/Users/{user['id']}"
        assert created.headers["location"] == meta["location"] and created.headers["etag"] == meta["version"]
        assert meta["created"].endswith("Z") and meta["lastModified"] == meta["created"]
        assert client.get(f"Users/{user['id']}").json() == user
        by_name = client.get("Users", params={"filter": f'userName eq "{name.upper()}"'}).json()
        assert by_name["totalResults"] == 1 and by_name["Resources"][0]["id"] == user["id"]
        assert by_name["schemas"] == [protocol.LIST] and by_name["startIndex"] == 1
        by_external = client.get("Users", params={"filter": 'externalId eq "okta-00u1"'}).json()
        assert [u["id"] for u in by_external["Resources"]] == [user["id"]]
        by_email = client.get("Users", params={"filter": f'emails.value eq "{name}" and active eq true'}).json()
        assert [u["id"] for u in by_email["Resources"]] == [user["id"]]
        none = client.get("Users", params={"filter": 'userName eq "nobody@example.com"'}).json()
        assert none["totalResults"] == 0 and none["Resources"] == []
        for _ in range(3):
            assert client.post("Users", json=_user(_name())).status_code == 201
        everyone = client.get("Users").json()
        assert everyone["totalResults"] >= 4
        page = client.get("Users", params={"startIndex": 2, "count": 2}).json()
        assert page["startIndex"] == 2 and page["itemsPerPage"] == 2
        assert [u["id"] for u in page["Resources"]] == [u["id"] for u in everyone["Resources"][1:3]]
        assert client.get("Users", params={"count": 0}).json()["Resources"] == []


def test_user_errors_have_scim_shapes(scim: Scim) -> None:
    name = _name()
    with scim.client() as client:
        assert client.post("Users", json=_user(name)).status_code == 201
        _error(client.post("Users", json=_user(name)), 409, "uniqueness")
        _error(client.post("Users", json={"schemas": [protocol.USER]}), 400, "invalidValue")
        _error(client.post("Users", content=b"{not json"), 400, "invalidSyntax")
        _error(client.get("Users", params={"filter": 'userName co "a"'}), 400, "invalidFilter")
        _error(client.get("Users", params={"filter": "userName eq"}), 400, "invalidFilter")
        _error(client.get("Users/does-not-exist"), 404)
        _error(client.patch("Users/does-not-exist", json={"schemas": [protocol.PATCH], "Operations": []}), 404)
        user_id = client.get("Users", params={"filter": f'userName eq "{name}"'}).json()["Resources"][0]["id"]
        _error(client.patch(f"Users/{user_id}", json={"Operations": [{"op": "move", "path": "active"}]}), 400,
               "invalidValue")
        _error(client.patch(f"Users/{user_id}", json={"Operations": [{"op": "remove"}]}), 400, "noTarget")
        _error(client.get("Nothing"), 404)


def test_okta_and_entra_patches(scim: Scim) -> None:
    name = _name()
    with scim.client() as client:
        user = client.post("Users", json=_user(name)).json()
        path = f"Users/{user['id']}"
        # Okta: replace without a path, a value of attributes
        okta = client.patch(path, json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "replace", "value": {"active": False}}]})
        assert okta.status_code == 200, okta.text
        assert okta.json()["active"] is False
        assert okta.json()["meta"]["lastModified"] >= user["meta"]["lastModified"]
        # Entra: capitalised ops, paths, string booleans, a filtered email path, the enterprise extension
        renamed = _name()
        entra = client.patch(path, json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "Replace", "path": "userName", "value": renamed},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": renamed},
            {"op": "Add", "path": "name.givenName", "value": "Grace"},
            {"op": "Add", "path": "name.familyName", "value": "Hopper"},
            {"op": "Add", "path": "externalId", "value": "entra-42"},
            {"op": "Add", "path": f"{protocol.ENTERPRISE_USER}:department", "value": "Research"}]})
        assert entra.status_code == 200, entra.text
        body = entra.json()
        assert body["active"] is True and body["userName"] == renamed and body["displayName"] == "Grace Hopper"
        assert body["emails"][0]["value"] == renamed and body["externalId"] == "entra-42"
        assert client.get(path).json()["userName"] == renamed
        # PUT replaces what is kept
        put = client.put(path, json=_user(renamed, displayName="G. Hopper", externalId="entra-42", active=False))
        assert put.status_code == 200 and put.json()["displayName"] == "G. Hopper" and put.json()["active"] is False
        _error(client.put(path, json=_user("owner")), 409, "uniqueness")  # another account's name


def test_a_deactivated_user_cannot_sign_in_or_use_tokens_and_deletion_removes_it(scim: Scim) -> None:
    name = _name()
    store = scim.server.store
    with scim.client() as client:
        user = client.post("Users", json=_user(name)).json()
    # an administrator sets a password (or the user signs in through single sign-on)
    with scim.server.client(headers=scim.admin) as admin:
        assert admin.put(f"/api/v1/main/users/{user['id']}/password",
                         json={"password": "provisioned-password"}).status_code == 204
    token = identity.create_token(store, user["id"], "own", by=SYSTEM, now=utcnow()).text
    with scim.server.client() as browser:
        assert browser.post("/api/v1/login", json={"username": name, "password": "provisioned-password"}).status_code == 200
        assert browser.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).json()["username"] == name
    with scim.client() as client:
        off = client.patch(f"Users/{user['id']}", json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "replace", "path": "active", "value": False}]})
        assert off.status_code == 200 and off.json()["active"] is False
    with scim.server.client() as browser:
        refused = browser.post("/api/v1/login", json={"username": name, "password": "provisioned-password"})
        assert refused.status_code == 401
        assert browser.get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    with scim.client() as client:
        assert client.delete(f"Users/{user['id']}").status_code == 204
        _error(client.get(f"Users/{user['id']}"), 404)
        _error(client.delete(f"Users/{user['id']}"), 404)
        assert client.post("Users", json=_user(name)).status_code == 201  # the name is free again


def test_groups_with_members(scim: Scim) -> None:
    with scim.client() as client:
        ada, bob, cy = (client.post("Users", json=_user(_name())).json()["id"] for _ in range(3))
        team = f"team-{secrets.token_hex(3)}"
        created = client.post("Groups", json={"schemas": [protocol.GROUP], "displayName": team, "externalId": "g-1",
                                              "members": [{"value": ada}, {"value": bob}]})
        assert created.status_code == 201, created.text
        group = created.json()
        assert {m["value"] for m in group["members"]} == {ada, bob} and group["externalId"] == "g-1"
        assert group["meta"]["resourceType"] == "Group" and group["members"][0]["$ref"].endswith(group["members"][0]["value"])
        path = f"Groups/{group['id']}"
        found = client.get("Groups", params={"filter": f'displayName eq "{team}"'}).json()
        assert [g["id"] for g in found["Resources"]] == [group["id"]]
        member_of = client.get("Groups", params={"filter": f'members[value eq "{ada}"]'}).json()
        assert group["id"] in [g["id"] for g in member_of["Resources"]]
        lean = client.get(path, params={"excludedAttributes": "members"}).json()
        assert "members" not in lean and lean["displayName"] == team
        # Okta: add and remove with a filtered path
        added = client.patch(path, json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": cy}]},
            {"op": "remove", "path": f'members[value eq "{ada}"]'}]})
        assert added.status_code == 200, added.text
        assert {m["value"] for m in added.json()["members"]} == {bob, cy}
        # Entra: remove with a value list, rename without a path
        renamed = f"{team}-renamed"
        entra = client.patch(path, json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "Remove", "path": "members", "value": [{"value": bob}]},
            {"op": "Replace", "value": {"displayName": renamed}}]})
        assert {m["value"] for m in entra.json()["members"]} == {cy} and entra.json()["displayName"] == renamed
        replaced = client.patch(path, json={"schemas": [protocol.PATCH], "Operations": [
            {"op": "replace", "path": "members", "value": [{"value": ada}, {"value": bob}]}]})
        assert {m["value"] for m in replaced.json()["members"]} == {ada, bob}
        put = client.put(path, json={"displayName": renamed, "members": []})
        assert put.status_code == 200 and put.json()["members"] == [] and "externalId" not in put.json()
        _error(client.post("Groups", json={"displayName": renamed}), 409, "uniqueness")
        _error(client.post("Groups", json={"displayName": "x", "members": [{"value": "nobody"}]}), 400, "invalidValue")
        # a service account (the integration's own, say) is never made a member through SCIM
        itself = {"Operations": [{"op": "add", "path": "members", "value": [{"value": scim.integration["serviceAccountId"]}]}]}
        _error(client.patch(path, json=itself), 400, "invalidValue")
        _error(client.patch(path, json={"Operations": [{"op": "add", "path": "members[", "value": 1}]}), 400,
               "invalidPath")
        assert client.delete(path).status_code == 204
        _error(client.get(path), 404)
    with scim.server.client(headers=scim.admin) as admin:
        assert renamed not in [g["name"] for g in admin.get("/api/v1/main/groups").json()]


def test_writes_are_audited_as_the_integration(scim: Scim) -> None:
    name = _name()
    with scim.client() as client:
        user = client.post("Users", json=_user(name)).json()
        client.patch(f"Users/{user['id']}", json={"Operations": [{"op": "replace", "value": {"active": False}}]})
    account = f"scim-{scim.integration['id']}"
    with scim.server.client(headers=scim.admin) as admin:
        found = admin.get("/api/v1/main/auditlogs/search", params={"userId": account, "size": 200}).json()["results"]
    mine = [e for e in found if e["userId"] == account and e["resource"] == "USER"]
    actions = {(e["type"], e["resourceId"]) for e in mine}
    assert ("CREATE", name) in actions and ("UPDATE", user["id"]) in actions
    assert all(e["actorKind"] == "service_account" and e["tokenId"] for e in mine)
    update = next(e for e in mine if e["type"] == "UPDATE" and e["resourceId"] == user["id"])
    assert update["details"]["active"] == {"before": True, "after": False} and update["details"]["source"] == "scim"


def test_authentication_of_the_integration(scim: Scim) -> None:
    base = scim.integration["endpoint"]
    with httpx.Client(timeout=30) as anonymous:
        _error(anonymous.get(f"{base}/Users"), 401)
        _error(anonymous.get(f"{base}/Users", headers={"authorization": "Bearer lgt_nope_nope"}), 401)
    with scim.server.client(headers=scim.admin) as admin:
        other = admin.post("/api/v1/main/integrations", json={"description": "entra"}).json()
        # the owner's own token is not an integration's
        _error(admin.get(f"{base}/Users"), 401)
    with scim.client(other) as wrong:
        _error(wrong.get(f"{base}/Users"), 401)  # another integration's token
        _error(wrong.get(base.replace(scim.integration["id"], "unknown") + "/Users"), 404)
        _error(wrong.get(base.replace("/main/", "/other/") + "/Users"), 404)
    with scim.client(other) as entra:
        assert entra.get("Users").status_code == 200
        with scim.server.client(headers=scim.admin) as admin:
            off = admin.put(f"/api/v1/main/integrations/{other['id']}", json={"enabled": False})
            assert off.status_code == 200 and off.json()["enabled"] is False
        _error(entra.get("Users"), 401)
        with scim.server.client(headers=scim.admin) as admin:
            assert admin.put(f"/api/v1/main/integrations/{other['id']}", json={"enabled": True}).status_code == 200
            assert entra.get("Users").status_code == 200
            assert admin.delete(f"/api/v1/main/integrations/{other['id']}").status_code == 204
        _error(entra.get("Users"), 401)  # its service account and token went with it


def test_an_integration_whose_role_binding_was_removed_is_refused_403(scim: Scim) -> None:
    with scim.server.client(headers=scim.admin) as admin:
        other = admin.post("/api/v1/main/integrations", json={"description": "reduced"}).json()
        binding = next(b for b in admin.get("/api/v1/main/bindings").json() if b["externalId"] == other["serviceAccountId"])
        assert admin.delete(f"/api/v1/main/bindings/{binding['id']}").status_code == 204
    with scim.client(other) as client:
        body = _error(client.get("Users"), 403)
        assert "USER:LIST" in body["detail"]
        assert client.get("ServiceProviderConfig").status_code == 200


def test_versions_make_reads_conditional_and_writes_safe(scim: Scim) -> None:
    with scim.client() as client:
        user = client.post("Users", json=_user(_name())).json()
        path, version = f"Users/{user['id']}", user["meta"]["version"]
        assert version.startswith('W/"')
        unchanged = client.get(path, headers={"if-none-match": version})
        assert unchanged.status_code == 304 and unchanged.headers["etag"] == version
        deactivate = {"Operations": [{"op": "replace", "path": "active", "value": False}]}
        changed = client.patch(path, json=deactivate, headers={"if-match": version})
        assert changed.status_code == 200 and changed.json()["meta"]["version"] != version
        stale = client.patch(path, json=deactivate, headers={"if-match": version})
        assert "changed since version" in _error(stale, 412)["detail"]
        _error(client.delete(path, headers={"if-match": version}), 412)
        assert client.get(path, headers={"if-none-match": version}).status_code == 200
        assert client.delete(path, headers={"if-match": changed.json()["meta"]["version"]}).status_code == 204
        group = client.post("Groups", json={"displayName": f"g-{secrets.token_hex(3)}"}).json()
        _error(client.put(f"Groups/{group['id']}", json={"displayName": "x"}, headers={"if-match": 'W/"1"'}), 412)
        assert client.delete(f"Groups/{group['id']}", headers={"if-match": "*"}).status_code == 204
