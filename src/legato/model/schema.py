"""The JSON Schema (draft 2020-12) of flows, generated from the models, for the editor, the API and `legato flow
validate`. Each task, trigger, condition and input list accepts every registered type under any of its names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import PydanticOmit, core_schema

from legato.model.conditions import CONDITIONS, Condition
from legato.model.flow import Flow
from legato.model.inputs import INPUT_TYPES, Input
from legato.model.task import TASKS, TRIGGERS, Task, TaskRegistry
from legato.model.triggers import Trigger

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, leaving out what JSON cannot describe (callables) instead of failing."""

    def handle_invalid_for_json_schema(self, schema: core_schema.CoreSchema, error_info: str) -> JsonSchemaValue:
        raise PydanticOmit


def _names(cls: type[Any]) -> list[str]:
    return [cls.TYPE, *cls.ALIASES]


def _markdown(cls: type[Any], schema: dict[str, Any]) -> None:
    examples = getattr(cls, "EXAMPLES", ())
    if examples:
        blocks = "\n\n".join(f"```yaml\n{text.rstrip()}\n```" for text in examples)
        schema["markdownDescription"] = (schema.get("description", "") + "\n\n" + blocks).strip()


def _replace_refs(node: Any, refs: dict[str, str]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            return {**node, "$ref": refs[ref]}
        return {k: _replace_refs(v, refs) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_refs(v, refs) for v in node]
    return node


def _dispatch(classes: Iterable[type[Any]], refs: dict[type[Any], str], kind: str) -> dict[str, Any]:
    """A schema accepting a map whose `type` names one of `classes`, validated as that class."""
    classes = list(classes)
    every = sorted(name for cls in classes for name in _names(cls))
    return {
        "type": "object",
        "description": f"A {kind}: its `type` selects which properties it has.",
        "required": ["type"],
        "properties": {"type": {"type": "string", "enum": every}},
        "allOf": [
            {"if": {"properties": {"type": {"enum": _names(cls)}}, "required": ["type"]}, "then": {"$ref": refs[cls]}}
            for cls in classes
        ],
    }


def flow_json_schema(registry: TaskRegistry = TASKS, triggers: TaskRegistry = TRIGGERS) -> dict[str, Any]:
    """The JSON Schema of a flow whose tasks and triggers are those of `registry` and `triggers`."""
    families: list[tuple[str, type[BaseModel], list[type[Any]]]] = [
        ("task", Task, registry.classes()),
        ("trigger", Trigger, triggers.classes()),
        ("condition", Condition, CONDITIONS.classes()),
        ("input", Input, INPUT_TYPES.classes()),
    ]
    models: list[type[BaseModel]] = [Flow, *(base for _, base, _ in families)]
    models += [cls for _, _, classes in families for cls in classes]
    keys, top = models_json_schema([(m, "validation") for m in models], schema_generator=_Generator)
    defs: dict[str, Any] = top.get("$defs", {})
    ref_of = {m: keys[(m, "validation")]["$ref"] for m in models}
    swaps: dict[str, str] = {}
    for kind, base, classes in families:
        name = f"Any{kind.capitalize()}"
        defs[name] = _dispatch(classes, ref_of, kind)
        swaps[ref_of[base]] = f"#/$defs/{name}"
        for cls in classes:
            _shape_type(kind, cls, defs[ref_of[cls].rsplit("/", 1)[1]])
    defs = _replace_refs(defs, swaps)
    for _, base, _ in families:
        defs.pop(ref_of[base].rsplit("/", 1)[1], None)
    flow = defs.pop(ref_of[Flow].rsplit("/", 1)[1])
    _markdown(Flow, flow)
    return {"$schema": DIALECT, "$id": "https://legato.dev/schemas/flow.json", **flow, "$defs": defs}


def _shape_type(kind: str, cls: type[Any], schema: dict[str, Any]) -> None:
    """Restrict `type` to the class's names, relax what defaults or old names may supply, add examples."""
    properties = schema.setdefault("properties", {})
    if kind == "input":
        schema["required"] = [r for r in schema.get("required", []) if r != "id"]
        schema["anyOf"] = [{"required": ["id"]}, {"required": ["name"]}]
        return _markdown(cls, schema)
    properties["type"] = {**properties.get("type", {}), "type": "string", "enum": _names(cls)}
    if kind in ("task", "trigger"):
        # pluginDefaults may supply any other required property, so only these two are required everywhere.
        schema["required"] = [r for r in schema.get("required", []) if r in ("id", "type")]
    _markdown(cls, schema)
