"""Query parameters shared by several routes (paging, sorting, labels) and reading YAML request bodies."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request

from legato.api import dto
from legato.api.errors import ApiError, bad_request

T = TypeVar("T")
MAX_BODY = 5 * 1024 * 1024  # a flow source or a namespace's flows; larger is surely a mistake
YAML_TYPES = ("application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml", "text/plain")
YAML_BODY = {"requestBody": {"required": True, "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES[:2]}}}


PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")]


@dataclass(frozen=True)
class Page:
    page: int
    size: int
    sort: str | None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def slice(self, items: Sequence[T]) -> list[T]:
        start = (self.page - 1) * self.size
        return list(items[start:start + self.size])


def paging(
    page: PageNumber = 1,
    size: Annotated[int, Query(ge=1, le=1000, description="Items per page.")] = 10,
    sort: Annotated[str | None, Query(max_length=100, description="`field:asc` or `field:desc`.")] = None,
) -> Page:
    return Page(page=page, size=size, sort=sort)


def sort_items(items: list[T], sort: str | None, keys: dict[str, Callable[[T], Any]], default: str) -> list[T]:
    """`items` ordered by `sort` (`field:asc|desc`), one of `keys`; 400 for an unknown field."""
    field, _, direction = (sort or default).partition(":")
    if field not in keys:
        raise bad_request(f"cannot sort by '{field}'; use one of {', '.join(sorted(keys))}")
    if direction not in ("", "asc", "desc"):
        raise bad_request(f"sort direction must be asc or desc, not '{direction}'")
    key = keys[field]
    present = [i for i in items if key(i) is not None]
    absent = [i for i in items if key(i) is None]
    return sorted(present, key=key, reverse=direction == "desc") + absent


def parse_sort(sort: str | None, fields: dict[str, str], default: str) -> tuple[str, bool]:
    """(store field, descending) from `field:asc|desc`, one of `fields` (API name -> store name); 400 otherwise."""
    field, _, direction = (sort or default).partition(":")
    if field not in fields:
        raise bad_request(f"cannot sort by '{field}'; use one of {', '.join(sorted(fields))}")
    if direction not in ("", "asc", "desc"):
        raise bad_request(f"sort direction must be asc or desc, not '{direction}'")
    return fields[field], direction == "desc"


def utc(value: datetime | None) -> datetime | None:
    """`value` in UTC; a date-time given without a zone is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_labels(values: Sequence[str] | None) -> dict[str, str]:
    """['env:prod', 'team:data'] -> {'env': 'prod', 'team': 'data'}; 400 on an item without 'key:value'."""
    out: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise bad_request(f"label '{item}' must be written key:value",
                              [dto.ErrorDetail(path="labels", message="expected key:value")])
        out[key] = value
    return out


LabelsQuery = Annotated[list[str] | None, Query(description="Labels as `key:value`, repeatable.", max_length=50)]


async def yaml_body(request: Request) -> str:
    """The request body as YAML text: 415 for another content type, 413 when too large, 400 if not UTF-8."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and kind not in YAML_TYPES:
        raise ApiError(415, f"send the flow as YAML (Content-Type application/x-yaml), not {kind}")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise ApiError(413, f"the body is larger than {MAX_BODY // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad_request(f"the body is not UTF-8 text (byte {exc.start})") from None
