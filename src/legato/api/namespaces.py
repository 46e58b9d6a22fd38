"""A namespace's own settings, on Kestra EE's paths: its description, variables and plugin defaults (read and
replaced as a whole), and what it inherits of them from its parent namespaces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path
from pydantic import Field

from legato.api import dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import ApiError
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import namespace_settings as service

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}", tags=["Namespaces"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)

T = TypeVar("T")
Namespace = Annotated[str, Path(description="The namespace.", pattern=NAMESPACE_PATTERN, max_length=150)]


def routers() -> list[APIRouter]:
    return [router]


class PluginDefaultDto(dto.Wire):
    type: str = Field(min_length=1, max_length=255,
                      description="A type name, or a prefix such as `io.kestra.plugin.scripts`.")
    forced: bool = Field(default=False, description="When true these values override the task's own.")
    values: dict[str, Any] = Field(default_factory=dict, description="Properties merged into each matching task.")


class NamespaceWrite(dto.Wire):
    """A namespace's settings (Kestra EE's Namespace body; its other properties are not kept)."""

    description: str | None = Field(default=None, max_length=service.MAX_DESCRIPTION)
    variables: dict[str, Any] = Field(default_factory=dict, description="Variables of the namespace, by name.")
    plugin_defaults: list[PluginDefaultDto] = Field(default_factory=list, max_length=500,
                                                    description="Default properties of tasks and triggers by type.")


class NamespaceDto(NamespaceWrite):
    id: str = Field(description="The namespace.")


def _dto(settings: service.NamespaceSettings) -> NamespaceDto:
    return NamespaceDto(id=settings.namespace, description=settings.description, variables=settings.variables,
                        plugin_defaults=[PluginDefaultDto.model_validate(d) for d in settings.plugin_defaults])


@router.get("", summary="Get a namespace's settings", response_model=NamespaceDto)
def get_namespace(ctx: Ctx, by: Acting, namespace: Namespace) -> NamespaceDto:
    """The namespace's description, variables and plugin defaults (empty when none were saved)."""
    return _dto(_call(lambda: service.get(ctx.files, namespace, by=by)))


@router.put("", summary="Replace a namespace's settings", response_model=NamespaceDto)
def put_namespace(ctx: Ctx, by: Acting, namespace: Namespace,
                  body: Annotated[NamespaceWrite, Body(description="The namespace's new settings.")]) -> NamespaceDto:
    """Replace the description, variables and plugin defaults of the namespace (audited)."""
    settings = service.NamespaceSettings(namespace, body.description, body.variables,
                                         [d.model_dump() for d in body.plugin_defaults])
    return _dto(_call(lambda: service.put(ctx.files, ctx.store, settings, by=by, now=ctx.clock())))


@router.get("/inherited-variables", summary="Variables a namespace inherits", response_model=dto.Variables)
def inherited_variables(ctx: Ctx, by: Acting, namespace: Namespace) -> dto.Variables:
    """The variables of the namespace's parents merged, the nearest parent winning (its own are not included)."""
    merged: dict[str, Any] = {}
    for parent in reversed(_call(lambda: service.inherited(ctx.files, namespace, by=by))):
        merged.update(parent.variables)
    return dto.Variables(merged)


@router.get("/inherited-plugindefaults", summary="Plugin defaults a namespace inherits",
            response_model=list[PluginDefaultDto])
def inherited_plugin_defaults(ctx: Ctx, by: Acting, namespace: Namespace) -> list[PluginDefaultDto]:
    """The plugin defaults of the namespace's parents, the nearest parent's first."""
    parents = _call(lambda: service.inherited(ctx.files, namespace, by=by))
    return [PluginDefaultDto.model_validate(d) for p in parents for d in p.plugin_defaults]


def _call(action: Callable[[], T]) -> T:
    """`action()`, its refusal of bad settings as a 422."""
    try:
        return action()
    except service.InvalidNamespaceSettings as exc:
        raise ApiError(422, str(exc)) from None
