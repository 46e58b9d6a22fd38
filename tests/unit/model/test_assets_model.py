"""The `assets` property of every task (Kestra's asset declarations): accepted as Kestra writes it, in flowable
and runnable tasks alike, refused with the YAML line and path when its shape is wrong, and shown in the schema."""

from __future__ import annotations

import pytest

from legato import plugins
from legato.model.errors import FlowValidationError
from legato.model.flow import Flow
from legato.model.loader import load_flow
from legato.model.schema import flow_json_schema


def flow(body: str) -> Flow:
    return load_flow("id: f\nnamespace: t\n" + body, registry=plugins.registry(), triggers=plugins.trigger_registry())


def test_declarations_as_kestra_writes_them() -> None:
    f = flow("""tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEach
    values: [a, b]
    assets:
      outputs: [{id: group, type: custom}]
    tasks:
      - id: mart
        type: io.kestra.plugin.core.log.Log
        message: m
        assets:
          inputs:
            - id: trips
          outputs:
            - id: avg_{{taskrun.value}}
              type: io.kestra.plugin.ee.assets.Table
              namespace: "{{flow.namespace}}"
              displayName: Average
              description: "**mart**"
              metadata: {model_layer: mart, rows: 3}
          enableAuto: true
          assetFailureBehavior: FAIL
""")
    mart = f.task("mart")
    assert mart.assets is not None
    assert [a.id for a in mart.assets.inputs] == ["trips"]
    out = mart.assets.outputs[0]
    assert (out.id, out.type, out.namespace, out.metadata) == (
        "avg_{{taskrun.value}}", "io.kestra.plugin.ee.assets.Table", "{{flow.namespace}}", {"model_layer": "mart", "rows": 3})
    assert mart.assets.enableAuto and mart.assets.assetFailureBehavior == "FAIL"
    each = f.task("each").assets
    assert each is not None and each.assetFailureBehavior == "WARN" and not each.enableAuto


@pytest.mark.parametrize(("assets", "where", "what"), [
    ("{outputs: [{id: t}]}", "tasks[0].assets.outputs[0].type", "required property"),
    ("{inputs: [{type: x}]}", "tasks[0].assets.inputs[0].id", "required property"),
    ("{assetFailureBehavior: LOUD}", "tasks[0].assets.assetFailureBehavior", "WARN"),
    ("{outputs: [{id: t, type: x, metadata: [1]}]}", "tasks[0].assets.outputs[0].metadata", "dictionary"),
    ("{inputs: [{id: t, nmespace: x}]}", "tasks[0].assets.inputs[0].nmespace", "did you mean 'namespace'"),
])
def test_bad_shapes_say_where(assets: str, where: str, what: str) -> None:
    with pytest.raises(FlowValidationError) as err:
        flow(f"tasks:\n  - id: a\n    type: io.kestra.plugin.core.log.Log\n    message: m\n    assets: {assets}\n")
    text = str(err.value)
    assert where in text and what in text
    assert text.startswith("<string>:7:")  # the line of `assets` (two header lines come first)


def test_schema_and_docs_show_it() -> None:
    schema = flow_json_schema(plugins.registry(), plugins.trigger_registry())
    text = str(schema)
    assert "assetFailureBehavior" in text and "enableAuto" in text
    assert "The assets this task reads" in text
