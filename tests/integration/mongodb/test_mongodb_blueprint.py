"""The MongoDB blueprint and example run unchanged with `legato flow run` against the wire-protocol test double."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import blueprint, run_flow
from tests.integration.mongodb.double import MongoDouble
from tests.integration.objectstore_support import ROOT


def test_mongodb_blueprint_runs_green(tmp_path: Path) -> None:
    double = MongoDouble()
    with double.serve() as uri:
        done = run_flow(blueprint("mongodb_load_and_aggregate"), tmp_path, secrets={"MONGODB_URI": uri})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [d["customer"] for d in double.docs("shop", "orders")] == ["ada", "bob", "ada", "cyd"]
    assert "4 orders loaded; best customer ada; 2 big orders in kestra:///" in done.stdout + done.stderr


def test_mongodb_example_runs_green(tmp_path: Path) -> None:
    double = MongoDouble()
    with double.serve() as uri:
        done = run_flow((ROOT / "examples" / "mongodb.yaml").read_text(), tmp_path, secrets={"MONGODB_URI": uri})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [d["name"] for d in double.docs("crm", "customers")] == ["Ada Lovelace"]
