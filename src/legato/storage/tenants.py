"""Internal storage per tenant. Flows and tasks see the same `kestra:///<namespace>/...` URIs in every tenant
(Kestra's layout, so flows that build or parse URIs work unchanged); a tenant other than `main` keeps its files
under `kestra:///_tenants/<tenant>/...` of the backend. `main` keeps the layout it always had (existing files stay
where they are) and cannot reach `_tenants/`: no namespace folder starts with `_`, and the wrapper refuses it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from legato.storage.port import Storage, StorageError
from legato.storage.uris import build_uri, parse_uri

MAIN = "main"
ROOT = "_tenants"  # the backend folder of the tenants other than main


class TenantStorage:
    """`inner` as tenant `tenant` sees it."""

    def __init__(self, inner: Storage, tenant: str) -> None:
        self.inner = inner
        self.tenant = tenant
        self._prefix: tuple[str, ...] = () if tenant == MAIN else (ROOT, tenant)
        self.path_of: Callable[[str], Path] | None = self._path_of if hasattr(inner, "path_of") else None

    def to_backend(self, uri: str) -> str:
        """The backend URI of the tenant's `uri`."""
        segments = parse_uri(uri)
        if segments[:1] == (ROOT,):
            raise StorageError(f"{uri} is not reachable: '{ROOT}' holds other tenants' files")
        return build_uri(*self._prefix, *segments) if self._prefix else uri

    def from_backend(self, uri: str) -> str:
        """The tenant's URI of a backend URI under its prefix."""
        if not self._prefix:
            return uri
        segments = parse_uri(uri)
        if segments[:len(self._prefix)] != self._prefix:
            raise StorageError(f"{uri} is not a file of tenant '{self.tenant}'")
        return build_uri(*segments[len(self._prefix):])

    def put(self, uri: str, data: bytes) -> str:
        return self.from_backend(self.inner.put(self.to_backend(uri), data))

    def put_file(self, uri: str, source: Path) -> str:
        return self.from_backend(self.inner.put_file(self.to_backend(uri), source))

    def get(self, uri: str) -> bytes:
        return self.inner.get(self.to_backend(uri))

    def open(self, uri: str) -> BinaryIO:
        return self.inner.open(self.to_backend(uri))

    def download(self, uri: str, target: Path) -> Path:
        return self.inner.download(self.to_backend(uri), target)

    def exists(self, uri: str) -> bool:
        return self.inner.exists(self.to_backend(uri))

    def size(self, uri: str) -> int:
        return self.inner.size(self.to_backend(uri))

    def delete(self, uri: str) -> bool:
        return self.inner.delete(self.to_backend(uri))

    def list(self, prefix: str) -> list[str]:
        found = self.inner.list(self.to_backend(prefix))
        if not self._prefix:  # main listing the root: other tenants' files are not its own
            return [u for u in found if parse_uri(u)[:1] != (ROOT,)]
        return [self.from_backend(u) for u in found]

    def delete_prefix(self, prefix: str) -> int:
        return self.inner.delete_prefix(self.to_backend(prefix))

    def _path_of(self, uri: str) -> Path:
        path: Path = getattr(self.inner, "path_of")(self.to_backend(uri))  # noqa: B009 - only set when the backend has it
        return path


def of_tenant(storage: Storage, tenant: str) -> Storage:
    """`storage` as `tenant` sees it (unwrapped first when it is already some tenant's view)."""
    inner = storage.inner if isinstance(storage, TenantStorage) else storage
    return TenantStorage(inner, tenant)
