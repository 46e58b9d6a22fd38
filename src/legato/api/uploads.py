"""One file sent as a part of a multipart/form-data body: its declaration in the OpenAPI document and its
reading, bounded in size, with 4xx answers for what is wrong with the request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from legato.api.errors import ApiError, bad_request


def upload_body(part: str) -> dict[str, Any]:
    """`openapi_extra` of a route that takes one file in the multipart part `part`."""
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {part: {"type": "string", "format": "binary"}}, "required": [part]}}}}}


async def read_part(request: Request, part: str, limit: int, what: str) -> tuple[str, bytes]:
    """The file name and the content of the multipart part `part` (at most `limit` bytes: 413 beyond, naming
    `what`); 415 when the body is not multipart/form-data, 400 when it is malformed or has no such part."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        raise ApiError(415, f"send the file as multipart/form-data with a part named {part}")
    try:
        form = await request.form(max_files=1, max_fields=10)
    except Exception as exc:  # the multipart parser raises several types for a malformed body
        raise bad_request(f"malformed form body: {getattr(exc, 'detail', exc)}") from None
    try:
        found = form.get(part)
        if isinstance(found, UploadFile):
            name, data = found.filename or part, await found.read(limit + 1)
        elif isinstance(found, str):
            name, data = part, found.encode()
        else:
            raise bad_request(f"the form has no part named {part}")
    finally:
        await form.close()
    if len(data) > limit:
        raise ApiError(413, f"{what} are limited to {limit // (1024 * 1024)} MiB")
    return name, data
