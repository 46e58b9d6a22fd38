"""The Argo CD and Microsoft Fabric families: every type is registered under Kestra's name, documented (each
property described), its examples validate, its JSON Schema forbids unknown properties; a missing or bad property
is a validation error naming it."""

from __future__ import annotations

import pytest

from legato.flows import parse_flow
from legato.model.errors import FlowValidationError
from legato.plugins import registry
from tests.unit.plugins.documented import assert_documented

FABRIC = "io.kestra.plugin.microsoft.fabric."
TYPES = ["io.kestra.plugin.argocd.apps.Sync", "io.kestra.plugin.argocd.apps.Status",
         *(FABRIC + n for n in ("data.engineering.RunPipeline", "data.engineering.RunNotebook",
                                "data.engineering.RunSparkJob", "onelake.Upload", "onelake.Download", "onelake.Delete",
                                "warehouse.Query"))]


@pytest.mark.parametrize("name", TYPES)
def test_type_is_documented_and_its_examples_validate(name: str) -> None:
    cls = registry().lookup(name)
    assert cls is not None and name == cls.TYPE
    assert_documented(cls)


HEAD = "id: f\nnamespace: n\ntasks:\n  - id: t\n"
ARGO = "    server: https://argocd.example.com\n    token: t\n"
SP = "    tenantId: t\n    clientId: c\n    clientSecret: s\n"


@pytest.mark.parametrize(("body", "where"), [
    (f"    type: io.kestra.plugin.argocd.apps.Sync\n{ARGO}", "application"),
    (f"    type: io.kestra.plugin.argocd.apps.Sync\n{ARGO}    application: a\n    prune: sometimes\n", "prune"),
    ("    type: io.kestra.plugin.argocd.apps.Status\n    application: a\n    token: t\n", "server"),
    (f"    type: io.kestra.plugin.argocd.apps.Status\n{ARGO}    application: a\n    refreshh: true\n", "refreshh"),
    (f"    type: {FABRIC}data.engineering.RunPipeline\n{SP}    workspaceId: w\n", "pipelineId"),
    (f"    type: {FABRIC}data.engineering.RunNotebook\n{SP}    workspaceId: w\n    notebookId: n\n    pollFrequency: often\n", "pollFrequency"),
    (f"    type: {FABRIC}onelake.Upload\n{SP}    workspaceId: w\n    itemId: i\n    filePath: p\n", "from"),
    (f"    type: {FABRIC}warehouse.Query\n{SP}    sqlEndpointId: e\n    warehouseId: w\n    sql: q\n    fetchType: ALL\n", "fetchType"),
])
def test_bad_properties_are_named(body: str, where: str) -> None:
    with pytest.raises(FlowValidationError, match=where):
        parse_flow(HEAD + body)
