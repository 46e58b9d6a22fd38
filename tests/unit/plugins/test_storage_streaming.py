"""The storage tasks stream: on a 60 MB file, Concat, Split, Reverse, FilterItems, DeduplicateItems and Size
run in a fresh process whose peak RSS grows by a small fraction of the file's size. Also the record readers'
edge cases, which the streaming versions must share with `bytes.split`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from legato.plugins.core.storage_stream import records, records_reversed

ROOT = Path(__file__).resolve().parents[3]
FILE_MB = 60
LIMIT_MB = 25  # reading the file whole would cost at least 60 MB, reversing it in memory 120 MB

SCRIPT = r"""
import asyncio, json, resource, sys
from pathlib import Path
from legato.storage import LocalStorage
from legato.store import open_store
from tests.unit.plugins.conftest import Clock, Harness

tmp = Path(sys.argv[1])
store = open_store(f"sqlite:///{tmp}/t.db")
store.migrate()
harness = Harness(store=store, clock=Clock())
storage = LocalStorage(tmp / "storage")
pad = "x" * 950

def write(uri, count):
    path = storage.path_of(uri)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for n in range(count):
            f.write(json.dumps({"id": n, "key": f"k{n % 500}", "amount": n % 200, "pad": pad}) + "\n")
    return uri

TASKS = [
    "id: t\ntype: storage.Concat\nfiles: ['{u}', '{u}']\n",
    "id: t\ntype: storage.Split\nfrom: '{u}'\nrows: 20000\n",
    "id: t\ntype: storage.Split\nfrom: '{u}'\npartitions: 3\n",
    "id: t\ntype: storage.Split\nfrom: '{u}'\nbytes: 16MB\n",
    "id: t\ntype: storage.Reverse\nfrom: '{u}'\n",
    "id: t\ntype: storage.FilterItems\nfrom: '{u}'\nfilterCondition: '{{{{ amount > 100 }}}}'\n",
    "id: t\ntype: storage.DeduplicateItems\nfrom: '{u}'\nexpr: '{{{{ key }}}}'\n",
    "id: t\ntype: storage.Size\nuri: '{u}'\n",
]

def run_all(uri):
    results = []
    for task in TASKS:
        ctx = harness.context(storage=storage)
        results.append(asyncio.run(harness.task(task.format(u=uri)).run(ctx)))
    return results

run_all(write("kestra:///company/team/_files/x/small.ion", 200))  # imports, caches and the store warmed up
big = write("kestra:///company/team/_files/x/big.ion", int(sys.argv[2]) * 1024 * 1024 // 1000)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
results = run_all(big)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"size": storage.size(big), "growth_kb": after - before, "results": results}))
"""


def test_storage_tasks_run_in_constant_memory(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), str(FILE_MB)], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    concat, rows, partitions, by_size, reverse, filtered, dedup, size = report["results"]
    assert report["size"] >= FILE_MB * 1000 * 1000 and size["size"] == report["size"]
    items = FILE_MB * 1024 * 1024 // 1000  # the script's item count
    assert len(rows["uris"]) == -(-items // 20000) and len(partitions["uris"]) == 3 and len(by_size["uris"]) == 4
    assert filtered["processedItemsTotal"] == items and dedup["droppedItemsTotal"] == items - 500
    assert concat["uri"] and reverse["uri"]
    assert report["growth_kb"] < LIMIT_MB * 1024, f"peak RSS grew by {report['growth_kb'] // 1024} MB on a {FILE_MB} MB file"


@pytest.mark.parametrize("data", [b"", b"a", b"a\n", b"\n", b"\n\n", b"a\nb", b"a\nb\n", b"a\n\nb\n\n", b"ab\r\ncd\r\n"])
@pytest.mark.parametrize("separator", [b"\n", b"\r\n"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 1024])
def test_records_forwards_and_backwards_agree_with_split(data: bytes, separator: bytes, chunk: int) -> None:
    expected = data.split(separator) if data else []
    if expected and expected[-1] == b"":
        expected.pop()
    assert list(records(io.BytesIO(data), separator, chunk)) == expected
    assert list(records_reversed(io.BytesIO(data), separator, chunk)) == expected[::-1]


def test_reverse_keeps_records_across_chunk_edges() -> None:
    lines = [json.dumps({"n": n}).encode() for n in range(1000)]
    data = b"\n".join(lines) + b"\n"
    assert list(records_reversed(io.BytesIO(data), b"\n", 7)) == lines[::-1]
