"""Kestra's Odoo Query against the external API test double (double.py: a real XML-RPC server on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.odoo.double import DB, LOGIN, PASSWORD, OdooDouble
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage, ion


@pytest.fixture
def odoo() -> Iterator[OdooDouble]:
    double = OdooDouble()
    with double.serve():
        yield double


def query(double: OdooDouble, **props: Any) -> dict[str, Any]:
    return {"id": "t", "type": "io.kestra.plugin.odoo.Query", "url": double.url, "db": DB, "username": LOGIN,
            "password": PASSWORD, "model": "res.partner", **props}


def test_every_operation(harness: Harness, odoo: OdooDouble, tmp_path: Path) -> None:
    acme = odoo.add("res.partner", name="Acme", is_company=True, email="hi@acme.test")
    odoo.add("res.partner", name="Ann", is_company=False, email="ann@acme.test")
    created = harness.run(query(odoo, operation="CREATE", values={"name": "Beta", "is_company": True}))
    assert created["size"] == 1 and odoo.models["res.partner"][created["ids"][0]]["name"] == "Beta"

    companies = harness.run(query(odoo, operation="SEARCH_READ", filters=[["is_company", "=", True]],
                                  fields=["name"], fetchType="FETCH"))
    assert companies == {"size": 2, "rows": [{"id": acme, "name": "Acme"}, {"id": created["ids"][0], "name": "Beta"}]}
    assert odoo.calls[-1][3] == {"fields": ["name"]}
    first = harness.run(query(odoo, operation="SEARCH_READ", filters=[["email", "ilike", "acme"]], limit=1,
                              fetchType="FETCH_ONE"))
    assert first["row"]["name"] == "Acme" and first["size"] == 1
    assert harness.run(query(odoo, operation="SEARCH", filters=[["is_company", "=", False]], fetchType="FETCH"))["rows"] == [
        {"id": acme + 1}]
    assert harness.run(query(odoo, operation="SEARCH_COUNT", filters=[["is_company", "=", True]])) == {"size": 2}
    assert harness.run(query(odoo, operation="SEARCH_COUNT")) == {"size": 3}  # NONE: only the size

    storage = LocalStorage(tmp_path / "storage")
    stored = harness.run(query(odoo, operation="READ", ids=[acme], fetchType="STORE"), harness.context(storage=storage))
    assert [r["email"] for r in ion.loads(storage.get(stored["uri"]).decode())] == ["hi@acme.test"]

    written = harness.run(query(odoo, operation="WRITE", ids=["{{ inputs.partner }}"], values={"email": "new@acme.test"}),
                          harness.context(inputs={"partner": acme}))
    assert written == {"size": 1, "ids": [acme]}
    assert odoo.models["res.partner"][acme]["email"] == "new@acme.test"
    assert harness.run(query(odoo, operation="UNLINK", ids=[acme])) == {"size": 1, "ids": [acme]}
    assert acme not in odoo.models["res.partner"]


def test_refusals(harness: Harness, odoo: OdooDouble) -> None:
    with pytest.raises(TaskFailed, match="authentication of 'admin' on database 'acme' failed"):
        harness.run({**query(odoo, operation="SEARCH_COUNT"), "password": "wrong"})
    with pytest.raises(TaskFailed, match=r"Odoo: execute_kw failed: .*no\.such"):
        harness.run({**query(odoo, operation="SEARCH_COUNT"), "model": "no.such"})
    with pytest.raises(TaskFailed, match="operation WRITE needs `ids`"):
        harness.run(query(odoo, operation="WRITE", values={"a": 1}))
    with pytest.raises(TaskFailed, match="operation CREATE needs `values`"):
        harness.run(query(odoo, operation="CREATE"))
