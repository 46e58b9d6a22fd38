"""Internal storage: where files that flow between tasks live. Outputs hold `kestra:///...` URIs, never the
files' contents. One port (`Storage`), a local filesystem backend, an S3-compatible one (`legato.storage.s3`, loaded on
demand), and the URI layout Kestra uses."""

from legato.storage.defaults import default_storage, open_storage, storage_root_from_env
from legato.storage.local import LocalStorage
from legato.storage.port import Storage, StorageError
from legato.storage.uris import (
    SCHEME,
    namespace_files_prefix,
    parse_uri,
    task_run_prefix,
)

__all__ = [
    "SCHEME",
    "LocalStorage",
    "Storage",
    "StorageError",
    "default_storage",
    "namespace_files_prefix",
    "open_storage",
    "parse_uri",
    "storage_root_from_env",
    "task_run_prefix",
]
