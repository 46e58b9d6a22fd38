"""examples/documentdb.yaml end to end with `legato flow run` against the DocumentDB data API test double (double.py):
the first run inserts the customer, the second updates it; the revenue report is grouped by status into a CSV."""

from __future__ import annotations

from pathlib import Path

from tests.flow_cli import ALLOW_LOOPBACK, run_flow
from tests.integration.documentdb.double import PASSWORD, USER, DocumentDbDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "documentdb.yaml"


def test_the_example_upserts_the_customer_and_reports_revenue(tmp_path: Path) -> None:
    double = DocumentDbDouble()
    double.docs("shop", "orders").extend([{"_id": ("oid", f"{i:024x}"), "status": s, "amount": a}
                                          for i, (s, a) in enumerate([("paid", 10), ("paid", 30), ("open", 7)])])
    with double.serve() as url:
        (tmp_path / "one").mkdir()
        (tmp_path / "two").mkdir()
        secrets = {"DOCUMENTDB_HOST": url, "DOCUMENTDB_USERNAME": USER, "DOCUMENTDB_PASSWORD": PASSWORD}
        first = run_flow(EXAMPLE.read_text(), tmp_path / "one", env=ALLOW_LOOPBACK, secrets=secrets)
        second = run_flow(EXAMPLE.read_text(), tmp_path / "two", env=ALLOW_LOOPBACK, secrets=secrets)
    for done in (first, second):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "2 order status(es)" in done.stdout + done.stderr
    [customer] = double.docs("shop", "customers")
    assert {k: customer[k] for k in ("email", "name", "visits")} == {"email": "ada@example.com", "name": "Ada Lovelace", "visits": 2}
    actions = [r.path.rsplit("/", 1)[-1] for r in double.requests]
    assert actions == ["find", "insertOne", "aggregate", "find", "updateOne", "aggregate"]
