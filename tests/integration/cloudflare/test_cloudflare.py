"""Kestra's Cloudflare tasks against the API v4 test double (double.py): real HTTP requests on 127.0.0.1 through
the guarded client, a bearer token, the v4 envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.integration.cloudflare.double import TOKEN, ZONE, CloudflareDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed


@pytest.fixture
def cloudflare() -> Iterator[CloudflareDouble]:
    double = CloudflareDouble()
    with double.serve():
        yield double


def task(double: CloudflareDouble, kind: str, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": f"io.kestra.plugin.cloudflare.{kind}", "apiToken": TOKEN, "baseUrl": double.base_url,
            **props}


def test_dns_records_create_upsert_list_delete(harness: Harness, cloudflare: CloudflareDouble) -> None:
    record = {"zoneId": ZONE, "recordType": "A", "name": "app.example.com"}
    created = harness.run(task(cloudflare, "dns.records.Upsert", content="203.0.113.10", **record))
    assert created["action"] == "created" and created["content"] == "203.0.113.10" and len(created["id"]) == 32
    updated = harness.run(task(cloudflare, "dns.records.Upsert", content="203.0.113.11", proxied=True, **record))
    assert (updated["action"], updated["id"], updated["content"], updated["proxied"]) == (
        "updated", created["id"], "203.0.113.11", True)
    other = harness.run(task(cloudflare, "dns.records.Create", zoneId=ZONE, recordType="TXT", name="example.com",
                             content="v=spf1 -all", ttl=300))
    listed = harness.run(task(cloudflare, "dns.records.List", zoneId=ZONE, recordType="A"))
    assert listed["size"] == 1 and listed["records"][0]["content"] == "203.0.113.11"
    assert harness.run(task(cloudflare, "dns.records.List", zoneId=ZONE))["size"] == 2
    assert harness.run(task(cloudflare, "dns.records.Delete", zoneId=ZONE, recordId=other["id"])) == {"id": other["id"]}
    assert list(cloudflare.records[ZONE]) == [created["id"]]
    with pytest.raises(TaskFailed, match=r"answered HTTP 404: .*Record does not exist"):
        harness.run(task(cloudflare, "dns.records.Delete", zoneId=ZONE, recordId=other["id"]))


def test_batch_applies_deletes_patches_puts_then_posts(harness: Harness, cloudflare: CloudflareDouble) -> None:
    old = harness.run(task(cloudflare, "dns.records.Create", zoneId=ZONE, recordType="A", name="old.example.com",
                           content="198.51.100.1"))
    keep = harness.run(task(cloudflare, "dns.records.Create", zoneId=ZONE, recordType="A", name="keep.example.com",
                            content="198.51.100.2"))
    done = harness.run(task(cloudflare, "dns.records.Batch", zoneId=ZONE, deletes=[{"id": old["id"]}],
                            patches=[{"id": keep["id"], "proxied": True}],
                            posts=[{"type": "A", "name": "new.example.com", "content": "198.51.100.3", "ttl": 1}]))
    assert [r["name"] for r in done["deletes"]] == ["old.example.com"] and done["puts"] == []
    assert done["patches"][0]["proxied"] is True and done["posts"][0]["name"] == "new.example.com"
    assert "puts" not in cloudflare.requests[-1].body  # empty parts are left out of the request
    with pytest.raises(TaskFailed, match="give at least one of deletes, patches, puts or posts"):
        harness.run(task(cloudflare, "dns.records.Batch", zoneId=ZONE))


def test_zones_purge_and_access_rules(harness: Harness, cloudflare: CloudflareDouble) -> None:
    zones = harness.run(task(cloudflare, "zones.List"))
    assert zones == {"zones": [{"id": ZONE, "name": "example.com", "status": "active"}], "size": 1}
    assert harness.run(task(cloudflare, "zones.List", name="nope.example"))["size"] == 0
    assert harness.run(task(cloudflare, "cache.Purge", zoneId=ZONE, purgeAll=True)) == {"id": ZONE}
    harness.run(task(cloudflare, "cache.Purge", zoneId=ZONE, files=["https://www.example.com/"]))
    assert cloudflare.purges == [{"purge_everything": True}, {"files": ["https://www.example.com/"]}]
    with pytest.raises(TaskFailed, match="set purgeAll: true, or give files"):
        harness.run(task(cloudflare, "cache.Purge", zoneId=ZONE))

    rule = harness.run(task(cloudflare, "waf.accessrules.Create", zoneId=ZONE, mode="whitelist", target="IP",
                            value="198.51.100.4", notes="canary"))
    assert cloudflare.rules[rule["id"]]["configuration"] == {"target": "ip", "value": "198.51.100.4"}
    assert harness.run(task(cloudflare, "waf.accessrules.Delete", zoneId=ZONE, ruleId=rule["id"])) == {"id": rule["id"]}
    assert cloudflare.rules == {}


def test_a_bad_token_is_refused(harness: Harness, cloudflare: CloudflareDouble) -> None:
    with pytest.raises(TaskFailed, match=r"answered HTTP 403: .*Authentication error"):
        harness.run({**task(cloudflare, "zones.List"), "apiToken": "wrong"})
