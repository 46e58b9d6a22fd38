"""The key-value store of a namespace: list, get, put (typed, with a TTL), delete."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from legato.api import dto, errors
from legato.api.context import Acting, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request, not_found
from legato.model.durations import parse_duration
from legato.model.flow import NAMESPACE_PATTERN
from legato.plugins.context import TaskFailed
from legato.plugins.core import kv_values
from legato.services import kv as kv_service
from legato.store.ports import KVEntry

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}/kv", tags=["KV"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)

KEY_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$"
MAX_VALUE = 1024 * 1024
Namespace = Annotated[str, Path(description="The namespace.", pattern=NAMESPACE_PATTERN, max_length=150)]
Key = Annotated[str, Path(description="The key.", pattern=KEY_PATTERN, max_length=255)]
KVType = Literal["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"]
VALUE_BODY = {"requestBody": {"required": True, "description": "The value: JSON (a quoted string, number, boolean, "
              "object or array), or plain text taken as a date-time, a date or else a string.",
              "content": {"application/json": {"schema": {}}, "text/plain": {"schema": {"type": "string"}}}}}


def routers() -> list[APIRouter]:
    return [router]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _entry(entry: KVEntry) -> dto.KVEntryDto:
    return dto.KVEntryDto(key=entry.key, type=entry.type, update_date=entry.updated.isoformat(),
                          expiration_date=_iso(entry.expires_at))


@router.get("", summary="List the keys of a namespace", response_model=list[dto.KVEntryDto])
def list_keys(ctx: Ctx, by: Acting, namespace: Namespace,
              prefix: Annotated[str | None, Query(max_length=255, description="Only keys starting with this.")] = None,
              ) -> list[dto.KVEntryDto]:
    """Live (not expired) keys with their type and dates, by key."""
    return [_entry(e) for e in ctx.store.kv_list(namespace, ctx.clock(), prefix, tenant=by.tenant)]


@router.delete("", summary="Delete several keys", response_model=dto.KVDeleted)
def delete_keys(ctx: Ctx, by: Acting, namespace: Namespace, request: dto.KVDeleteRequest) -> dto.KVDeleted:
    """Delete the given keys; answers with the keys that existed and were deleted."""
    return dto.KVDeleted(keys=kv_service.delete_many(ctx.store, namespace, request.keys, by=by, now=ctx.clock()))


@router.get("/{key}", summary="Get the value of a key", response_model=dto.TypedValue)
def get_value(ctx: Ctx, by: Acting, namespace: Namespace, key: Key) -> dto.TypedValue:
    """The value and its type; 404 when the key does not exist or has expired."""
    entry = kv_service.find(ctx.store, namespace, key, tenant=by.tenant, now=ctx.clock())
    return dto.TypedValue(type=entry.type, value=entry.value)


@router.put("/{key}", summary="Set the value of a key", status_code=204, response_class=Response,
            openapi_extra=VALUE_BODY)
async def put_value(
    ctx: Ctx, by: Acting, request: Request, namespace: Namespace, key: Key,
    ttl: Annotated[str | None, Header(max_length=64, description="ISO-8601 duration after which the key expires.")] = None,
    type: Annotated[KVType | None, Query(description="Parse the body as this type instead of guessing it.")] = None,
) -> Response:
    """Create or replace a key. Without `type`, JSON bodies keep their JSON type and other text becomes a
    DATETIME, DATE or STRING by its form; with `type`, the text must be of that type (400 otherwise)."""
    text = await _text(request)
    kv_type, value = _typed(text, type)
    expires = None
    if ttl is not None:
        try:
            span = parse_duration(ttl)
        except ValueError as exc:
            raise bad_request(f"ttl: {exc}") from None
        if span.total_seconds() <= 0:
            raise bad_request("ttl must be a positive duration")
        expires = ctx.clock() + span
    kv_service.put(ctx.store, namespace, key, value, type=kv_type, expires_at=expires, by=by, now=ctx.clock())
    return Response(status_code=204)


@router.delete("/{key}", summary="Delete a key", status_code=204, response_class=Response)
def delete_value(ctx: Ctx, by: Acting, namespace: Namespace, key: Key) -> Response:
    """Delete a key; 404 when there was none."""
    if not kv_service.delete(ctx.store, namespace, key, by=by, now=ctx.clock()):
        raise not_found(f"no key '{key}' in namespace '{namespace}'")
    return Response(status_code=204)


async def _text(request: Request) -> str:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_VALUE:
            raise ApiError(413, "a KV value may hold at most 1 MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("the value is not UTF-8 text") from None
    if "\x00" in text or "\\u0000" in text:
        raise bad_request("a KV value cannot contain NUL characters")
    if not text.strip():
        raise bad_request("the value is empty")
    return text


_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def _typed(text: str, kv_type: KVType | None) -> tuple[str, Any]:
    try:
        if kv_type is not None:
            if kv_type == "STRING":
                return kv_type, _unquoted(text)
            return kv_values.to_stored(text, kv_type)
        return kv_values.to_stored(_guess(text.strip()), None)
    except TaskFailed as exc:
        raise bad_request(str(exc).replace("property 'value'", "value")) from None


def _unquoted(text: str) -> str:
    try:
        value = errors.parse_json(text, "the value")
    except ValueError:
        return text
    return value if isinstance(value, str) else text


def _guess(text: str) -> Any:
    try:
        return errors.parse_json(text, "the value")
    except ValueError:
        pass
    if _DATETIME.match(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return text
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text
