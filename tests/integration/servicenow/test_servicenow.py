"""Kestra's ServiceNow tasks against the Table API test double (double.py): real HTTP requests on 127.0.0.1
through the guarded client, with basic authentication and with the OAuth password grant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.servicenow.double import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, ServiceNowDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage, ion


@pytest.fixture
def instance() -> Iterator[ServiceNowDouble]:
    double = ServiceNowDouble()
    with double.serve():
        yield double


def task(double: ServiceNowDouble, kind: str, oauth: bool = False, **props: object) -> dict[str, object]:
    auth: dict[str, object] = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET} if oauth else {}
    return {"id": "t", "type": f"io.kestra.plugin.servicenow.{kind}", "domain": double.base_url, "username": USER,
            "password": PASSWORD, **auth, **props}


def test_post_get_update_delete_a_row(harness: Harness, instance: ServiceNowDouble) -> None:
    created = harness.run(task(instance, "Post", table="incident",
                               data={"short_description": "disk full on {{ flow.id }}", "urgency": 2}))
    row = created["result"]
    assert row["short_description"] == "disk full on orders" and len(row["sys_id"]) == 32
    assert instance.requests[-1].headers["authorization"].startswith("Basic ")

    instance.add("incident", {"short_description": "other", "urgency": "3"})
    found = harness.run(task(instance, "Get", table="incident", query="urgency=2",
                             fields=["sys_id", "short_description"]))
    assert found["size"] == 1 and found["results"] == [{"sys_id": row["sys_id"], "short_description": "disk full on orders"}]
    sent = instance.requests[-1].query
    assert sent["sysparm_query"] == ["urgency=2"] and sent["sysparm_fields"] == ["sys_id,short_description"]

    updated = harness.run(task(instance, "Update", table="incident", sysId=row["sys_id"], data={"state": 6}))
    assert updated["result"]["state"] == "6" and instance.requests[-1].method == "PUT"
    assert harness.run(task(instance, "Delete", table="incident", sysId=row["sys_id"])) == {"deleted": True}
    with pytest.raises(TaskFailed, match=r"ServiceNow: DELETE .*/api/now/table/incident/.* answered HTTP 404: .*No Record found"):
        harness.run(task(instance, "Delete", table="incident", sysId=row["sys_id"]))


def test_get_fetch_types_limit_and_offset(harness: Harness, instance: ServiceNowDouble, tmp_path: Path) -> None:
    for n in range(5):
        instance.add("cmdb_ci", {"name": f"host{n}"})
    page = harness.run(task(instance, "Get", table="cmdb_ci", limit=2, offset=1))
    assert [r["name"] for r in page["results"]] == ["host1", "host2"] and page["offset"] == 1
    one = harness.run(task(instance, "Get", table="cmdb_ci", fetchType="FETCH_ONE"))
    assert [r["name"] for r in one["results"]] == ["host0"] and one["size"] == 1
    storage = LocalStorage(tmp_path / "storage")
    stored = harness.run(task(instance, "Get", table="cmdb_ci", fetchType="STORE"), harness.context(storage=storage))
    assert stored["size"] == 5
    assert [r["name"] for r in ion.loads(storage.get(stored["uri"]).decode())] == [f"host{n}" for n in range(5)]
    assert harness.run(task(instance, "Get", table="cmdb_ci", fetchType="NONE")) == {"size": 5, "offset": None}


def test_oauth_password_grant_and_refusals(harness: Harness, instance: ServiceNowDouble) -> None:
    out = harness.run(task(instance, "Post", oauth=True, table="incident", data={"short_description": "x"}))
    assert out["result"]["short_description"] == "x"
    token_call, insert = instance.requests[-2:]
    assert token_call.path == "/oauth_token.do" and "grant_type=password" in token_call.raw.decode()
    assert insert.headers["authorization"] == "Bearer sn-access-token-1"
    bad = task(instance, "Get", table="incident", password="wrong")
    with pytest.raises(TaskFailed, match=r"answered HTTP 401: .*User Not Authenticated"):
        harness.run(bad)
    with pytest.raises(TaskFailed, match="answered HTTP 401"):
        harness.run({**task(instance, "Get", oauth=True, table="incident"), "clientSecret": "nope"})
    with pytest.raises(TaskFailed, match="'clientSecret' is required with 'clientId'"):
        harness.run({k: v for k, v in task(instance, "Get", oauth=True, table="incident").items() if k != "clientSecret"})


def test_the_domain_names_the_instance(harness: Harness, instance: ServiceNowDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    """`domain: dev1234` means https://dev1234.service-now.com: the name does not resolve here, which the error says."""
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "")
    with pytest.raises(TaskFailed, match=r"cannot resolve dev1234\.service-now\.com|refusing to connect"):
        harness.run({**task(instance, "Get", table="incident"), "domain": "dev1234"})
