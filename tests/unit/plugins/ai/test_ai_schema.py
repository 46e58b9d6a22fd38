"""The AI tasks' blocks in the editor's JSON Schema: every shipped AI blueprint and example validates against it,
and a provider block is checked against its own type's properties."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from legato.model.schema import flow_json_schema
from legato.plugins import ai  # noqa: F401 - registers the AI tasks

ROOT = Path(__file__).resolve().parents[4]
FLOWS = [*sorted((ROOT / "src/legato/blueprints").glob("ai_*.yaml")), ROOT / "src/legato/blueprints/openai_image.yaml",
         ROOT / "examples/ai.yaml"]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(flow_json_schema())


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.name)
def test_ai_flows_validate_against_the_schema(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []


def test_a_provider_property_of_another_provider_is_flagged(validator: jsonschema.Draft202012Validator) -> None:
    flow = yaml.safe_load((ROOT / "examples/ai.yaml").read_text())
    flow["tasks"][0]["provider"]["endpoint"] = "http://localhost:11434"  # Ollama's, not OpenAI's
    messages = [e.message for e in validator.iter_errors(flow)]
    assert any("'endpoint' was unexpected" in m for m in messages), messages
