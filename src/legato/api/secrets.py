"""Namespace secrets, on Kestra's paths: list (keys, descriptions, tags, dates; never values), set, change
the description and tags, delete, and the keys a namespace inherits from its parents. No route returns a
value once written."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field

from legato.api import dto
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import bad_request
from legato.api.params import PageNumber
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import secrets as secret_service
from legato.store.secret_backends import SecretInfo

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}", tags=["Secrets"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The namespace.", pattern=NAMESPACE_PATTERN, max_length=255)]
Key = Annotated[str, Path(description="The secret's key.", pattern=secret_service.KEY_PATTERN, max_length=255)]


def routers() -> list[APIRouter]:
    return [router]


class SecretTag(dto.Wire):
    key: str = Field(min_length=1, max_length=255)
    value: str = Field(max_length=1024)


class SecretWrite(BaseModel):
    """A secret to create or replace (Kestra's body: key, value, description, tags)."""

    key: str = Field(pattern=secret_service.KEY_PATTERN, max_length=255, description="The secret's key.")
    value: str = Field(min_length=1, max_length=secret_service.MAX_VALUE, description="The value; never returned.")
    description: str | None = Field(default=None, max_length=4096)
    tags: list[SecretTag] = Field(default_factory=list, max_length=secret_service.MAX_TAGS)


class SecretPatch(BaseModel):
    """The description and/or tags of an existing secret (its value stays)."""

    description: str | None = Field(default=None, max_length=4096)
    tags: list[SecretTag] | None = Field(default=None, max_length=secret_service.MAX_TAGS)


class SecretMeta(dto.Wire):
    key: str
    namespace: str
    description: str | None = None
    tags: list[SecretTag] = Field(default_factory=list)
    update_date: datetime | None = None
    updated_by: str | None = None


class SecretList(dto.Wire):
    read_only: bool = Field(description="Whether secrets of this namespace can be changed here.")
    results: list[SecretMeta]
    total: int


def _meta(info: SecretInfo) -> SecretMeta:
    return SecretMeta(key=info.key, namespace=info.namespace, description=info.description,
                      tags=[SecretTag(key=k, value=v) for k, v in sorted(info.tags.items())],
                      update_date=info.updated, updated_by=info.updated_by)


def _tags(tags: list[SecretTag] | None) -> dict[str, str] | None:
    if tags is None:
        return None
    out = {t.key: t.value for t in tags}
    if len(out) != len(tags):
        raise bad_request("tags: each key may appear once")
    return out


@router.get("/secrets", summary="List the secrets of a namespace", response_model=SecretList)
def list_secrets(ctx: Ctx, by: Acting, namespace: Namespace,
                 page: PageNumber = 1,
                 size: Annotated[int, Query(ge=1, le=1000, description="Secrets per page.")] = 100,
                 q: Annotated[str | None, Query(max_length=255, description="Only keys containing this.")] = None,
                 ) -> SecretList:
    """Keys, descriptions, tags and update dates of the namespace's own secrets; never values."""
    found = secret_service.list_secrets(ctx.store, namespace, by=by)
    if q:
        found = [s for s in found if q.lower() in s.key.lower()]
    start = (page - 1) * size
    return SecretList(read_only=False, results=[_meta(s) for s in found[start:start + size]], total=len(found))


@router.put("/secrets", summary="Create or replace a secret", response_model=SecretMeta)
def put_secret(ctx: Ctx, by: Acting, namespace: Namespace, body: SecretWrite) -> SecretMeta:
    """Stores the value (encrypted at rest); answers with the secret without its value."""
    info = secret_service.set_secret(ctx.store, namespace, body.key, body.value, by=by, now=ctx.clock(),
                                     description=body.description, tags=_tags(body.tags))
    return _meta(info)


@router.patch("/secrets/{key}", summary="Change a secret's description or tags", response_model=SecretMeta)
def patch_secret(ctx: Ctx, by: Acting, namespace: Namespace, key: Key, body: SecretPatch) -> SecretMeta:
    """The value stays as it is; 404 when the namespace has no such secret."""
    info = secret_service.update_secret(ctx.store, namespace, key, by=by, now=ctx.clock(),
                                        description=body.description, tags=_tags(body.tags))
    return _meta(info)


@router.delete("/secrets/{key}", summary="Delete a secret", status_code=204, response_class=Response)
def delete_secret(ctx: Ctx, by: Acting, namespace: Namespace, key: Key) -> Response:
    """Deletes the namespace's own secret (a parent's secret of the same key becomes visible again)."""
    secret_service.delete_secret(ctx.store, namespace, key, by=by, now=ctx.clock())
    return Response(status_code=204)


@router.get("/inherited-secrets", summary="Keys a namespace inherits", response_model=dict[str, list[str]])
def inherited_secrets(ctx: Ctx, by: Acting, namespace: Namespace) -> dict[str, list[str]]:
    """By parent namespace (nearest first), the keys the namespace sees from it and does not override."""
    return secret_service.inherited(ctx.store, namespace, by=by)
