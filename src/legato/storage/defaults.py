"""The process-wide default storage, until the worker hands each task its configured backend.

`LEGATO_STORAGE_URL=s3://bucket/prefix` selects the S3-compatible backend (see `legato.storage.s3`); else
the local backend, rooted at `LEGATO_STORAGE_ROOT` when set, else at a private directory under the system
temp dir (created once per process, mode 0700)."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from legato.storage.local import LocalStorage
from legato.storage.port import Storage, StorageError

ENV_ROOT = "LEGATO_STORAGE_ROOT"
ENV_URL = "LEGATO_STORAGE_URL"

_lock = threading.Lock()
_default: Storage | None = None


def storage_root_from_env() -> Path:
    """The configured storage root, or a fresh private temp dir when none is configured."""
    configured = os.environ.get(ENV_ROOT)
    if configured:
        return Path(configured)
    return Path(tempfile.mkdtemp(prefix="legato-storage-"))


def open_storage(url: str) -> Storage:
    """The backend a storage URL names: s3://bucket/prefix, file:///path or a plain path."""
    if url.startswith("s3://"):
        from legato.storage.s3 import S3Storage

        return S3Storage.from_url(url)
    if url.startswith("file://"):
        return LocalStorage(url.removeprefix("file://"))
    if "://" in url:
        raise StorageError(f"{ENV_URL} must be s3://bucket/prefix, file:///path or a path, not {url!r}")
    return LocalStorage(url)


def configured() -> bool:
    """Whether the environment chooses the storage (LEGATO_STORAGE_URL or LEGATO_STORAGE_ROOT)."""
    return bool(os.environ.get(ENV_URL) or os.environ.get(ENV_ROOT))


def default_storage() -> Storage:
    """One storage per process: LEGATO_STORAGE_URL's backend, else a LocalStorage at `storage_root_from_env()`."""
    global _default
    with _lock:
        if _default is None:
            url = os.environ.get(ENV_URL)
            _default = open_storage(url) if url else LocalStorage(storage_root_from_env())
        return _default
