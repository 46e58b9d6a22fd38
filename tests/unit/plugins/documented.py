"""The check every plugin family's model tests make of each of its types: documented (a docstring, examples, each
property described), its examples validate as the type they name, its JSON Schema forbids unknown properties.
What is particular to a family (its names, extra, base class, how its triggers run) stays in its own test."""

from __future__ import annotations

from typing import Any

from legato.model.loader import load_yaml_value
from legato.plugins import registry, trigger_registry


def assert_documented(cls: Any, *, name: str | None = None) -> None:
    """Assert `cls` (a task or trigger model) is documented and its examples validate; `name` (default its TYPE)
    names it in the messages. Each example is read as flows are (YAML 1.2): a task, a bare trigger, or a
    `triggers:` list whose every entry must name `cls` through the registries and validate."""
    name = name or cls.TYPE
    assert cls.__doc__ and cls.__doc__.strip(), f"{name} has no docstring"
    assert cls.EXAMPLES, f"{name} has no examples"
    for field, info in cls.model_fields.items():
        assert info.description, f"{name}.{field} has no description"
    for example in cls.EXAMPLES:
        data = load_yaml_value(example)
        for entry in [data] if "type" in data else data["triggers"]:
            assert (registry().lookup(entry["type"]) or trigger_registry().lookup(entry["type"])) is cls, (
                f"an example of {name} names {entry['type']}"
            )
            cls.model_validate(entry)
    assert cls.model_json_schema()["additionalProperties"] is False, f"{name} accepts unknown properties"
