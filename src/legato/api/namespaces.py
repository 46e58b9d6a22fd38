"""A namespace's own settings, on Kestra EE's paths: its description, variables and plugin defaults (read and
replaced as a whole), and what it inherits of them from its parent namespaces; and the namespaces a user may see,
as a hierarchy with what each holds (`/namespaces/search`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import Field

from legato.api import dto, namespace_files
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError
from legato.api.params import Page, paging
from legato.identity.permissions import Action, Resource
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import namespace_settings as service
from legato.services.errors import ForbiddenError
from legato.services.principal import Principal, search_scope, visible
from legato.store.ports import ExecutionFilter

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}", tags=["Namespaces"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)
# `/namespaces/search` before `/namespaces/{namespace}`, which would read "search" as a namespace
listing = APIRouter(prefix="/api/v1/{tenant}/namespaces", tags=["Namespaces"],
                    dependencies=[Depends(check_tenant)], responses=dto.ERRORS)

T = TypeVar("T")
Namespace = Annotated[str, Path(description="The namespace.", pattern=NAMESPACE_PATTERN, max_length=150)]


def routers() -> list[APIRouter]:
    return [listing, router]


class NamespaceSummary(dto.Wire):
    """A namespace of the hierarchy and what it holds itself (its children's are counted on their own rows)."""

    id: str = Field(description="The namespace.")
    parent: str | None = Field(description="The namespace it is in, or null at the top.")
    flows: int = Field(description="Live flows of the namespace (those the caller may list).")
    executions: int = Field(description="Executions of its flows (those the caller may list).")
    kv: int = Field(description="Live KV entries (0 when the caller may not list them).")
    files: int = Field(description="Namespace files, folders not counted (0 when the caller may not read them).")


@listing.get("/search", summary="Namespaces as a hierarchy with their counts",
             response_model=dto.Paged[NamespaceSummary])
def search_namespaces(
    ctx: Ctx, by: Acting, page: Annotated[Page, Depends(paging)],
    q: Annotated[str | None, Query(max_length=150, description="Text the namespace contains.")] = None,
) -> dto.Paged[NamespaceSummary]:
    """Every namespace holding flows or executions the caller may list, with each of its parents (a.b.c brings
    a and a.b), a parent right before its children, paged (Kestra's shape: `results` with an `id` each, `total`);
    each with its own counts of flows, executions, KV entries and namespace files."""
    flows: dict[str, int] = {}
    for record in ctx.store.list_flows(tenant=by.tenant):
        if visible(by, Resource.FLOW, Action.LIST, record.namespace):
            flows[record.namespace] = flows.get(record.namespace, 0) + 1
    executions = _execution_counts(ctx, by)
    names = sorted({parent for ns in (*flows, *executions) for parent in _with_parents(ns)}, key=lambda n: n.split("."))
    found = [n for n in names if not q or q.lower() in n.lower()]
    now = ctx.clock()
    return dto.Paged[NamespaceSummary](total=len(found), results=[
        NamespaceSummary(id=ns, parent=ns.rpartition(".")[0] or None, flows=flows.get(ns, 0),
                         executions=executions.get(ns, 0), kv=_kv_count(ctx, by, ns, now), files=_file_count(ctx, by, ns))
        for ns in page.slice(found)])


def _with_parents(namespace: str) -> list[str]:
    parts = namespace.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def _execution_counts(ctx: ApiContext, by: Principal) -> dict[str, int]:
    try:
        _, within = search_scope(by, Resource.EXECUTION, Action.LIST, None)
    except ForbiddenError:  # may list executions nowhere
        return {}
    counts = ctx.store.count_executions(ExecutionFilter(within=within, tenant=by.tenant), by=["namespace"])
    return {c.key[0]: c.count for c in counts}


def _kv_count(ctx: ApiContext, by: Principal, namespace: str, now: datetime) -> int:
    if not visible(by, Resource.KVSTORE, Action.LIST, namespace):
        return 0
    return len(ctx.store.kv_list(namespace, now, tenant=by.tenant))


def _file_count(ctx: ApiContext, by: Principal, namespace: str) -> int:
    if not visible(by, Resource.NAMESPACE, Action.ACCESS_FILES, namespace):
        return 0
    try:
        root = namespace_files.root_of(ctx, by.tenant, namespace).resolve()
    except ApiError:  # a storage backend without folders: no count to give
        return 0
    if not root.is_dir():
        return 0
    return sum(1 for p in root.rglob("*") if p.is_file() and namespace_files.shown(p, root))


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
