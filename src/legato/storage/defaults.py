"""The process-wide default storage, until the worker hands each task its configured backend.

Its root is `LEGATO_STORAGE_ROOT` when set, else a private directory under the system temp dir (created
once per process, mode 0700)."""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from legato.storage.local import LocalStorage

ENV_ROOT = "LEGATO_STORAGE_ROOT"

_lock = threading.Lock()
_default: LocalStorage | None = None


def storage_root_from_env() -> Path:
    """The configured storage root, or a fresh private temp dir when none is configured."""
    configured = os.environ.get(ENV_ROOT)
    if configured:
        return Path(configured)
    return Path(tempfile.mkdtemp(prefix="legato-storage-"))


def default_storage() -> LocalStorage:
    """One LocalStorage per process, rooted at `storage_root_from_env()`."""
    global _default
    with _lock:
        if _default is None:
            _default = LocalStorage(storage_root_from_env())
        return _default
