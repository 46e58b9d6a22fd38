"""The storage tasks over a real LocalStorage: what they write, in Kestra's layout, and what they output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage
from tests.unit.plugins.conftest import Harness


def run(harness: Harness, storage: LocalStorage, source: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """Run one task of the test's one execution (a task reaches only its own execution's files)."""
    kwargs.setdefault("execution", harness.one_execution())
    ctx = harness.context(storage=storage, **kwargs)
    return harness.run(source, ctx), ctx


def test_write_then_size_then_delete(harness: Harness, storage: LocalStorage) -> None:
    out, ctx = run(harness, storage, "id: w\ntype: io.kestra.plugin.core.storage.Write\ncontent: 'hello {{ inputs.n }}'\nextension: .txt\n",
                   inputs={"n": "world"}, task_id="w")
    assert out["uri"] == f"kestra:///company/team/orders/executions/{ctx.execution.id}/tasks/w/{ctx.task_run.id}/w.txt"
    assert storage.get(out["uri"]) == b"hello world"
    size, _ = run(harness, storage, f"id: s\ntype: io.kestra.core.tasks.storages.Size\nuri: {out['uri']}\n")
    assert size == {"size": 11}
    deleted, _ = run(harness, storage, f"id: d\ntype: storage.Delete\nuri: {out['uri']}\n")
    assert deleted == {"uri": out["uri"], "deleted": True}
    again, _ = run(harness, storage, f"id: d\ntype: storage.Delete\nuri: {out['uri']}\n")
    assert again["deleted"] is False
    with pytest.raises(TaskFailed, match="no file in internal storage"):
        run(harness, storage, f"id: d\ntype: storage.Delete\nuri: {out['uri']}\nerrorOnMissing: true\n")


def test_concat_and_reverse(harness: Harness, storage: LocalStorage) -> None:
    a = storage.put("kestra:///company/team/_files/x/a.txt", b"1\n2\n")
    b = storage.put("kestra:///company/team/_files/x/b.txt", b"3\n")
    out, _ = run(harness, storage, f"id: c\ntype: io.kestra.plugin.core.storage.Concat\nfiles: ['{a}', '{b}']\n")
    assert storage.get(out["uri"]) == b"1\n2\n3\n"
    listed, _ = run(harness, storage, "id: c\ntype: storage.Concat\nfiles: '{{ inputs.files }}'\nseparator: '--'\n",
                    inputs={"files": json.dumps([a, b])}, task_id="c2")
    assert storage.get(listed["uri"]) == b"1\n2\n--3\n"
    reversed_, _ = run(harness, storage, f"id: r\ntype: io.kestra.plugin.core.storage.Reverse\nfrom: {out['uri']}\n")
    assert storage.get(reversed_["uri"]) == b"3\n2\n1\n"


@pytest.mark.parametrize(("how", "parts"), [
    ("rows: 2", [b"a\nb\n", b"c\nd\n", b"e\n"]),
    ("partitions: 2", [b"a\nb\nc\n", b"d\ne\n"]),
    ("bytes: 4", [b"a\nb\n", b"c\nd\n", b"e\n"]),
])
def test_split(harness: Harness, storage: LocalStorage, how: str, parts: list[bytes]) -> None:
    source = storage.put("kestra:///company/team/_files/x/rows.csv", b"a\nb\nc\nd\ne\n")
    out, _ = run(harness, storage, f"id: s\ntype: io.kestra.plugin.core.storage.Split\nfrom: {source}\n{how}\n")
    assert [storage.get(u) for u in out["uris"]] == parts
    assert all(u.endswith(".csv") for u in out["uris"])


def test_split_needs_exactly_one_way(harness: Harness) -> None:
    with pytest.raises(Exception, match="exactly one of bytes, partitions or rows"):
        harness.task("id: s\ntype: storage.Split\nfrom: kestra:///x\nrows: 1\npartitions: 2\n")


def test_filter_items(harness: Harness, storage: LocalStorage) -> None:
    source = storage.put("kestra:///company/team/_files/x/orders.ion", b'{"id":1,"amount":50}\n{"id":2,"amount":150}\n{"id":3,"amount":null}\n')
    out, _ = run(harness, storage, f"""
id: f
type: io.kestra.plugin.core.storage.FilterItems
from: {source}
filterCondition: "{{{{ value.amount > 100 }}}}"
errorOrNullBehavior: EXCLUDE
""")
    assert storage.get(out["uri"]) == b'{"id":2,"amount":150}\n'
    assert (out["processedItemsTotal"], out["droppedItemsTotal"]) == (3, 2)
    dropped, _ = run(harness, storage, f"""
id: f
type: storage.FilterItems
from: {source}
filterCondition: "{{{{ amount == null }}}}"
filterType: EXCLUDE
""")
    assert [json.loads(line)["id"] for line in storage.get(dropped["uri"]).splitlines()] == [1, 2]


def test_deduplicate_items_keeps_the_last_per_key(harness: Harness, storage: LocalStorage) -> None:
    source = storage.put("kestra:///company/team/_files/x/o.ion", b'{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"a","v":3}\n')
    out, _ = run(harness, storage, f"id: d\ntype: io.kestra.plugin.core.storage.DeduplicateItems\nfrom: {source}\nexpr: '{{{{ k }}}}'\n")
    # Kestra's order: each kept item stays at its own place in the file
    assert storage.get(out["uri"]) == b'{"k":"b","v":2}\n{"k":"a","v":3}\n'
    assert out["droppedItemsTotal"] == 1


def test_purge_current_execution_files(harness: Harness, storage: LocalStorage) -> None:
    ctx = harness.context(storage=storage, task_id="w")
    written = harness.run("id: w\ntype: storage.Write\ncontent: x\n", ctx)
    other = storage.put("kestra:///company/team/orders/executions/other/tasks/t/r/keep.txt", b"k")
    purge = harness.context(storage=storage, execution=ctx.execution, task_id="purge")
    out = harness.run("id: purge\ntype: io.kestra.plugin.core.storage.PurgeCurrentExecutionFiles\n", purge)
    assert out == {"uris": [written["uri"]]}
    assert not storage.exists(written["uri"]) and storage.exists(other)


def test_a_from_that_is_not_a_storage_uri_is_refused(harness: Harness, storage: LocalStorage) -> None:
    with pytest.raises(TaskFailed, match="internal storage URI"):
        run(harness, storage, "id: r\ntype: storage.Reverse\nfrom: /etc/passwd\n")
