"""Typed blocks inside a task (an AI task's provider, tools and memory; a log shipper's exporters): a map whose
`type` names the class it is validated as, with the flow's `pluginDefaults` for that type merged in, and whose JSON
Schema gives each class's properties under its own `type`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, ValidatorFunctionWrapHandler, WithJsonSchema, WrapValidator
from pydantic_core import PydanticCustomError

from legato.model.errors import suggest
from legato.model.task import Frozen
from legato.model.taskfield import FLOW_DEFAULTS, deep_merge, located_error


class SubPlugin(Frozen):
    """A typed block inside a task: `type` picks the class."""

    TYPE: ClassVar[str]
    ALIASES: ClassVar[tuple[str, ...]] = ()

    type: str = Field(description="The block's type name.")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return (cls.TYPE, *cls.ALIASES)


def sub_plugin(kind: str, classes: list[type[SubPlugin]]) -> tuple[WrapValidator, WithJsonSchema]:
    """Annotations that validate a map as the class its `type` names, with matching plugin defaults, and give
    the editor's JSON Schema each class's properties under its own `type`."""
    return _validator(kind, classes), WithJsonSchema(_dispatch_schema(kind, classes))


def _dispatch_schema(kind: str, classes: list[type[SubPlugin]]) -> dict[str, Any]:
    branches = []
    for cls in classes:
        schema = _inlined(cls.model_json_schema())
        schema.pop("title", None)
        schema.setdefault("properties", {})["type"] = {"type": "string", "enum": list(cls.names())}
        branches.append({"if": {"properties": {"type": {"enum": list(cls.names())}}, "required": ["type"]}, "then": schema})
    return {"type": "object", "description": f"A {kind}: its `type` selects which properties it has.", "required": ["type"],
            "properties": {"type": {"type": "string", "enum": sorted(n for c in classes for n in c.names())}},
            "allOf": branches}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `$defs` written in place of their `$ref`s: the block's schema goes inside the task's, where
    its own `#/$defs/...` would point nowhere. A model that contains itself stops at an open object."""
    defs = schema.pop("$defs", {})

    def walk(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                return {"type": "object"} if name in seen else walk(defs[name], seen | {name})
            return {k: walk(v, seen) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, seen) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema, frozenset())
    return inlined


def _validator(kind: str, classes: list[type[SubPlugin]]) -> WrapValidator:
    by_name = {name: cls for cls in classes for name in cls.names()}

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if isinstance(value, SubPlugin):
            return value
        if not isinstance(value, Mapping):
            raise PydanticCustomError(f"{kind}_not_a_map", f"a {kind} must be a map with a 'type'")
        name = value.get("type")
        if not isinstance(name, str):
            raise located_error(("type",), "missing", "Field required", value)
        cls = by_name.get(name)
        if cls is None:
            raise located_error(("type",), f"unknown_{kind}_type", f"unknown {kind} type '{{name}}'{{hint}}", name,
                                name=name, hint=suggest(name, list(by_name)))
        data = dict(value)
        for default in reversed(FLOW_DEFAULTS.get()):  # the first default has the highest priority
            if default.type in cls.names() or name.startswith(default.type):
                values = {k: v for k, v in default.values.items() if k in cls.model_fields and k != "type"}
                data = deep_merge(values, data) if not default.forced else deep_merge(data, values)
        return cls.model_validate(data, context=info.context)

    return WrapValidator(validate)
