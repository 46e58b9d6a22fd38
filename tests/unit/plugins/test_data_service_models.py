"""The MongoDB, Elasticsearch, OpenSearch and Google Sheets families: every type is registered under Kestra's
name, documented (each property described), its examples validate, its JSON Schema forbids unknown properties;
bad properties are validation errors naming the property."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins import registry, trigger_registry
from tests.unit.plugins.documented import assert_documented

KESTRA = {
    "mongodb": [f"io.kestra.plugin.mongodb.{n}" for n in ("Find", "InsertOne", "Update", "Delete", "Aggregate", "Load", "Bulk", "Trigger")],
    "elasticsearch": [f"io.kestra.plugin.elasticsearch.{n}" for n in ("Search", "Scroll", "Get", "Put", "Request", "Load", "Bulk", "Esql")],
    "opensearch": [f"io.kestra.plugin.opensearch.{n}" for n in ("Search", "Scroll", "Get", "Put", "Request", "Load", "Bulk", "Ppl")],
    "googleworkspace": [f"io.kestra.plugin.googleworkspace.sheets.{n}" for n in
                        ("Read", "ReadRange", "CreateSpreadsheet", "DeleteSpreadsheet", "Load", "SheetModifiedTrigger")],
}
EXTRAS = {"mongodb": "mongodb", "elasticsearch": "", "opensearch": "", "googleworkspace": "googleworkspace"}
TYPES = [(family, name) for family, names in KESTRA.items() for name in names]


def _lookup(name: str) -> type:
    cls = registry().lookup(name) or trigger_registry().lookup(name)
    assert cls is not None, f"{name} is not registered"
    return cls


@pytest.mark.parametrize(("family", "name"), TYPES, ids=[n for _, n in TYPES])
def test_type_is_documented_and_its_examples_validate(family: str, name: str) -> None:
    cls = _lookup(name)
    assert name in cls.ALIASES and cls.TYPE.startswith(f"{family}.")
    assert EXTRAS[family] == cls.EXTRA
    assert_documented(cls, name=name)


HEAD = "id: f\nnamespace: n\ntasks:\n"
MONGO = "    connection:\n      uri: mongodb://h\n    database: d\n    collection: c\n"
ES = "    connection:\n      hosts: [http://h:9200]\n"


@pytest.mark.parametrize(("body", "where"), [
    (f"  - id: t\n    type: io.kestra.plugin.mongodb.Update\n{MONGO}    document: {{}}\n", "filter"),
    (f"  - id: t\n    type: io.kestra.plugin.mongodb.Delete\n{MONGO}    operation: DELETE_ALL\n", "operation"),
    (f"  - id: t\n    type: io.kestra.plugin.mongodb.Find\n{MONGO}    limit: ten\n", "limit"),
    ("  - id: t\n    type: io.kestra.plugin.mongodb.Find\n    database: d\n    collection: c\n", "connection"),
    (f"  - id: t\n    type: io.kestra.plugin.elasticsearch.Search\n{ES}    request: {{}}\n    fetchType: ALL\n", "fetchType"),
    (f"  - id: t\n    type: io.kestra.plugin.elasticsearch.Put\n{ES}    index: i\n    value: {{}}\n    refreshPolicy: SOON\n", "refreshPolicy"),
    ("  - id: t\n    type: io.kestra.plugin.opensearch.Get\n    connection: {}\n    index: i\n    key: k\n", "hosts"),
    (f"  - id: t\n    type: io.kestra.plugin.opensearch.Ppl\n{ES}    query: q\n    format: XML\n", "format"),
    ("  - id: t\n    type: io.kestra.plugin.googleworkspace.sheets.Load\n    spreadsheetId: s\n    from: x\n    insertType: REPLACE\n", "insertType"),
    ("  - id: t\n    type: io.kestra.plugin.googleworkspace.sheets.ReadRange\n    range: A1\n", "spreadsheetId"),
])
def test_bad_properties_are_validation_errors_naming_the_property(body: str, where: str) -> None:
    with pytest.raises(FlowValidationError) as caught:
        parse_flow(HEAD + body, "flow.yaml")
    assert where in str(caught.value)
