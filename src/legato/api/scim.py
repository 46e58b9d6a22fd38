"""The SCIM 2.0 endpoint of each integration, `/api/v1/{tenant}/integrations/{integrationId}/scim/v2`: discovery
(`/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas`), `/Users` and `/Groups`. A separate application mounted
in the API: its bodies are SCIM's (`application/scim+json`, errors with `urn:...:Error`), and its protocol is
described by its own discovery documents rather than by the OpenAPI document.

Every request must come with the integration's bearer token (authenticated by the API's middleware) while the
integration is enabled; the access table (access.RULES) then applies as to any route, and the provisioning
services check the permission again."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from legato.api import access
from legato.api.context import TENANT, ApiContext, context, principal
from legato.api.errors import ApiError
from legato.identity import scim as protocol
from legato.identity import scim_schema as resources
from legato.identity.records import Account, Group
from legato.identity.scim import ScimError
from legato.services import provisioning
from legato.services import scim as integrations
from legato.services.errors import AuthenticationError, ConflictError, ForbiddenError, NotFoundError

log = logging.getLogger("legato.api")


class ScimResponse(JSONResponse):
    media_type = protocol.MEDIA_TYPE


def scim_error(status: int, detail: str, scim_type: str | None = None,
               headers: dict[str, str] | None = None) -> ScimResponse:
    return ScimResponse(protocol.error_body(status, detail, scim_type), status_code=status, headers=headers)


def is_scim_path(path: str) -> bool:
    """Whether a request path is under a SCIM endpoint (its errors then take SCIM's shape)."""
    head, _, rest = path.partition("/integrations/")
    return head.startswith("/api/v1/") and "/scim/v2/" in f"/{rest}/"


async def _authorize(request: Request) -> None:
    """The tenant, the integration (its own token, enabled), then the access table's rule for the route."""
    if request.path_params.get("tenant") != TENANT:
        raise ScimError(404, f"tenant '{request.path_params.get('tenant')}' not found")
    ctx = context(request)
    await run_in_threadpool(integrations.acting_integration, ctx.store, str(request.path_params["integrationId"]),
                            principal(request))
    route = request.scope.get("route")
    await access.enforce(request, f"{access.SCIM_BASE}{getattr(route, 'path', '')}")


router = APIRouter()


def create_scim_app(ctx: ApiContext) -> FastAPI:
    """The SCIM application, to mount at access.SCIM_BASE."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, dependencies=[Depends(_authorize)])
    app.state.legato = ctx
    app.include_router(router)
    _install_errors(app)
    return app


def _install_errors(app: FastAPI) -> None:
    statuses: list[tuple[type[Exception], int, str | None]] = [
        (NotFoundError, 404, None), (ConflictError, 409, "uniqueness"), (ForbiddenError, 403, None),
        (AuthenticationError, 401, None), (ValueError, 400, "invalidValue"),
    ]
    for kind, status, scim_type in statuses:
        app.add_exception_handler(kind, _handler(status, scim_type))

    async def refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScimError)
        return scim_error(exc.status, exc.detail, exc.scim_type)

    async def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return scim_error(exc.status, exc.message)

    async def http_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return scim_error(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    async def request_invalid(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors())
        return scim_error(400, f"invalid request: {where}", "invalidValue")

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return scim_error(500, "internal server error")

    app.add_exception_handler(ScimError, refused)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, request_invalid)
    app.add_exception_handler(Exception, unexpected)


def _handler(status: int, scim_type: str | None) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, exc: Exception) -> Response:
        return scim_error(status, str(exc), scim_type)
    return handle


# helpers ---------------------------------------------------------------------------------------------------
def _base(request: Request) -> str:
    """The integration's SCIM base URL, as the client reached it."""
    path = request.url.path
    return f"{request.url.scheme}://{request.url.netloc}{path[:path.index('/scim/v2') + len('/scim/v2')]}"


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ScimError(400, "the body is not JSON", "invalidSyntax") from None


def _answer(resource: dict[str, Any], status: int = 200) -> ScimResponse:
    headers = {"ETag": resource["meta"]["version"]}
    if status == 201:
        headers["Location"] = resource["meta"]["location"]
    return ScimResponse(resource, status_code=status, headers=headers)


def _fresh(request: Request, resource: dict[str, Any]) -> Response:
    """The resource, or 304 when the client's `If-None-Match` names its current version."""
    if request.headers.get("if-none-match") == resource["meta"]["version"]:
        return Response(status_code=304, headers={"ETag": resource["meta"]["version"]})
    return _answer(resource)


async def _unchanged_since_read(request: Request, kind: str, resource_id: str) -> None:
    """412 when the client sent `If-Match` with a version that is no longer the resource's (RFC 7644 §3.14)."""
    wanted = request.headers.get("if-match")
    if wanted is None or wanted.strip() == "*":
        return
    store, by = context(request).store, principal(request)
    if kind == "User":
        current = resources.version((await _run(provisioning.get_user, store, resource_id, by=by)).updated)
    else:
        current = resources.version((await _run(provisioning.get_group, store, resource_id, by=by))[0].last_modified)
    if current not in {v.strip() for v in wanted.split(",")}:
        raise ScimError(412, f"the {kind.lower()} changed since version {wanted} (now {current}); read it again")


def _filter(text: str | None) -> protocol.Filter | None:
    return protocol.parse_filter(text) if text and text.strip() else None


def _page(items: list[dict[str, Any]], start_index: int | None, count: int | None) -> ScimResponse:
    start, size = protocol.page(start_index, count)
    return ScimResponse(resources.listing(items[start - 1:start - 1 + size], len(items), start))


async def _run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await run_in_threadpool(fn, *args, **kwargs)


Filter = Annotated[str | None, Query(description='SCIM filter: attribute eq "value" clauses joined by and.')]
StartIndex = Annotated[int | None, Query(alias="startIndex")]
Count = Annotated[int | None, Query()]
Excluded = Annotated[str | None, Query(alias="excludedAttributes")]
Attributes = Annotated[str | None, Query()]


# discovery -------------------------------------------------------------------------------------------------
@router.get("/ServiceProviderConfig")
async def service_provider_config(request: Request) -> ScimResponse:
    return ScimResponse(resources.service_provider_config(_base(request)))


@router.get("/ResourceTypes")
async def resource_types(request: Request) -> ScimResponse:
    found = resources.resource_types(_base(request))
    return ScimResponse(resources.listing(found, len(found), 1))


@router.get("/ResourceTypes/{id}")
async def resource_type(request: Request, id: str) -> ScimResponse:
    found = next((r for r in resources.resource_types(_base(request)) if r["id"] == id), None)
    if found is None:
        raise ScimError(404, f"resource type '{id}' not found")
    return ScimResponse(found)


@router.get("/Schemas")
async def schemas(request: Request) -> ScimResponse:
    found = resources.schemas(_base(request))
    return ScimResponse(resources.listing(found, len(found), 1))


@router.get("/Schemas/{id}")
async def schema(request: Request, id: str) -> ScimResponse:
    found = next((s for s in resources.schemas(_base(request)) if s["id"] == id), None)
    if found is None:
        raise ScimError(404, f"schema '{id}' not found")
    return ScimResponse(found)


@router.post("/.search")
async def search_everything() -> ScimResponse:
    """Searching every resource type at once (RFC 7644 §3.4.3's root `/.search`) is not offered: 501."""
    raise ScimError(501, "searching several resource types at once is not supported; use /Users/.search or "
                         "/Groups/.search")


# users -----------------------------------------------------------------------------------------------------
def _user_renderer(request: Request) -> Callable[[Account], dict[str, Any]]:
    base = _base(request)
    return lambda account: resources.user(account, base)


@router.get("/Users")
async def list_users(request: Request, filter: Filter = None, start_index: StartIndex = None, count: Count = None,
                     attributes: Attributes = None, excluded_attributes: Excluded = None) -> ScimResponse:
    return await _search_users(request, filter, start_index, count, attributes, excluded_attributes)


@router.post("/Users/.search")
async def search_users(request: Request) -> ScimResponse:
    """RFC 7644 §3.4.3: the query in the body."""
    return await _search_users(request, *_search_request(await _body(request)))


async def _search_users(request: Request, filter: str | None, start_index: int | None, count: int | None,
                        attributes: str | None, excluded: str | None) -> ScimResponse:
    ctx, render = context(request), _user_renderer(request)
    found = await _run(provisioning.find_users, ctx.store, _filter(filter), by=principal(request), render=render)
    return _page([_project(render(a), attributes, excluded) for a in found], start_index, count)


def _search_request(body: Any) -> tuple[str | None, int | None, int | None, str | None, str | None]:
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object (a SCIM SearchRequest)", "invalidSyntax")

    def listed(name: str) -> str | None:
        value = protocol.get(body, name)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise protocol.invalid(f"'{name}' must be a list of attribute names")
        return ",".join(value) if value else None

    def number(name: str) -> int | None:
        value = protocol.get(body, name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise protocol.invalid(f"'{name}' must be an integer")
        return value

    filter_text = protocol.get(body, "filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise protocol.invalid("'filter' must be a string")
    return filter_text, number("startIndex"), number("count"), listed("attributes"), listed("excludedAttributes")


@router.post("/Users")
async def create_user(request: Request) -> ScimResponse:
    ctx = context(request)
    wanted = protocol.read_user(await _body(request))
    account = await _run(provisioning.create_user, ctx.store, wanted, by=principal(request), now=ctx.clock())
    return _answer(resources.user(account, _base(request)), 201)


@router.get("/Users/{id}")
async def get_user(request: Request, id: str, attributes: Attributes = None,
                   excluded_attributes: Excluded = None) -> Response:
    account = await _run(provisioning.get_user, context(request).store, id, by=principal(request))
    return _fresh(request, _project(resources.user(account, _base(request)), attributes, excluded_attributes))


@router.put("/Users/{id}")
async def replace_user(request: Request, id: str) -> ScimResponse:
    await _unchanged_since_read(request, "User", id)
    ctx = context(request)
    wanted = protocol.read_user(await _body(request))
    account = await _run(provisioning.replace_user, ctx.store, id, wanted, by=principal(request), now=ctx.clock())
    return _answer(resources.user(account, _base(request)))


@router.patch("/Users/{id}")
async def patch_user(request: Request, id: str) -> ScimResponse:
    await _unchanged_since_read(request, "User", id)
    ctx = context(request)
    body = await _body(request)
    account = await _run(provisioning.patch_user, ctx.store, id, body, by=principal(request), now=ctx.clock(),
                         render=_user_renderer(request))
    return _answer(resources.user(account, _base(request)))


@router.delete("/Users/{id}", status_code=204)
async def delete_user(request: Request, id: str) -> Response:
    await _unchanged_since_read(request, "User", id)
    ctx = context(request)
    await _run(provisioning.delete_user, ctx.store, id, by=principal(request), now=ctx.clock())
    return Response(status_code=204)


# groups ----------------------------------------------------------------------------------------------------
def _group_of(request: Request) -> Callable[[Group], dict[str, Any]]:
    """A group's SCIM form with its members (read from the store: call off the event loop)."""
    ctx, base, by = context(request), _base(request), principal(request)

    def render(group: Group) -> dict[str, Any]:
        found, members = provisioning.get_group(ctx.store, group.id, by=by)
        return resources.group(found, members, base)
    return render


def _project(resource: dict[str, Any], attributes: str | None, excluded: str | None) -> dict[str, Any]:
    """RFC 7644 §3.4.2.5: only the `attributes` asked for, or all but the `excludedAttributes` (id, schemas and
    meta are always returned; a sub-attribute keeps its whole attribute)."""
    def names(text: str | None) -> set[str]:
        return {protocol.top_attribute(n) for n in (text or "").split(",") if n.strip()}
    always = {"id", "schemas", "meta"}
    if attributes and (wanted := names(attributes)):
        return {k: v for k, v in resource.items() if k in always or k.lower() in wanted}
    dropped = names(excluded)
    return {k: v for k, v in resource.items() if k in always or k.lower() not in dropped}


@router.get("/Groups")
async def list_groups(request: Request, filter: Filter = None, start_index: StartIndex = None, count: Count = None,
                      attributes: Attributes = None, excluded_attributes: Excluded = None) -> ScimResponse:
    return await _search_groups(request, filter, start_index, count, attributes, excluded_attributes)


@router.post("/Groups/.search")
async def search_groups(request: Request) -> ScimResponse:
    """RFC 7644 §3.4.3: the query in the body."""
    return await _search_groups(request, *_search_request(await _body(request)))


async def _search_groups(request: Request, filter: str | None, start_index: int | None, count: int | None,
                         attributes: str | None, excluded: str | None) -> ScimResponse:
    ctx, render = context(request), _group_of(request)

    def listed() -> list[dict[str, Any]]:
        found = provisioning.find_groups(ctx.store, _filter(filter), by=principal(request), render=render)
        return [_project(render(g), attributes, excluded) for g in found]
    return _page(await _run(listed), start_index, count)


@router.post("/Groups")
async def create_group(request: Request) -> ScimResponse:
    ctx = context(request)
    wanted = protocol.read_group(await _body(request))
    group = await _run(provisioning.create_group, ctx.store, wanted, by=principal(request), now=ctx.clock())
    return _answer(await _run(_group_of(request), group), 201)


@router.get("/Groups/{id}")
async def get_group(request: Request, id: str, attributes: Attributes = None,
                    excluded_attributes: Excluded = None) -> Response:
    ctx, by = context(request), principal(request)
    group, members = await _run(provisioning.get_group, ctx.store, id, by=by)
    return _fresh(request, _project(resources.group(group, members, _base(request)), attributes, excluded_attributes))


@router.put("/Groups/{id}")
async def replace_group(request: Request, id: str) -> ScimResponse:
    await _unchanged_since_read(request, "Group", id)
    ctx = context(request)
    wanted = protocol.read_group(await _body(request))
    group = await _run(provisioning.replace_group, ctx.store, id, wanted, by=principal(request), now=ctx.clock())
    return _answer(await _run(_group_of(request), group))


@router.patch("/Groups/{id}")
async def patch_group(request: Request, id: str) -> ScimResponse:
    await _unchanged_since_read(request, "Group", id)
    ctx, base = context(request), _base(request)
    body = await _body(request)
    group = await _run(provisioning.patch_group, ctx.store, id, body, by=principal(request), now=ctx.clock(),
                       render=lambda g, members: resources.group(g, members, base))
    return _answer(await _run(_group_of(request), group))


@router.delete("/Groups/{id}", status_code=204)
async def delete_group(request: Request, id: str) -> Response:
    await _unchanged_since_read(request, "Group", id)
    ctx = context(request)
    await _run(provisioning.delete_group, ctx.store, id, by=principal(request), now=ctx.clock())
    return Response(status_code=204)
