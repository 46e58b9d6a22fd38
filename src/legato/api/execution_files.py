"""Files of an execution in internal storage: download, size, and a preview for the UI. Only URIs under the
execution's own folder (kestra:///<namespace>/<flow>/executions/<id>/...) are served."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import FileResponse

from legato.api import dto, paths, preview
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, not_found
from legato.services import executions
from legato.storage import Storage, StorageError
from legato.storage import tenants as tenant_storage
from legato.storage.uris import build_uri, execution_prefix, parse_uri

router = APIRouter(prefix="/api/v1/{tenant}/executions", tags=["Executions"], dependencies=[Depends(check_tenant)],
                   responses=dto.ERRORS)

ExecutionId = Annotated[str, Path(description="The execution's id.", max_length=64)]
FileUri = Annotated[str, Query(max_length=2048, description="The file's kestra:/// URI, inside the execution's folder.")]
FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The file's bytes"}}


def routers() -> list[APIRouter]:
    return [router]


def checked_uri(ctx: ApiContext, execution_id: str, uri: str, tenant: str) -> tuple[Storage, str]:
    """The storage of the execution's tenant and the URI, once it is known to name a file of this execution
    (an execution of `tenant`)."""
    execution = executions.find(ctx.store, execution_id, tenant=tenant)
    parts = paths.storage_uri(uri)
    own = parse_uri(execution_prefix(execution.namespace, execution.flow_id, execution.id))
    if parts[:len(own)] != own or len(parts) == len(own):
        raise ApiError(422, f"{uri} is not a file of execution {execution_id}",
                       [dto.ErrorDetail(path="path", message=f"expected a URI under {build_uri(*own)}/")])
    clean = build_uri(*parts)
    files = tenant_storage.of_tenant(ctx.files, execution.tenant)
    try:
        local = local_path(files, clean)
        if local is not None:
            base = local_path(files, build_uri(*own))
            # a symlink planted in the execution's folder must not expose anything beyond it
            if base is None or not local.is_relative_to(base) or not local.is_file():
                raise not_found(f"no file at {uri}")
        elif not files.exists(clean):
            raise not_found(f"no file at {uri}")
    except StorageError as exc:
        raise ApiError(400, str(exc)) from None
    return files, clean


def local_path(files: Storage, uri: str) -> FsPath | None:
    path_of = getattr(files, "path_of", None)
    return path_of(uri) if path_of is not None else None


def _name(uri: str) -> str:
    return parse_uri(uri)[-1]


@router.get("/{executionId}/file", summary="Download a file of an execution", response_class=Response,
            responses=FILE_RESPONSE)
def download_file(ctx: Ctx, by: Acting, executionId: ExecutionId, path: FileUri) -> Response:
    """The file's bytes as an attachment."""
    return attachment(*checked_uri(ctx, executionId, path, by.tenant))


def attachment(files: Storage, uri: str) -> Response:
    """The bytes of a checked file URI (`checked_uri`) as an attachment named after its last segment."""
    disposition = f"attachment; filename*=UTF-8''{quote(_name(uri), safe='')}"
    local = local_path(files, uri)
    if local is not None:
        return FileResponse(local, media_type="application/octet-stream", headers={"Content-Disposition": disposition})
    return Response(files.get(uri), media_type="application/octet-stream",
                    headers={"Content-Disposition": disposition})


@router.get("/{executionId}/file/metas", summary="Size of a file of an execution", response_model=dto.FileMeta)
def file_metas(ctx: Ctx, by: Acting, executionId: ExecutionId, path: FileUri) -> dto.FileMeta:
    """The file's URI, name and size in bytes."""
    files, uri = checked_uri(ctx, executionId, path, by.tenant)
    return dto.FileMeta(uri=uri, name=_name(uri), size=files.size(uri))


@router.get("/{executionId}/file/preview", summary="Preview a file of an execution", response_model=dto.FilePreview)
def file_preview(
    ctx: Ctx, by: Acting, executionId: ExecutionId, path: FileUri,
    maxRows: Annotated[int, Query(ge=1, le=1000, description="How many rows (or lines of text) to show.")] = 100,
) -> dto.FilePreview:
    """The first rows of a CSV, JSON or ION file, the first characters of a text file, or an image (base64)."""
    files, uri = checked_uri(ctx, executionId, path, by.tenant)
    size = files.size(uri)
    limit = preview.MAX_IMAGE if preview.extension(_name(uri)) in preview.IMAGES else preview.MAX_BYTES
    local = local_path(files, uri)
    if local is not None:
        with local.open("rb") as handle:
            head = handle.read(limit)
    else:
        head = files.get(uri)[:limit]
    return preview.preview(_name(uri), head, size, maxRows)
