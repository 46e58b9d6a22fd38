"""Access management: users, service accounts and their API tokens, groups, roles and bindings (Kestra EE's
paths), and one's own password and tokens under /api/v1/me. Each route calls a service with the acting
principal; the services check the permission again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from starlette.concurrency import run_in_threadpool

from legato.api import dto, iam_dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.identity.records import Account, AccountKind, ApiToken, Binding, Group
from legato.model.durations import parse_duration
from legato.services import access, identity
from legato.services.access import RoleView
from legato.services.errors import ConflictError
from legato.services.identity import IssuedToken

tenant_router = APIRouter(prefix="/api/v1/{tenant}", tags=["Access"], dependencies=[Depends(check_tenant)],
                          responses=dto.ERRORS)
me_router = APIRouter(prefix="/api/v1/me", tags=["Access"], responses=dto.ERRORS)

Id = Annotated[str, Path(description="The id (or name) of the user or service account.", max_length=255)]
ObjectId = Annotated[str, Path(description="The id.", max_length=64)]
TokenId = Annotated[str, Path(description="The token id.", max_length=32)]


def routers() -> list[APIRouter]:
    return [me_router, tenant_router]


def _account(a: Account, now: datetime) -> iam_dto.AccountDto:
    return iam_dto.AccountDto(id=a.id, username=a.name, display_name=a.display_name, description=a.description,
                              type=a.kind, owner=a.owner, disabled=a.disabled,
                              locked=a.locked_until is not None and a.locked_until > now, created=a.created)


def _token(t: ApiToken, now: datetime) -> iam_dto.TokenDto:
    return iam_dto.TokenDto(token_id=t.id, name=t.name, description=t.description, token_prefix=t.prefix,
                            iat=t.created, exp=t.expires_at, last_used=t.last_used, revoked=t.revoked_at is not None,
                            expired=t.expires_at is not None and t.expires_at <= now)


def _issued(issued: IssuedToken, now: datetime) -> iam_dto.IssuedTokenDto:
    return iam_dto.IssuedTokenDto(**_token(issued.token, now).model_dump(), full_token=issued.text)


def _group(g: Group, members: list[str] | None = None) -> iam_dto.GroupDto:
    return iam_dto.GroupDto(id=g.id, name=g.name, description=g.description, members=members)


def _role(r: RoleView) -> iam_dto.RoleDto:
    return iam_dto.RoleDto(id=r.id, name=r.name, description=r.description, permissions=list(r.permissions),
                           managed=r.managed)


def _binding(b: Binding) -> iam_dto.BindingDto:
    return iam_dto.BindingDto(id=b.id, role_id=b.role_id, type=b.subject_type, external_id=b.subject_id,
                              namespace=b.namespace, created=b.created)


def _max_age(text: str | None) -> Any:
    try:
        return parse_duration(text) if text else None
    except ValueError as exc:
        raise bad_request(f"maxAge: {exc}") from None


async def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a service function off the event loop (argon2 and the store block); its ValueError is a 400."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except ConflictError:
        raise  # a ValueError too, but a 409
    except ValueError as exc:
        raise bad_request(str(exc)) from None


# one's own account -------------------------------------------------------------------------------------------
def _self_id(by: Any) -> str:
    if by.id is None:
        raise bad_request(f"the {by.kind} caller has no account; sign in as a user")
    return str(by.id)


@me_router.put("/password", summary="Change one's own password", status_code=204)
async def change_own_password(ctx: Ctx, by: Acting, body: iam_dto.PasswordChange) -> Response:
    """Needs the current password; ends every session of the user."""
    await _call(identity.set_password, ctx.store, _self_id(by), body.password, by=by, now=ctx.clock(),
                current=body.currentPassword or "")
    return Response(status_code=204)


@me_router.get("/api-tokens", summary="List one's own API tokens", response_model=list[iam_dto.TokenDto])
async def own_tokens(ctx: Ctx, by: Acting) -> list[iam_dto.TokenDto]:
    """Tokens of the calling account (never their secrets), newest first; revoked and expired ones included."""
    now = ctx.clock()
    return [_token(t, now) for t in await _call(identity.list_tokens, ctx.store, _self_id(by), by=by)]


@me_router.post("/api-tokens", summary="Create an API token for oneself", response_model=iam_dto.IssuedTokenDto)
async def create_own_token(ctx: Ctx, by: Acting, body: iam_dto.TokenCreate) -> iam_dto.IssuedTokenDto:
    """The answer holds the token once (`fullToken`); only its hash is kept."""
    now = ctx.clock()
    issued = await _call(identity.create_token, ctx.store, _self_id(by), body.name, by=by, now=now,
                         max_age=_max_age(body.maxAge), description=body.description)
    return _issued(issued, now)


@me_router.delete("/api-tokens/{tokenId}", summary="Revoke one's own API token", status_code=204)
async def revoke_own_token(ctx: Ctx, by: Acting, tokenId: TokenId) -> Response:
    """The token stops working at once."""
    await _call(identity.revoke_token, ctx.store, _self_id(by), tokenId, by=by, now=ctx.clock())
    return Response(status_code=204)


# users and service accounts ----------------------------------------------------------------------------------
@tenant_router.get("/users", summary="List users", response_model=list[iam_dto.AccountDto])
async def list_users(ctx: Ctx, by: Acting) -> list[iam_dto.AccountDto]:
    """Every user by name (needs USER:LIST on the instance)."""
    now = ctx.clock()
    return [_account(a, now) for a in await _call(identity.list_accounts, ctx.store, "USER", by=by)]


@tenant_router.post("/users", summary="Create a user", response_model=iam_dto.AccountDto)
async def create_user(ctx: Ctx, by: Acting, body: iam_dto.UserCreate) -> iam_dto.AccountDto:
    """Without a password the user signs in with API tokens only, until one is set."""
    now = ctx.clock()
    account = await _call(identity.create_account, ctx.store, "USER", body.username, password=body.password,
                          display_name=body.displayName, owner=body.owner, by=by, now=now)
    return _account(account, now)


def _kind_routes(kind: AccountKind, base: str) -> None:
    """GET/PUT/DELETE of one account and its tokens, for users and service accounts alike."""
    label = "user" if kind == "USER" else "service account"
    tag = "User" if kind == "USER" else "ServiceAccount"

    @tenant_router.get(f"{base}/{{id}}", summary=f"Get a {label}", response_model=iam_dto.AccountDto,
                       description=f"The {label} by id or name.", operation_id=f"get{tag}")
    async def get_one(ctx: Ctx, by: Acting, id: Id) -> iam_dto.AccountDto:
        return _account(await _call(identity.get_account, ctx.store, kind, id, by=by), ctx.clock())

    @tenant_router.put(f"{base}/{{id}}", summary=f"Disable or enable a {label}", response_model=iam_dto.AccountDto,
                       description="A disabled account's sessions end and its tokens stop working.",
                       operation_id=f"update{tag}")
    async def update_one(ctx: Ctx, by: Acting, id: Id, body: iam_dto.AccountUpdate) -> iam_dto.AccountDto:
        now = ctx.clock()
        changed = await _call(identity.set_disabled, ctx.store, kind, id, body.disabled, by=by, now=now)
        if kind == "USER" and not body.disabled:  # enabled again: a lockout ends too
            changed = await _call(identity.unlock, ctx.store, changed.id, by=by)
        return _account(changed, now)

    @tenant_router.delete(f"{base}/{{id}}", summary=f"Delete a {label}", status_code=204,
                          description="With its memberships, bindings, tokens and sessions.",
                          operation_id=f"delete{tag}")
    async def delete_one(ctx: Ctx, by: Acting, id: Id) -> Response:
        await _call(identity.delete_account, ctx.store, kind, id, by=by)
        return Response(status_code=204)

    @tenant_router.get(f"{base}/{{id}}/api-tokens", summary=f"List the API tokens of a {label}",
                       response_model=list[iam_dto.TokenDto], description="Never their secrets; revoked and expired ones included.",
                       operation_id=f"list{tag}Tokens")
    async def list_tokens(ctx: Ctx, by: Acting, id: Id) -> list[iam_dto.TokenDto]:
        account = await _call(identity.get_account, ctx.store, kind, id, by=by)
        now = ctx.clock()
        return [_token(t, now) for t in await _call(identity.list_tokens, ctx.store, account.id, by=by)]

    @tenant_router.post(f"{base}/{{id}}/api-tokens", summary=f"Create an API token for a {label}",
                        response_model=iam_dto.IssuedTokenDto, description="The answer holds the token once (`fullToken`); only its hash is kept.",
                        operation_id=f"create{tag}Token")
    async def create_token(ctx: Ctx, by: Acting, id: Id, body: iam_dto.TokenCreate) -> iam_dto.IssuedTokenDto:
        account = await _call(identity.get_account, ctx.store, kind, id, by=by)
        now = ctx.clock()
        issued = await _call(identity.create_token, ctx.store, account.id, body.name, by=by, now=now,
                             max_age=_max_age(body.maxAge), description=body.description)
        return _issued(issued, now)

    @tenant_router.delete(f"{base}/{{id}}/api-tokens/{{tokenId}}", summary=f"Revoke an API token of a {label}",
                          status_code=204, description="The token stops working at once.",
                          operation_id=f"revoke{tag}Token")
    async def revoke_token(ctx: Ctx, by: Acting, id: Id, tokenId: TokenId) -> Response:
        account = await _call(identity.get_account, ctx.store, kind, id, by=by)
        await _call(identity.revoke_token, ctx.store, account.id, tokenId, by=by, now=ctx.clock())
        return Response(status_code=204)


_kind_routes("USER", "/users")


@tenant_router.put("/users/{id}/password", summary="Set a user's password", status_code=204)
async def set_password(ctx: Ctx, by: Acting, id: Id, body: iam_dto.PasswordChange) -> Response:
    """Ends the user's sessions and clears a lockout."""
    account = await _call(identity.get_account, ctx.store, "USER", id, by=by)
    await _call(identity.set_password, ctx.store, account.id, body.password, by=by, now=ctx.clock(),
                current=body.currentPassword)
    return Response(status_code=204)


@tenant_router.get("/service-accounts", summary="List service accounts", response_model=list[iam_dto.AccountDto])
async def list_service_accounts(ctx: Ctx, by: Acting) -> list[iam_dto.AccountDto]:
    """Every service account by name."""
    now = ctx.clock()
    return [_account(a, now) for a in await _call(identity.list_accounts, ctx.store, "SERVICE_ACCOUNT", by=by)]


@tenant_router.post("/service-accounts", summary="Create a service account", response_model=iam_dto.AccountDto)
async def create_service_account(ctx: Ctx, by: Acting, body: iam_dto.ServiceAccountCreate) -> iam_dto.AccountDto:
    """An account for an application: it authenticates with API tokens only."""
    now = ctx.clock()
    account = await _call(identity.create_account, ctx.store, "SERVICE_ACCOUNT", body.name,
                          description=body.description, by=by, now=now)
    return _account(account, now)


_kind_routes("SERVICE_ACCOUNT", "/service-accounts")


# groups ------------------------------------------------------------------------------------------------------
@tenant_router.get("/groups", summary="List groups", response_model=list[iam_dto.GroupDto])
async def list_groups(ctx: Ctx, by: Acting) -> list[iam_dto.GroupDto]:
    """Every group by name."""
    return [_group(g) for g in await _call(access.list_groups, ctx.store, by=by)]


@tenant_router.post("/groups", summary="Create a group", response_model=iam_dto.GroupDto)
async def create_group(ctx: Ctx, by: Acting, body: iam_dto.GroupCreate) -> iam_dto.GroupDto:
    """Bind roles to the group to give them to all of its members."""
    return _group(await _call(access.create_group, ctx.store, body.name, body.description, by=by, now=ctx.clock()))


@tenant_router.get("/groups/{id}", summary="Get a group with its members", response_model=iam_dto.GroupDto)
async def get_group(ctx: Ctx, by: Acting, id: ObjectId) -> iam_dto.GroupDto:
    """The group with its members' account ids."""
    group, members = await _call(access.get_group, ctx.store, id, by=by)
    return _group(group, members)


@tenant_router.delete("/groups/{id}", summary="Delete a group", status_code=204)
async def delete_group(ctx: Ctx, by: Acting, id: ObjectId) -> Response:
    """Its bindings go with it; its members stay."""
    await _call(access.delete_group, ctx.store, id, by=by)
    return Response(status_code=204)


@tenant_router.put("/groups/{id}/members/{accountId}", summary="Add a member to a group", status_code=204)
async def add_member(ctx: Ctx, by: Acting, id: ObjectId, accountId: ObjectId) -> Response:
    """A user or service account joins the group (again: no change)."""
    await _call(access.set_member, ctx.store, id, accountId, True, by=by)
    return Response(status_code=204)


@tenant_router.delete("/groups/{id}/members/{accountId}", summary="Remove a member from a group", status_code=204)
async def remove_member(ctx: Ctx, by: Acting, id: ObjectId, accountId: ObjectId) -> Response:
    """The account leaves the group."""
    await _call(access.set_member, ctx.store, id, accountId, False, by=by)
    return Response(status_code=204)


# roles -------------------------------------------------------------------------------------------------------
@tenant_router.get("/roles", summary="List roles (managed and custom)", response_model=list[iam_dto.RoleDto])
async def list_roles(ctx: Ctx, by: Acting) -> list[iam_dto.RoleDto]:
    """The five managed roles (Admin, Developer, Editor, Launcher, Viewer) then the custom ones."""
    return [_role(r) for r in await _call(access.list_roles, ctx.store, by=by)]


@tenant_router.post("/roles", summary="Create a custom role", response_model=iam_dto.RoleDto)
async def create_role(ctx: Ctx, by: Acting, body: iam_dto.RoleBody) -> iam_dto.RoleDto:
    """Permissions are RESOURCE:ACTION; an unknown one is a 400 naming it."""
    return _role(await _call(access.create_role, ctx.store, body.name, body.permissions, body.description, by=by,
                             now=ctx.clock()))


@tenant_router.get("/roles/{id}", summary="Get a role", response_model=iam_dto.RoleDto)
async def get_role(ctx: Ctx, by: Acting, id: ObjectId) -> iam_dto.RoleDto:
    """A managed or custom role with its permissions."""
    return _role(await _call(access.get_role, ctx.store, id, by=by))


@tenant_router.put("/roles/{id}", summary="Update a custom role", response_model=iam_dto.RoleDto)
async def update_role(ctx: Ctx, by: Acting, id: ObjectId, body: iam_dto.RoleBody) -> iam_dto.RoleDto:
    """Replaces the name, description and permissions; managed roles cannot change."""
    return _role(await _call(access.update_role, ctx.store, id, body.name, body.permissions, body.description,
                             by=by, now=ctx.clock()))


@tenant_router.delete("/roles/{id}", summary="Delete a custom role", status_code=204)
async def delete_role(ctx: Ctx, by: Acting, id: ObjectId) -> Response:
    """Its bindings go with it; managed roles cannot be deleted."""
    await _call(access.delete_role, ctx.store, id, by=by)
    return Response(status_code=204)


# bindings ----------------------------------------------------------------------------------------------------
@tenant_router.get("/bindings", summary="List bindings", response_model=list[iam_dto.BindingDto])
async def list_bindings(ctx: Ctx, by: Acting) -> list[iam_dto.BindingDto]:
    """Every binding of the tenant, oldest first."""
    return [_binding(b) for b in await _call(access.list_bindings, ctx.store, by=by, tenant=by.tenant)]


@tenant_router.post("/bindings", summary="Bind a role to a user, group or service account",
                    response_model=iam_dto.BindingDto)
async def create_binding(ctx: Ctx, by: Acting, body: iam_dto.BindingCreate) -> iam_dto.BindingDto:
    """In the tenant of the path: on the whole tenant (no namespace) or on a namespace and its children (`dev`
    covers `dev.team`, not `development`). It gives nothing in other tenants."""
    return _binding(await _call(access.create_binding, ctx.store, body.roleId, body.type, body.externalId,
                                body.namespace, by=by, now=ctx.clock(), tenant=by.tenant))


@tenant_router.delete("/bindings/{id}", summary="Delete a binding", status_code=204)
async def delete_binding(ctx: Ctx, by: Acting, id: ObjectId) -> Response:
    """The subject loses what the binding gave it."""
    await _call(access.delete_binding, ctx.store, id, by=by, tenant=by.tenant)
    return Response(status_code=204)
