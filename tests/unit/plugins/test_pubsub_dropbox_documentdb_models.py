"""The GCP Pub/Sub, Dropbox and DocumentDB families: every type is registered under Kestra's name, documented (each
property described), its examples validate, its JSON Schema forbids unknown properties; a missing or bad property
is a validation error naming it."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins import registry, trigger_registry
from tests.unit.plugins.documented import assert_documented

DROPBOX = "io.kestra.plugin.dropbox.files."
TASKS = ["io.kestra.plugin.gcp.pubsub.Publish", "io.kestra.plugin.gcp.pubsub.Consume",
         *(DROPBOX + n for n in ("List", "Search", "Download", "Upload", "Move", "Copy", "Delete", "CreateFolder",
                                 "GetMetadata")),
         *(f"io.kestra.plugin.documentdb.{n}" for n in ("Insert", "Read", "Update", "Delete"))]
TRIGGERS = ["io.kestra.plugin.gcp.pubsub.Trigger", "io.kestra.plugin.gcp.pubsub.RealtimeTrigger"]


@pytest.mark.parametrize("name", TASKS)
def test_task_is_documented_and_its_examples_validate(name: str) -> None:
    cls = registry().lookup(name)
    assert cls is not None and name in (cls.TYPE, *cls.ALIASES)
    assert_documented(cls, name=name)


@pytest.mark.parametrize("name", TRIGGERS)
def test_trigger_is_documented_and_its_examples_validate(name: str) -> None:
    cls = trigger_registry().lookup(name)
    assert cls is not None and name in (cls.TYPE, *cls.ALIASES)
    assert_documented(cls, name=name)


HEAD = "id: f\nnamespace: n\ntasks:\n  - id: t\n"
DOC = "    host: https://docdb.example.com\n    database: d\n    collection: c\n    username: u\n    password: p\n"
LOG = "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"


@pytest.mark.parametrize(("body", "where"), [
    ("    type: io.kestra.plugin.gcp.pubsub.Publish\n    topic: t\n", "from"),
    ("    type: io.kestra.plugin.gcp.pubsub.Publish\n    topic: t\n    from: []\n    serdeType: AVRO\n", "serdeType"),
    ("    type: io.kestra.plugin.gcp.pubsub.Consume\n    topic: t\n    subscription: s\n", "maxRecords"),
    ("    type: io.kestra.plugin.gcp.pubsub.Consume\n    topic: t\n    maxRecords: 1\n", "subscription"),
    (f"    type: {DROPBOX}Upload\n    accessToken: x\n    from: kestra:///a\n    to: /b\n    mode: REPLACE\n", "mode"),
    (f"    type: {DROPBOX}List\n    accessToken: x\n    fetchType: NONE\n", "fetchType"),
    (f"    type: {DROPBOX}Download\n    from: /a\n", "accessToken"),
    (f"    type: io.kestra.plugin.documentdb.Read\n{DOC}    fetchType: ALL\n", "fetchType"),
    (f"    type: io.kestra.plugin.documentdb.Update\n{DOC}    filter:\n      a: 1\n", "update"),
    (f"    type: io.kestra.plugin.documentdb.Insert\n{DOC}", "document"),
    ("    type: io.kestra.plugin.documentdb.Delete\n    database: d\n    collection: c\n    username: u\n    password: p\n", "host"),
    (f"{LOG}triggers:\n  - id: p\n    type: io.kestra.plugin.gcp.pubsub.RealtimeTrigger\n    topic: t\n", "subscription"),
    (f"{LOG}triggers:\n  - id: p\n    type: io.kestra.plugin.gcp.pubsub.Trigger\n    topic: t\n    subscription: s\n    interval: soon\n", "interval"),
])
def test_bad_properties_are_named(body: str, where: str) -> None:
    with pytest.raises(FlowValidationError, match=where):
        parse_flow(HEAD + body)
