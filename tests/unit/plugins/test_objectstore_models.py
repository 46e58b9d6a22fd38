"""The object-storage families (aws, gcp, azure): every type is registered under Kestra's name, belongs to its
family, is documented, its examples validate, its JSON Schema forbids unknown properties; bad properties are
validation errors that name the property."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins import families, registry, trigger_registry
from tests.unit.plugins.documented import assert_documented

KESTRA = {
    "aws": [f"io.kestra.plugin.aws.s3.{n}" for n in ("Upload", "Download", "Downloads", "List", "Delete", "DeleteList", "Copy", "CreateBucket", "Trigger")]
    + [f"io.kestra.plugin.aws.dynamodb.{n}" for n in ("PutItem", "GetItem", "DeleteItem", "Query", "Scan")]
    + ["io.kestra.plugin.aws.athena.Query", "io.kestra.plugin.aws.cli.AwsCLI"],
    "gcp": [f"io.kestra.plugin.gcp.gcs.{n}" for n in ("Upload", "Download", "Downloads", "List", "Delete", "DeleteList", "Copy", "CreateBucket", "Trigger")],
    "azure": [f"io.kestra.plugin.azure.storage.blob.{n}" for n in ("Upload", "Download", "Downloads", "List", "Delete", "DeleteList", "Copy", "Trigger")],
}
TYPES = [(family, name) for family, names in KESTRA.items() for name in names]


def _lookup(name: str) -> type:
    cls = registry().lookup(name) or trigger_registry().lookup(name)
    assert cls is not None, f"{name} is not registered"
    return cls


def test_each_family_holds_exactly_its_kestra_types() -> None:
    by_name = {f.name: f for f in families.families()}
    for family, names in KESTRA.items():
        # the families also hold other services (BigQuery, SQS, the gcloud and az CLIs...)
        storage = [t for t in by_name[family].types if t.split(".")[1] in {"s3", "dynamodb", "athena", "gcs", "storage"}
                   or t == "aws.cli.AwsCLI"]
        assert sorted(storage) == sorted(_lookup(n).TYPE for n in names)
        assert by_name[family].missing == {}


@pytest.mark.parametrize(("family", "name"), TYPES, ids=[n for _, n in TYPES])
def test_type_is_documented_and_its_examples_validate(family: str, name: str) -> None:
    cls = _lookup(name)
    assert name in cls.ALIASES and cls.TYPE.startswith(f"{family}.")
    assert family == cls.EXTRA
    assert_documented(cls, name=name)


HEAD = "id: f\nnamespace: n\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: x\n"


@pytest.mark.parametrize(("body", "where"), [
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.aws.s3.Upload\n    bucket: b\n    key: k\n", "from"),
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.aws.s3.List\n    bucket: b\n    filter: FOLDERS\n", "filter"),
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.aws.s3.Download\n    bucket: b\n    keys: k\n", "keys"),
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.aws.dynamodb.Scan\n    tableName: t\n    fetchType: ALL\n", "fetchType"),
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.gcp.gcs.List\n    from: gs://b/\n    listingType: FLAT\n", "listingType"),
    ("tasks:\n  - id: t\n    type: io.kestra.plugin.azure.storage.blob.Downloads\n    container: c\n    action: KEEP\n", "action"),
    ("triggers:\n  - id: t\n    type: io.kestra.plugin.aws.s3.Trigger\n    bucket: b\n    action: MOVE\n", "triggers[0]"),
    ("triggers:\n  - id: t\n    type: io.kestra.plugin.gcp.gcs.Trigger\n    from: gs://b/\n    action: MOVE\n", "triggers[0]"),
    ("triggers:\n  - id: t\n    type: io.kestra.plugin.azure.storage.blob.Trigger\n    container: c\n    action: MOVE\n    moveTo:\n      container: c\n", "triggers[0]"),
])
def test_bad_properties_are_validation_errors_naming_the_property(body: str, where: str) -> None:
    source = HEAD + body if body.startswith("triggers") else "id: f\nnamespace: n\n" + body
    with pytest.raises(FlowValidationError) as caught:
        parse_flow(source)
    assert where in str(caught.value)
