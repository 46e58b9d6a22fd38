"""Namespace files: a folder tree per namespace in internal storage, at Kestra's place for them
(kestra:///<namespace as folders>/_files/<path>), which script tasks stage with `namespaceFiles`.

Paths are relative to the namespace's folder (a leading `/` is that folder) and resolved inside it: see
legato.api.paths. Folders are real folders of the local storage backend.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from legato.api import dto, paths
from legato.api.context import Acting, ApiContext, Ctx, check_tenant
from legato.api.errors import ApiError, bad_request, not_found
from legato.api.uploads import read_part, upload_body
from legato.model.flow import NAMESPACE_PATTERN
from legato.services import audit
from legato.services.principal import Principal
from legato.storage import StorageError, namespace_files_prefix
from legato.storage import tenants as tenant_storage

router = APIRouter(prefix="/api/v1/{tenant}/namespaces/{namespace}/files", tags=["Namespace files"],
                   dependencies=[Depends(check_tenant)], responses=dto.ERRORS)

Namespace = Annotated[str, Path(description="The namespace.", pattern=NAMESPACE_PATTERN, max_length=150)]
FilePath = Annotated[str, Query(max_length=1024, description="Path in the namespace's files, e.g. `/scripts/etl.py`.")]
MAX_UPLOAD = 100 * 1024 * 1024
MAX_EXPORT = 500 * 1024 * 1024
UPLOAD_BODY = upload_body("fileContent")
BYTES_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The file's bytes"}}


def routers() -> list[APIRouter]:
    return [router]


def _root(ctx: ApiContext, tenant: str, namespace: str) -> FsPath:
    """The folder of the namespace's files in the tenant's storage."""
    path_of = getattr(tenant_storage.of_tenant(ctx.files, tenant), "path_of", None)
    if path_of is None:
        raise ApiError(501, "namespace files need the local storage backend")
    try:
        root: FsPath = path_of(namespace_files_prefix(namespace))
    except StorageError as exc:
        raise ApiError(400, str(exc)) from None
    return root


def _target(ctx: ApiContext, tenant: str, namespace: str, path: str, what: str = "path") -> tuple[FsPath, FsPath]:
    """(namespace root, resolved path inside it)."""
    root = _root(ctx, tenant, namespace)
    return root, paths.inside(root, paths.segments(path, what), what)


def _relative(root: FsPath, path: FsPath) -> str:
    return "/" + path.relative_to(root.resolve()).as_posix() if path != root.resolve() else "/"


def _entry(path: FsPath) -> dto.NamespaceFileEntry:
    stat = path.stat()
    return dto.NamespaceFileEntry(file_name=path.name, type="Directory" if path.is_dir() else "File",
                                  size=stat.st_size if path.is_file() else 0,
                                  last_modified_time=datetime.fromtimestamp(stat.st_mtime, UTC))


def root_of(ctx: ApiContext, tenant: str, namespace: str) -> FsPath:
    """The folder of the namespace's files (ApiError 501 when the storage backend has no folders)."""
    return _root(ctx, tenant, namespace)


def shown(path: FsPath, root: FsPath) -> bool:
    """Whether a file found under the namespace's (resolved) root is one of its files."""
    return _visible(path, root)


def _visible(path: FsPath, root: FsPath) -> bool:
    # temp files of atomic writes and symlinks planted in the tree are never shown
    return not path.name.startswith(".tmp-") and not path.is_symlink() and path.resolve().is_relative_to(root)


@router.get("/directory", summary="List a folder of namespace files", response_model=list[dto.NamespaceFileEntry])
def list_directory(ctx: Ctx, by: Acting, namespace: Namespace, path: FilePath = "/") -> list[dto.NamespaceFileEntry]:
    """The files and folders directly in the folder `path` (the namespace's root by default), by name."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if target == root.resolve() and not target.exists():
        return []
    if not target.is_dir():
        raise not_found(f"no folder {path} in the files of {namespace}")
    return [_entry(p) for p in sorted(target.iterdir()) if _visible(p, root.resolve())]


@router.post("/directory", summary="Create a folder of namespace files", status_code=201, response_class=Response)
def create_directory(ctx: Ctx, by: Acting, namespace: Namespace, path: FilePath) -> Response:
    """Create the folder `path` and any missing parents; 409 when a file has that path."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if target == root.resolve():
        raise bad_request("give the path of the folder to create")
    if target.exists() and not target.is_dir():
        raise ApiError(409, f"{path} is a file")
    existed = target.exists()
    _mkdirs(root, target)
    if not existed:
        _audit(ctx, by, "CREATE", namespace, path, {"type": "Directory"})
    return Response(status_code=201)


def _mkdirs(root: FsPath, target: FsPath) -> None:
    base = root.resolve()
    for parent in reversed([target, *target.parents]):
        if parent.is_relative_to(base) and parent.exists() and not parent.is_dir():
            raise ApiError(409, f"{_relative(root, parent)} is a file")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)


@router.get("/stats", summary="Describe a namespace file or folder", response_model=dto.NamespaceFileEntry)
def stats(ctx: Ctx, by: Acting, namespace: Namespace, path: FilePath) -> dto.NamespaceFileEntry:
    """Name, type (File or Directory), size and last change of `path`."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if not target.exists() or target == root.resolve():
        raise not_found(f"no file {path} in the files of {namespace}")
    return _entry(target)


@router.get("/export", summary="Export the namespace files as a zip", response_class=Response,
            responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "A zip of every file, by path"}})
def export(ctx: Ctx, by: Acting, namespace: Namespace) -> Response:
    """Every file of the namespace in one zip archive, at its path."""
    root = _root(ctx, by.tenant, namespace).resolve()
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and _visible(path, root):
                    total += path.stat().st_size
                    if total > MAX_EXPORT:
                        raise ApiError(413, f"the files of {namespace} exceed {MAX_EXPORT // (1024 * 1024)} MiB")
                    archive.write(path, path.relative_to(root).as_posix())
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{namespace}_files.zip"'})


@router.get("", summary="Read a namespace file", response_class=Response, responses=BYTES_RESPONSE)
def read_file(ctx: Ctx, by: Acting, namespace: Namespace, path: FilePath) -> Response:
    """The file's bytes."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if not target.is_file() or not _visible(target, root.resolve()):
        raise not_found(f"no file {path} in the files of {namespace}")
    return FileResponse(target, media_type="application/octet-stream")


@router.post("", summary="Create or replace a namespace file", status_code=201, response_class=Response,
             openapi_extra=UPLOAD_BODY)
async def upload(ctx: Ctx, by: Acting, request: Request, namespace: Namespace, path: FilePath) -> Response:
    """Store the multipart part `fileContent` at `path` (parent folders created), replacing a file there."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if target == root.resolve() or target.is_dir():
        raise ApiError(409, f"{path} is a folder")
    _, content = await read_part(request, "fileContent", MAX_UPLOAD, "namespace files")
    before = _digest(target) if target.is_file() else None
    await run_in_threadpool(_write, root, target, content)
    details = audit.changed(before, {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()})
    await run_in_threadpool(_audit, ctx, by, "UPDATE" if before else "CREATE", namespace, path, details)
    return Response(status_code=201)


def _digest(path: FsPath) -> dict[str, int | str]:
    """What the audit log keeps of a file's content: its size and hash."""
    data = path.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _audit(ctx: ApiContext, by: Principal, action: str, namespace: str, path: str, details: dict[str, Any] | None) -> None:
    audit.record(ctx.store, by, action, "NAMESPACE_FILE", f"{namespace}:/{path.strip('/')}", namespace=namespace,
                 details=details, now=ctx.clock())


def _write(root: FsPath, target: FsPath, content: bytes) -> None:
    _mkdirs(root, target.parent)
    temporary = target.with_name(f".tmp-{target.name}")
    temporary.write_bytes(content)
    temporary.replace(target)


@router.put("", summary="Move a namespace file or folder", status_code=204, response_class=Response)
def move(ctx: Ctx, by: Acting, namespace: Namespace,
         from_: Annotated[str, Query(alias="from", max_length=1024, description="Current path.")],
         to: Annotated[str, Query(max_length=1024, description="New path.")]) -> Response:
    """Move or rename a file or folder; 409 when something exists at the new path."""
    root, source = _target(ctx, by.tenant, namespace, from_, "from")
    _, target = _target(ctx, by.tenant, namespace, to, "to")
    if source == root.resolve() or not source.exists() or not _visible(source, root.resolve()):
        raise not_found(f"no file {from_} in the files of {namespace}")
    if target == root.resolve() or target.exists():
        raise ApiError(409, f"{to} already exists")
    if target.is_relative_to(source):
        raise ApiError(409, "a folder cannot be moved into itself")
    _mkdirs(root, target.parent)
    shutil.move(source, target)
    _audit(ctx, by, "MOVE", namespace, from_, {"from": from_, "to": to})
    return Response(status_code=204)


@router.delete("", summary="Delete a namespace file or folder", status_code=204, response_class=Response)
def delete(ctx: Ctx, by: Acting, namespace: Namespace, path: FilePath) -> Response:
    """Delete a file, or a folder with everything in it."""
    root, target = _target(ctx, by.tenant, namespace, path)
    if target == root.resolve():
        raise bad_request("give the path of the file or folder to delete")
    if not target.exists() or not _visible(target, root.resolve()):
        raise not_found(f"no file {path} in the files of {namespace}")
    if target.is_dir():
        shutil.rmtree(target)
        details: dict[str, Any] = {"type": "Directory"}
    else:
        details = _digest(target)
        target.unlink()
    _audit(ctx, by, "DELETE", namespace, path, audit.changed(details, None))
    return Response(status_code=204)
