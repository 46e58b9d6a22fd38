"""Kestra's Redis string and list tasks against the Redis on 127.0.0.1:6379, under their current and older
type names."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis
from tests.integration.jdbc.conftest import Tasks
from tests.services import require

from legato.plugins.context import TaskFailed

URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    require("redis")
    name = f"jdbc-test:{secrets.token_hex(4)}:"
    yield name
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)
    client.close()


def test_string_set_get_delete_increment(tasks: Tasks, prefix: str) -> None:
    head = f"id: task\nurl: {URL}\n"
    assert tasks.run(head + f"type: io.kestra.plugin.redis.string.Set\nkey: {prefix}a\nvalue:\n  user: ada\nserdeType: JSON\n"
                            "options:\n  expirationDuration: PT1H\n") == {}
    assert 3500 < redis.Redis.from_url(URL).ttl(f"{prefix}a") <= 3600
    got = tasks.run(head + f"type: io.kestra.plugin.redis.Get\nkey: {prefix}a\nserdeType: JSON\n")
    assert got == {"data": {"user": "ada"}, "key": f"{prefix}a"}
    old = tasks.run(head + f"type: io.kestra.plugin.redis.Set\nkey: {prefix}a\nvalue: plain\nget: true\n")
    assert old == {"oldValue": '{"user":"ada"}'}
    tasks.run(head + f"type: io.kestra.plugin.redis.string.Set\nkey: {prefix}a\nvalue: ignored\noptions:\n  mustNotExist: true\n")
    assert tasks.run(head + f"type: io.kestra.plugin.redis.string.Get\nkey: {prefix}a\n")["data"] == "plain"
    with pytest.raises(TaskFailed, match="does not exist"):
        tasks.run(head + f"type: io.kestra.plugin.redis.string.Get\nkey: {prefix}missing\nfailedOnMissing: true\n")
    assert tasks.run(head + f"type: io.kestra.plugin.redis.string.Increment\nkey: {prefix}n\namount: 5\n")["value"] == 5
    deleted = tasks.run(head + f"type: io.kestra.plugin.redis.string.Delete\nkeys: [{prefix}a, {prefix}n, {prefix}zz]\n")
    assert deleted == {"count": 2}
    with pytest.raises(TaskFailed, match="only 0 of 1 deleted"):
        tasks.run(head + f"type: io.kestra.plugin.redis.Delete\nkeys: [{prefix}a]\nfailedOnMissing: true\n")


def test_list_push_then_pop_through_a_file(tasks: Tasks, prefix: str) -> None:
    head = f"id: task\nurl: {URL}\n"
    pushed = tasks.run(head + f"type: io.kestra.plugin.redis.list.ListPush\nkey: {prefix}l\nfrom: [one, two]\n")
    assert pushed == {"count": 2}
    uri = tasks.put("items.ion", b'{"id":1}\n{"id":2}\n{"id":3}\n')
    assert tasks.run(head + f"type: io.kestra.plugin.redis.ListPush\nkey: {prefix}j\nfrom: {uri}\nserdeType: JSON\nbatchSize: 2\n") == {"count": 3}
    popped = tasks.run(head + f"type: io.kestra.plugin.redis.list.ListPop\nkey: {prefix}j\nserdeType: JSON\nmaxRecords: 2\ncount: 1\n")
    assert popped["count"] == 2 and tasks.rows(popped["uri"]) == [{"id": 3}, {"id": 2}]  # LPUSH: newest first
    rest = tasks.run(head + f"type: io.kestra.plugin.redis.ListPop\nkey: {prefix}l\nmaxDuration: PT0.3S\n")
    assert rest["count"] == 2 and tasks.rows(rest["uri"]) == ["two", "one"]
    with pytest.raises(Exception, match="maxDuration or maxRecords must be set"):
        tasks.harness.task(head + f"type: io.kestra.plugin.redis.list.ListPop\nkey: {prefix}l\n")


def test_ttl_publish_and_json_without_the_module(tasks: Tasks, prefix: str) -> None:
    head = f"id: task\nurl: {URL}\n"
    tasks.run(head + f"type: io.kestra.plugin.redis.string.Set\nkey: {prefix}t\nvalue: x\noptions:\n  expirationDuration: PT60S\n")
    assert 0 < tasks.run(head + f"type: io.kestra.plugin.redis.string.Ttl\nkey: {prefix}t\n")["ttl"] <= 60
    assert tasks.run(head + f"type: io.kestra.plugin.redis.string.Ttl\nkey: {prefix}none\n")["ttl"] == -2
    client = redis.Redis.from_url(URL)
    listener = client.pubsub()
    listener.subscribe(f"{prefix}ch")
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    out = tasks.run(head + f"type: io.kestra.plugin.redis.Publish\nchannel: {prefix}ch\nfrom:\n  - a: 1\nserdeType: JSON\n")
    assert out == {"count": 1}
    assert listener.get_message(timeout=2)["data"] == b'{"a":1}'
    listener.close()
    client.close()
    # this Redis has no RedisJSON module: Redis's own answer reaches the user
    with pytest.raises(TaskFailed, match=r"unknown command 'JSON\.SET'"):
        tasks.run(head + f"type: io.kestra.plugin.redis.json.Set\nkey: {prefix}j\nvalue:\n  a: 1\n")
