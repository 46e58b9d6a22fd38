"""Task and trigger types: the list, one type's docs and JSON Schema, the flow JSON Schema, input types."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from legato import plugins as installed
from legato.api import dto
from legato.api.context import check_tenant
from legato.api.errors import not_found
from legato.model.inputs import INPUT_TYPES
from legato.model.task import TaskRegistry
from legato.plugins import schema_file

router = APIRouter(prefix="/api/v1/{tenant}/plugins", tags=["Plugins"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)


def routers() -> list[APIRouter]:
    return [router]


def _registries() -> list[tuple[str, TaskRegistry]]:
    return [("task", installed.registry()), ("trigger", installed.trigger_registry())]


def _doc(cls: type[Any]) -> str:
    return inspect.cleandoc(cls.__doc__ or "")


def _summary(kind: str, cls: type[Any]) -> dto.PluginSummary:
    return dto.PluginSummary(cls=cls.TYPE, aliases=list(cls.ALIASES), kind=kind, title=_doc(cls).split("\n", 1)[0],
                             flowable=bool(getattr(cls, "FLOWABLE", False)))


@router.get("", summary="List task and trigger types", response_model=list[dto.PluginSummary])
def list_plugins() -> list[dto.PluginSummary]:
    """Every installed task and trigger type, by kind and canonical name."""
    return [_summary(kind, cls) for kind, registry in _registries() for cls in registry.classes()]


@router.get("/schemas/flow", summary="JSON Schema of flows", response_model=dto.JsonSchema)
def flow_schema() -> Response:
    """The JSON Schema (draft 2020-12) a flow's YAML must satisfy, with every installed type (the editor's)."""
    return Response(schema_file.flow_schema(), media_type="application/json")


@router.get("/inputs", summary="Input types", response_model=list[dto.InputType])
def input_types() -> list[dto.InputType]:
    """Every type a flow input can have, with its JSON Schema."""
    return [dto.InputType(type=cls.TYPE, schema_=cls.model_json_schema()) for cls in INPUT_TYPES.classes()]


@router.get("/{cls}", summary="One type's docs and JSON Schema", response_model=dto.PluginDoc)
def plugin(cls: Annotated[str, Path(max_length=255, description="Type name: canonical or any alias.")]) -> dto.PluginDoc:
    """Documentation, YAML examples and the JSON Schema of the properties of a task or trigger type."""
    for kind, registry in _registries():
        found = registry.lookup(cls)
        if found is not None:
            examples = list(getattr(found, "EXAMPLES", ()))
            blocks = "\n\n".join(f"```yaml\n{e.rstrip()}\n```" for e in examples)
            return dto.PluginDoc(**_summary(kind, found).model_dump(), markdown=(_doc(found) + "\n\n" + blocks).strip(),
                                 examples=examples, schema_=found.model_json_schema())
    raise not_found(f"no task or trigger type '{cls}'")
