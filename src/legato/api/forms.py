"""Execution inputs from a request body: multipart/form-data (with files), url-encoded form, or a JSON object.

Uploaded files are spooled under `<data dir>/uploads/<random>/<sanitized name>` while the request is handled;
the action then puts them in internal storage (the FILE input's value is their `kestra:///` URI) and the spool
is discarded. The name is reduced to safe characters, so nothing a client sends can place a file elsewhere.
"""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from legato.api import errors
from legato.api.errors import ApiError, bad_request

MAX_FIELDS = 1000
MAX_FILES = 100
MAX_JSON = 5 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

INPUTS_BODY: dict[str, Any] = {"requestBody": {"required": False, "content": {
    "multipart/form-data": {"schema": {"type": "object", "additionalProperties": {
        "oneOf": [{"type": "string"}, {"type": "string", "format": "binary"}]}},
        "description": "One field per input; FILE inputs as file parts."},
    "application/json": {"schema": {"type": "object", "additionalProperties": True}},
}}}


def safe_name(filename: str | None) -> str:
    """The last path component of `filename` with only [A-Za-z0-9._-] kept and no leading dots."""
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip(".")
    return cleaned[:200] or "upload"


def _save(upload: UploadFile, uploads: Path) -> str:
    folder = uploads / secrets.token_hex(8)
    folder.mkdir(parents=True)
    target = folder / safe_name(upload.filename)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1024 * 1024)
    return str(target)


def discard(files: dict[str, str]) -> None:
    """Remove uploaded files (and their folders) that no execution will use."""
    for path in files.values():
        shutil.rmtree(Path(path).parent, ignore_errors=True)


async def read_inputs(request: Request, data_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """(input values, FILE input paths) from the body; an empty body means no inputs."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        return _json_inputs(await _limited_body(request)), {}
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _form_inputs(request, data_dir)
    if not kind and not await _limited_body(request):
        return {}, {}
    raise ApiError(415, f"send inputs as multipart/form-data (or a JSON object), not {kind or 'an untyped body'}")


async def _limited_body(request: Request) -> bytes:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_JSON:
            raise ApiError(413, "the body is too large")
    return bytes(data)


def _json_inputs(raw: bytes) -> dict[str, Any]:
    try:
        value = errors.parse_json(raw or b"{}")
    except ValueError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise bad_request("the body must be a JSON object of inputs")
    return value


async def _form_inputs(request: Request, data_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    except Exception as exc:  # the multipart parser raises several types for a malformed body
        if isinstance(exc, ApiError):
            raise
        raise bad_request(f"malformed form body: {getattr(exc, 'detail', exc)}") from None
    values: dict[str, Any] = {}
    files: dict[str, str] = {}
    try:
        for key in form:
            items = form.getlist(key)
            uploads = [i for i in items if isinstance(i, UploadFile)]
            if uploads:
                files[key] = _save(uploads[0], data_dir / "uploads")
            else:
                texts = [str(i) for i in items]
                values[key] = texts[0] if len(texts) == 1 else texts
    finally:
        await form.close()
    return values, files
