"""kv.Set, Get, GetKeys, Delete, PurgeKV and the kv() expression function, over the real store."""

from __future__ import annotations

import pytest

from legato.plugins.context import TaskFailed


def stored(harness, key, namespace="company.team"):
    entry = harness.store.kv_get(namespace, key, harness.clock())
    return None if entry is None else (entry.type, entry.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text", ("STRING", "plain text")),
        ("{{ inputs.n }}", ("NUMBER", 42)),
        ("{{ inputs.flag }}", ("BOOLEAN", True)),
        ("{{ inputs.map }}", ("JSON", {"a": [1, 2]})),
        (3.5, ("NUMBER", 3.5)),
    ],
)
def test_set_infers_the_type_from_the_rendered_value(harness, value, expected):
    ctx = harness.context(inputs={"n": 42, "flag": True, "map": {"a": [1, 2]}})
    assert harness.run({"id": "s", "type": "io.kestra.plugin.core.kv.Set", "key": "k", "value": value}, ctx) == {}
    assert stored(harness, "k") == expected


@pytest.mark.parametrize(
    ("kv_type", "text", "expected"),
    [
        ("STRING", "42", "42"),
        ("NUMBER", "42", 42),
        ("NUMBER", "-1.5", -1.5),
        ("BOOLEAN", "TRUE", True),
        ("DATETIME", "2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00Z"),
        ("DATE", "2024-05-01", "2024-05-01"),
        ("DURATION", "PT90M", "PT1H30M"),
        ("JSON", '{"a": 1}', {"a": 1}),
    ],
)
def test_set_parses_text_as_the_declared_type(harness, kv_type, text, expected):
    harness.run({"id": "s", "type": "kv.Set", "key": "k", "value": text, "kvType": kv_type})
    assert stored(harness, "k") == (kv_type, expected)


@pytest.mark.parametrize(
    ("kv_type", "text"), [("NUMBER", "forty"), ("BOOLEAN", "yes"), ("DATETIME", "tomorrow"), ("DURATION", "1h"), ("JSON", "{")]
)
def test_set_refuses_text_that_is_not_of_the_declared_type(harness, kv_type, text):
    with pytest.raises(TaskFailed, match=f"property 'value': '{text}' is not a valid {kv_type}"):
        harness.run({"id": "s", "type": "kv.Set", "key": "k", "value": text, "kvType": kv_type})
    assert stored(harness, "k") is None


def test_set_renders_key_and_namespace_and_honours_overwrite(harness):
    ctx = harness.context(inputs={"key": "orders"})
    harness.run({"id": "s", "type": "kv.Set", "key": "{{ inputs.key }}_file", "namespace": "company", "value": "a"}, ctx)
    assert stored(harness, "orders_file", "company") == ("STRING", "a")
    with pytest.raises(TaskFailed, match="cannot set the value of key 'orders_file' in namespace 'company'"):
        harness.run({"id": "s", "type": "kv.Set", "key": "orders_file", "namespace": "company", "value": "b", "overwrite": False})
    assert stored(harness, "orders_file", "company") == ("STRING", "a")


def test_set_with_ttl_expires(harness):
    harness.run({"id": "s", "type": "kv.Set", "key": "k", "value": "v", "ttl": "PT10M"})
    harness.clock.advance(minutes=9)
    assert harness.run({"id": "g", "type": "kv.Get", "key": "k"}) == {"value": "v"}
    harness.clock.advance(minutes=2)
    assert harness.run({"id": "g", "type": "kv.Get", "key": "k"}) == {"value": None}


def test_get_returns_the_typed_value_or_fails_when_asked(harness):
    harness.store.kv_set("company", "conf", {"x": 1}, type="JSON", expires_at=None, now=harness.clock())
    outputs = harness.run({"id": "g", "type": "io.kestra.plugin.core.kv.Get", "key": "conf", "namespace": "company"})
    assert outputs == {"value": {"x": 1}}
    assert harness.run({"id": "g", "type": "kv.Get", "key": "missing"}) == {"value": None}
    with pytest.raises(TaskFailed, match=r"no value found for key 'missing' in namespace 'company.team'"):
        harness.run({"id": "g", "type": "kv.Get", "key": "missing", "errorOnMissing": True})


def test_get_keys_lists_live_keys_with_a_prefix(harness):
    now = harness.clock()
    for key in ("orders_a", "orders_b", "users"):
        harness.store.kv_set("company.team", key, 1, type="NUMBER", expires_at=None, now=now)
    harness.store.kv_set("other", "orders_z", 1, type="NUMBER", expires_at=None, now=now)
    assert harness.run({"id": "k", "type": "io.kestra.plugin.core.kv.GetKeys"}) == {"keys": ["orders_a", "orders_b", "users"]}
    assert harness.run({"id": "k", "type": "kv.GetKeys", "prefix": "orders_"}) == {"keys": ["orders_a", "orders_b"]}
    assert harness.run({"id": "k", "type": "kv.GetKeys", "namespace": "other"}) == {"keys": ["orders_z"]}


def test_delete_says_whether_the_key_existed(harness):
    harness.store.kv_set("company.team", "k", "v", type="STRING", expires_at=None, now=harness.clock())
    assert harness.run({"id": "d", "type": "io.kestra.plugin.core.kv.Delete", "key": "k"}) == {"deleted": True}
    assert stored(harness, "k") is None
    assert harness.run({"id": "d", "type": "kv.Delete", "key": "k"}) == {"deleted": False}
    with pytest.raises(TaskFailed, match="no value found for key 'k'"):
        harness.run({"id": "d", "type": "kv.Delete", "key": "k", "errorOnMissing": True})


def _seed_for_purge(harness):
    for namespace in ("company", "company.team", "other"):
        harness.save_flow(namespace, "f")
    now = harness.clock()
    soon = now.replace(minute=5)
    for namespace in ("company", "company.team", "other"):
        harness.store.kv_set(namespace, "AI_old", 1, type="NUMBER", expires_at=soon, now=now)
        harness.store.kv_set(namespace, "AI_keep", 1, type="NUMBER", expires_at=None, now=now)
        harness.store.kv_set(namespace, "plain_old", 1, type="NUMBER", expires_at=soon, now=now)
    harness.clock.advance(minutes=10)


def _remaining(harness, namespace):
    return sorted(e.key for e in harness.store.kv_list(namespace, harness.clock()))


def test_purge_kv_by_default_deletes_expired_keys_everywhere(harness):
    _seed_for_purge(harness)
    ctx = harness.context()
    assert harness.run({"id": "p", "type": "io.kestra.plugin.core.kv.PurgeKV"}, ctx) == {"size": 6}
    for namespace in ("company", "company.team", "other"):
        assert harness.store.kv_get(namespace, "AI_old", harness.clock().replace(minute=0)) is None
        assert _remaining(harness, namespace) == ["AI_keep"]
    assert ("INFO", "purged 6 keys") in harness.messages(ctx)


def test_purge_kv_in_namespaces_with_children_and_a_key_pattern(harness):
    _seed_for_purge(harness)
    outputs = harness.run({
        "id": "p", "type": "kv.PurgeKV", "namespaces": ["company"], "keyPattern": "AI_*",
        "behavior": {"type": "key", "expiredOnly": False},
    })
    assert outputs == {"size": 4}
    assert _remaining(harness, "company") == []  # plain_old had expired already, so it no longer lists
    assert harness.store.kv_get("other", "AI_keep", harness.clock()) is not None


def test_purge_kv_without_children_or_by_namespace_pattern(harness):
    _seed_for_purge(harness)
    outputs = harness.run({"id": "p", "type": "kv.PurgeKV", "namespaces": ["company"], "includeChildNamespaces": False,
                           "expiredOnly": False})
    assert outputs == {"size": 3}
    assert harness.run({"id": "p", "type": "kv.PurgeKV", "namespacePattern": "oth*"}) == {"size": 2}
    with pytest.raises(TaskFailed, match="either 'namespaces' or 'namespacePattern'"):
        harness.run({"id": "p", "type": "kv.PurgeKV", "namespaces": ["a"], "namespacePattern": "b"})


def test_kv_function_reads_the_store_inside_expressions(harness):
    harness.store.kv_set("company.team", "greeting", "hello", type="STRING", expires_at=None, now=harness.clock())
    harness.store.kv_set("company", "n", 5, type="NUMBER", expires_at=None, now=harness.clock())
    ctx = harness.context()
    outputs = harness.run({"id": "o", "type": "output.OutputValues", "values": {
        "g": "{{ kv('greeting') }}", "n": "{{ kv('n', 'company') }}",
        "missing": "{{ kv('nope', errorOnMissing=false) }}",
    }}, ctx)
    assert outputs == {"values": {"g": "hello", "n": 5, "missing": None}}
    with pytest.raises(TaskFailed, match=r"the key 'nope' does not exist in the namespace 'company.team'"):
        harness.run({"id": "r", "type": "debug.Return", "format": "{{ kv('nope') }}"})
