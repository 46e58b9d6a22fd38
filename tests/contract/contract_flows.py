"""Contract: flow revisions."""

from __future__ import annotations

import pytest

from legato.store.ports import FlowSave
from legato.store.sql import SqlStore

from .helpers import NOW, at


class FlowContract:
    def test_first_save_is_revision_one_and_same_source_keeps_it(self, store: SqlStore) -> None:
        first = store.save_flow("ns", "f", "id: f\n", disabled=False, now=NOW)
        again = store.save_flow("ns", "f", "id: f\n", disabled=False, now=at(5))
        assert (first.revision, again.revision) == (1, 1)
        assert again.updated == NOW
        assert store.get_flow("ns", "f") == first

    def test_changed_source_makes_a_new_revision_and_old_ones_stay(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW)
        second = store.save_flow("ns", "f", "v2", disabled=False, now=at(1))
        assert second.revision == 2
        assert store.get_flow("ns", "f").source == "v2"  # type: ignore[union-attr]
        assert store.get_flow("ns", "f", 1).source == "v1"  # type: ignore[union-attr]
        assert store.get_flow("ns", "f", 3) is None
        assert store.get_flow("ns", "other") is None

    def test_disabling_with_the_same_source_changes_the_flag_not_the_revision(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW)
        saved = store.save_flow("ns", "f", "v1", disabled=True, now=at(1))
        assert (saved.revision, saved.disabled, saved.updated) == (1, True, at(1))
        assert store.get_flow("ns", "f").disabled is True  # type: ignore[union-attr]

    def test_deleted_flow_is_hidden_and_recreation_continues_revisions(self, store: SqlStore) -> None:
        store.save_flow("ns", "f", "v1", disabled=False, now=NOW)
        store.save_flow("ns", "f", "v2", disabled=False, now=at(1))
        assert store.delete_flow("ns", "f", at(2)) is True
        assert store.delete_flow("ns", "f", at(3)) is False
        assert store.get_flow("ns", "f") is None
        assert store.list_flows("ns") == []
        assert store.get_flow("ns", "f", 2).deleted is True  # type: ignore[union-attr]
        recreated = store.save_flow("ns", "f", "v2", disabled=False, now=at(4))
        assert (recreated.revision, recreated.deleted) == (3, False)
        assert store.get_flow("ns", "f") == recreated

    def test_delete_of_unknown_flow_is_false(self, store: SqlStore) -> None:
        assert store.delete_flow("ns", "nope", NOW) is False

    def test_list_flows_gives_latest_live_revisions_by_namespace(self, store: SqlStore) -> None:
        store.save_flow("a", "x", "x1", disabled=False, now=NOW)
        store.save_flow("a", "x", "x2", disabled=False, now=NOW)
        store.save_flow("a", "b", "b1", disabled=True, now=NOW)
        store.save_flow("z", "y", "y1", disabled=False, now=NOW)
        store.save_flow("z", "gone", "g1", disabled=False, now=NOW)
        store.delete_flow("z", "gone", NOW)
        assert [(f.namespace, f.id, f.revision) for f in store.list_flows()] == [
            ("a", "b", 1), ("a", "x", 2), ("z", "y", 1),
        ]
        assert [f.source for f in store.list_flows("a")] == ["b1", "x2"]
        assert store.list_flows("nobody") == []

    def test_replace_flows_saves_and_deletes_in_one_transaction(self, store: SqlStore) -> None:
        store.save_flow("ns", "old", "o1", disabled=False, now=NOW)
        store.save_flow("ns", "kept", "k1", disabled=False, now=NOW)
        saved = store.replace_flows([FlowSave("ns", "kept", "k1", False), FlowSave("ns", "new", "n1", True)],
                                    [("ns", "old")], at(1))
        assert [(f.id, f.revision, f.disabled) for f in saved] == [("kept", 1, False), ("new", 1, True)]
        assert [f.id for f in store.list_flows("ns")] == ["kept", "new"]
        # a save that fails half way leaves everything as it was
        broken = FlowSave("ns", "bad", None, False)  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017 - the driver's integrity error
            store.replace_flows([FlowSave("ns", "kept", "k2", False), broken], [("ns", "new")], at(2))
        assert [(f.id, f.source) for f in store.list_flows("ns")] == [("kept", "k1"), ("new", "n1")]
