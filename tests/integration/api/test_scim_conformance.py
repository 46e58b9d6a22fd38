"""Legato's SCIM endpoint driven by real SCIM clients over HTTP (uvicorn on 127.0.0.1, SQLite and PostgreSQL):
scim2-tester's RFC 7643/7644 conformance checks, and scim2-client provisioning a group with members the way an
identity provider does. scim2-client's network engine is written for httpx2; the adapter below sends its requests
with httpx (the protocol work, building and validating the SCIM payloads, stays scim2-client's)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from scim2_client import BaseSyncSCIMClient
from scim2_models import PatchOp, SearchRequest
from scim2_tester import Status, check_server
from tests.integration.api.conftest import LiveServer, _start
from tests.services import pg_database

from legato.clock import utcnow
from legato.services import identity
from legato.services.principal import SYSTEM
from legato.store import open_store

# What Legato does differently on purpose (docs/security.md, "SCIM provisioning"): `displayName` and `active`
# always have a value (removing them resets them to the userName and to true), and a group's members must be
# existing accounts (the checker invents member ids, so its Group checks that add members are refused).
DEPARTURES = {("check_remove_attribute", "did not remove attribute 'displayName'"),
              ("check_remove_attribute", "did not remove attribute 'active'")}


class HttpxScimClient(BaseSyncSCIMClient):
    """scim2-client's synchronous client over an httpx.Client whose base URL is the SCIM endpoint."""

    def __init__(self, client: httpx.Client, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url = self.client.build_request("GET", endpoint).url
        base = self.client.base_url
        return url.scheme == base.scheme and url.netloc == base.netloc and url.raw_path.startswith(base.raw_path)

    def _parse_json(self, response: Any) -> Any:
        return response.json()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.client.request(method, url, **kwargs)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp(f"scim2-{request.param}")
    if request.param == "sqlite":
        yield from _start(open_store(f"sqlite:///{data_dir / 'legato.db'}"), data_dir, "sqlite")
        return
    for url in pg_database("legato_scim2", migrate=False):
        yield from _start(open_store(url), data_dir, "postgresql")


@pytest.fixture(scope="module")
def endpoint(live: LiveServer) -> Iterator[httpx.Client]:
    owner = identity.create_account(live.store, "USER", "owner", password="scim-owner-password", owner=True,
                                    by=SYSTEM, now=utcnow())
    token = identity.create_token(live.store, owner.id, "t", by=SYSTEM, now=utcnow()).text
    with live.client(headers={"authorization": f"Bearer {token}"}) as admin:
        created = admin.post("/api/v1/main/integrations", json={"description": "scim2"}).json()
    headers = {"authorization": f"Bearer {created['token']}"}
    with httpx.Client(base_url=created["endpoint"] + "/", headers=headers, timeout=30) as client:
        yield client


def test_scim2_tester_conformance(endpoint: httpx.Client) -> None:
    scim = HttpxScimClient(endpoint)
    scim.discover()
    results = check_server(scim)
    counted = {status: sum(1 for r in results if r.status == status) for status in Status}
    print(f"\nscim2-tester: {len(results)} checks: " + ", ".join(f"{s.name} {n}" for s, n in counted.items() if n))
    unexpected = []
    for result in results:
        if result.status not in (Status.ERROR, Status.CRITICAL):
            continue
        reason = str(result.reason or "")
        departure = any(result.title == title and text in reason for title, text in DEPARTURES)
        invented_member = result.resource_type == "Group" and "no user has the id" in reason
        if not (departure or invented_member):
            unexpected.append(f"{result.resource_type} {result.title}: {reason}")
    assert unexpected == []
    assert counted[Status.SUCCESS] >= 50


def test_scim2_client_provisions_users_and_a_group(endpoint: httpx.Client) -> None:
    scim: Any = HttpxScimClient(endpoint)  # its answers are unions of resource, Error and dict
    scim.discover()  # the models come from what the endpoint publishes
    user_model: Any = scim.provider.model_for("User")
    group_model: Any = scim.provider.model_for("Group")
    assert user_model is not None and group_model is not None
    ada = scim.create(user_model.model_validate({
        "userName": "ada@example.org", "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.org", "primary": True}], "active": True}))
    bob = scim.create(user_model.model_validate({"userName": "bob@example.org", "displayName": "Bob"}))
    assert ada.id and ada.display_name == "Ada Lovelace" and ada.meta.location.endswith(f"/Users/{ada.id}")
    found = scim.query(user_model, query_parameters=SearchRequest(filter='userName eq "ada@example.org"'))
    assert found.total_results == 1 and found.resources[0].id == ada.id
    team = scim.create(group_model.model_validate({"displayName": "Analysts", "members": [{"value": ada.id}]}))
    assert [m.value for m in team.members] == [ada.id]
    add = PatchOp[group_model].model_validate(
        {"Operations": [{"op": "add", "path": "members", "value": [{"value": bob.id}]}]})
    scim.modify(group_model, team.id, add)
    assert {m.value for m in scim.query(group_model, team.id).members} == {ada.id, bob.id}
    off = PatchOp[user_model].model_validate(
        {"Operations": [{"op": "replace", "path": "active", "value": False}]})
    scim.modify(user_model, ada.id, off)
    assert scim.query(user_model, ada.id).active is False
    scim.delete(group_model, team.id)
    scim.delete(user_model, bob.id)
    gone = scim.query(user_model, query_parameters=SearchRequest(filter='userName eq "bob@example.org"'))
    assert gone.total_results == 0
