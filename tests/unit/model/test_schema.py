"""The generated flow JSON Schema: valid draft 2020-12, accepts real flows, rejects what the models reject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from legato import plugins
from legato.model.loader import load_yaml_value
from legato.model.schema import flow_json_schema
from legato.model.task import TRIGGERS

from .conftest import TEST_TASKS

FLOW = """
id: hello
namespace: company.team
labels: {team: data}
inputs:
  - id: user
    type: STRING
    defaults: Ann
  - name: legacy
    type: INT
tasks:
  - id: hi
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.user }}"
    retry: {type: constant, interval: PT10S, maxAttempts: 3}
  - id: group
    type: test.Group
    tasks:
      - id: inner
        type: test.Echo
        message: nested
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
    conditions:
      - type: io.kestra.plugin.core.condition.Weekend
concurrency: {limit: 1, behavior: FAIL}
"""


# The module fixture (the schemas of the full registry) is built once: its tests stay on one xdist worker.
pytestmark = pytest.mark.xdist_group("schema")


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = flow_json_schema(TEST_TASKS, TRIGGERS)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc))


def test_schema_is_draft_2020_12_with_descriptions_and_examples(validator: jsonschema.Draft202012Validator) -> None:
    schema = validator.schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["tasks"]["description"] == "The tasks, run in order."
    echo = next(d for d in schema["$defs"].values() if d.get("title") == "Echo")
    assert echo["properties"]["type"]["enum"] == ["test.Echo", "io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log"]
    assert "```yaml\nid: hi\ntype: test.Echo" in echo["markdownDescription"]


def test_a_real_flow_validates(validator: jsonschema.Draft202012Validator) -> None:
    assert errors(validator, load_yaml_value(FLOW)) == []


def best(validator: jsonschema.Draft202012Validator, change: Any) -> str:
    doc = load_yaml_value(FLOW)
    change(doc)
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    assert error is not None
    return f"{'/'.join(map(str, error.absolute_path))}: {error.message}"


def test_schema_rejects_unknown_types_properties_and_bad_values(validator: jsonschema.Draft202012Validator) -> None:
    found = best(validator, lambda d: d["tasks"][0].update(mesage="typo"))
    assert found.startswith("tasks/0: Additional properties are not allowed ('mesage'")
    found = best(validator, lambda d: d["tasks"][1]["tasks"][0].update(type="test.Nope"))
    assert found.startswith("tasks/1/tasks/0/type: 'test.Nope' is not one of")
    assert best(validator, lambda d: d["concurrency"].update(limit=0)) == "concurrency/limit: 0 is less than the minimum of 1"
    found = best(validator, lambda d: d["triggers"][0].update(type="io.kestra.plugin.core.trigger.Nope"))
    assert found.startswith("triggers/0/type: 'io.kestra.plugin.core.trigger.Nope' is not one of")
    assert best(validator, lambda d: d.pop("tasks")) == ": 'tasks' is a required property"


@pytest.fixture(scope="module")
def full_schema() -> dict[str, Any]:
    return flow_json_schema(plugins.registry(), plugins.trigger_registry())


@pytest.fixture(scope="module")
def full_validator(full_schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(full_schema)


def test_schema_over_the_full_plugin_registry_is_valid(full_schema: dict[str, Any],
                                                       full_validator: jsonschema.Draft202012Validator) -> None:
    jsonschema.Draft202012Validator.check_schema(full_schema)
    doc = load_yaml_value("id: a\nnamespace: b\ntasks:\n  - id: l\n    type: io.kestra.plugin.core.log.Log\n    message: hi\n")
    assert list(full_validator.iter_errors(doc)) == []


VALID = sorted((Path(__file__).resolve().parents[2] / "flows" / "valid").glob("*.yaml"))


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_every_valid_corpus_flow_matches_the_schema(path: Path, full_validator: jsonschema.Draft202012Validator) -> None:
    error = jsonschema.exceptions.best_match(full_validator.iter_errors(load_yaml_value(path.read_text())))
    assert error is None, f"{list(error.absolute_path)}: {error.message}"
