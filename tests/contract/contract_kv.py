"""Contract: the namespace key-value store."""

from __future__ import annotations

from typing import Any

import pytest

from legato.store.sql import SqlStore

from .helpers import NOW, at


class KVContract:
    @pytest.mark.parametrize(
        ("type_", "value"),
        [("STRING", "héllo"), ("NUMBER", 4.5), ("BOOLEAN", False), ("JSON", {"a": [1, None]}), ("JSON", None),
         ("STRING", "42"), ("DATETIME", "2025-01-01T00:00:00Z"), ("DURATION", "PT1H")],
    )
    def test_values_round_trip_with_their_type(self, store: SqlStore, type_: str, value: Any) -> None:
        assert store.kv_set("ns", "k", value, type=type_, expires_at=None, now=NOW) is True
        entry = store.kv_get("ns", "k", NOW)
        assert entry is not None
        assert (entry.namespace, entry.key, entry.type, entry.value, entry.expires_at, entry.updated) == (
            "ns", "k", type_, value, None, NOW,
        )

    def test_expired_entries_are_invisible(self, store: SqlStore) -> None:
        store.kv_set("ns", "k", 1, type="NUMBER", expires_at=at(10), now=NOW)
        assert store.kv_get("ns", "k", at(9)).expires_at == at(10)  # type: ignore[union-attr]
        assert store.kv_get("ns", "k", at(10)) is None
        assert store.kv_list("ns", at(10)) == []

    def test_overwrite_false_keeps_a_live_key_but_replaces_an_expired_one(self, store: SqlStore) -> None:
        store.kv_set("ns", "k", "old", type="STRING", expires_at=at(10), now=NOW)
        assert store.kv_set("ns", "k", "new", type="STRING", expires_at=None, now=at(5), overwrite=False) is False
        assert store.kv_get("ns", "k", at(5)).value == "old"  # type: ignore[union-attr]
        assert store.kv_set("ns", "k", "new", type="STRING", expires_at=None, now=at(11), overwrite=False) is True
        assert store.kv_get("ns", "k", at(11)).value == "new"  # type: ignore[union-attr]
        assert store.kv_set("ns", "k", "newer", type="STRING", expires_at=None, now=at(12)) is True
        assert store.kv_get("ns", "k", at(12)).value == "newer"  # type: ignore[union-attr]

    def test_delete_reports_whether_a_live_key_was_there(self, store: SqlStore) -> None:
        store.kv_set("ns", "k", 1, type="NUMBER", expires_at=None, now=NOW)
        assert store.kv_delete("ns", "k") is True
        assert store.kv_delete("ns", "k") is False
        assert store.kv_get("ns", "k", NOW) is None

    def test_list_gives_live_keys_of_one_namespace_by_prefix(self, store: SqlStore) -> None:
        for key in ("b", "a_1", "a%2", "A_upper", "ab"):
            store.kv_set("ns", key, key, type="STRING", expires_at=None, now=NOW)
        store.kv_set("ns", "a_expired", 0, type="NUMBER", expires_at=at(1), now=NOW)
        store.kv_set("other", "a_1", 0, type="NUMBER", expires_at=None, now=NOW)
        assert [e.key for e in store.kv_list("ns", at(2))] == sorted(["b", "a_1", "a%2", "A_upper", "ab"])
        assert [e.key for e in store.kv_list("ns", at(2), prefix="a_")] == ["a_1"]
        assert [e.key for e in store.kv_list("ns", at(2), prefix="a%")] == ["a%2"]
        assert [e.key for e in store.kv_list("ns", at(2), prefix="a")] == ["a%2", "a_1", "ab"]

    def test_purge_removes_expired_or_named_keys(self, store: SqlStore) -> None:
        store.kv_set("ns", "live", 1, type="NUMBER", expires_at=None, now=NOW)
        store.kv_set("ns", "gone1", 1, type="NUMBER", expires_at=at(1), now=NOW)
        store.kv_set("ns", "gone2", 1, type="NUMBER", expires_at=at(2), now=NOW)
        store.kv_set("ns", "later", 1, type="NUMBER", expires_at=at(100), now=NOW)
        store.kv_set("other", "gone", 1, type="NUMBER", expires_at=at(1), now=NOW)
        assert store.kv_purge("ns", at(10), expired_only=True) == 2
        assert store.kv_purge("ns", at(10), expired_only=True, keys=["live", "later"]) == 0
        assert store.kv_purge("ns", at(10), expired_only=False, keys=["live", "missing"]) == 1
        assert store.kv_purge("ns", at(10), expired_only=False, keys=[]) == 0
        assert [e.key for e in store.kv_list("ns", at(10))] == ["later"]
        assert store.kv_purge("ns", at(10), expired_only=False) == 1
        assert [e.key for e in store.kv_list("other", NOW)] == ["gone"]

    def test_unknown_type_is_refused(self, store: SqlStore) -> None:
        with pytest.raises(ValueError, match="unknown KV type"):
            store.kv_set("ns", "k", 1, type="INTEGER", expires_at=None, now=NOW)
