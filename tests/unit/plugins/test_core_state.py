"""The deprecated state.Set, Get and Delete, stored in the KV store."""

from __future__ import annotations

import pytest

from legato.plugins.context import TaskFailed


def test_state_set_merges_into_the_state_and_get_reads_it(harness):
    ctx = harness.context(inputs={"store": "file1", "md5": "abc"})
    outputs = harness.run("""
id: set
type: io.kestra.plugin.core.state.Set
data:
  "{{ inputs.store }}": "{{ inputs.md5 }}"
  nested: {a: 1}
""", ctx)
    assert outputs == {"count": 2, "key": "tasks-states/orders/default"}
    outputs = harness.run({"id": "set", "type": "io.kestra.core.tasks.states.Set", "data": {"nested": {"b": 2}, "x": True}})
    assert outputs["count"] == 3
    entry = harness.store.kv_get("company.team", "tasks-states/orders/default", harness.clock())
    assert (entry.type, entry.value) == ("JSON", {"file1": "abc", "nested": {"a": 1, "b": 2}, "x": True})
    assert harness.run({"id": "get", "type": "io.kestra.core.tasks.states.Get"}) == {
        "count": 3, "data": {"file1": "abc", "nested": {"a": 1, "b": 2}, "x": True}
    }


def test_state_is_kept_per_flow_unless_shared_with_the_namespace(harness):
    harness.run({"id": "s", "type": "state.Set", "name": "cursor", "data": {"page": 1}}, harness.context(flow_id="a"))
    other = harness.context(flow_id="b")
    assert harness.run({"id": "g", "type": "state.Get", "name": "cursor"}, other) == {"count": 0, "data": {}}
    harness.run({"id": "s", "type": "state.Set", "name": "cursor", "namespace": True, "data": {"page": 9}},
                harness.context(flow_id="a"))
    shared = harness.run({"id": "g", "type": "state.Get", "name": "cursor", "namespace": True}, other)
    assert shared == {"count": 1, "data": {"page": 9}}


def test_state_is_isolated_by_loop_value_unless_disabled(harness):
    harness.run({"id": "s", "type": "state.Set", "data": {"v": 1}}, harness.context(value="item-1"))
    assert harness.run({"id": "g", "type": "state.Get"}, harness.context(value="item-2"))["data"] == {}
    assert harness.run({"id": "g", "type": "state.Get"}, harness.context(value="item-1"))["data"] == {"v": 1}
    harness.run({"id": "s", "type": "state.Set", "taskrunValue": False, "data": {"all": 1}}, harness.context(value="x"))
    assert harness.run({"id": "g", "type": "state.Get", "taskrunValue": False}, harness.context(value="y"))["data"] == {"all": 1}


def test_state_get_and_delete_with_error_on_missing(harness):
    with pytest.raises(TaskFailed, match="the state 'nope' does not exist"):
        harness.run({"id": "g", "type": "state.Get", "name": "nope", "errorOnMissing": True})
    harness.run({"id": "s", "type": "state.Set", "name": "gone", "data": {"a": 1}})
    assert harness.run({"id": "d", "type": "io.kestra.plugin.core.state.Delete", "name": "gone"}) == {"deleted": True}
    assert harness.run({"id": "d", "type": "state.Delete", "name": "gone"}) == {"deleted": False}
    with pytest.raises(TaskFailed, match="the state 'gone' does not exist"):
        harness.run({"id": "d", "type": "io.kestra.core.tasks.states.Delete", "name": "gone", "errorOnMissing": True})
