"""Internal storage in an S3-compatible object store (AWS S3, MinIO, Ceph, R2, ...) through fsspec/s3fs.

`kestra:///a/b/c.txt` is the object `<prefix>/a/b/c.txt` of one bucket. URIs are validated by `parse_uri`
(no `..`, no empty or `.` segments) before they become keys, so every key stays under the prefix; a listing
that returns a key outside it (a misbehaving server) is ignored rather than exposed."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from legato.storage.port import StorageError
from legato.storage.uris import build_uri, parse_uri


class S3Storage:
    """`Storage` over one bucket and key prefix of an S3-compatible store."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, key: str | None = None,
                 secret: str | None = None, region: str | None = None, filesystem: Any = None) -> None:
        if not bucket or "/" in bucket:
            raise StorageError(f"invalid S3 bucket name {bucket!r}")
        self.bucket = bucket
        self.prefix = "/".join(p for p in prefix.split("/") if p)
        if any(p in (".", "..") for p in self.prefix.split("/")):
            raise StorageError(f"invalid S3 key prefix {prefix!r}")
        self.base = f"{bucket}/{self.prefix}" if self.prefix else bucket
        if filesystem is None:
            try:
                import s3fs
            except ImportError:
                raise StorageError("S3 internal storage needs the Python package s3fs, not installed: "
                                   "run pip install 'legato[s3]'") from None

            client: dict[str, Any] = {"region_name": region} if region else {}
            filesystem = s3fs.S3FileSystem(
                key=key, secret=secret, endpoint_url=endpoint_url, client_kwargs=client,
                # other workers write to the same bucket: a cached listing would hide their files
                use_listings_cache=False, skip_instance_cache=True,
            )
        self.fs = filesystem

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str] | None = None) -> S3Storage:
        """`s3://bucket/prefix`, with LEGATO_S3_ENDPOINT (or AWS_ENDPOINT_URL) and LEGATO_S3_REGION (or
        AWS_REGION); credentials come from the usual AWS variables and files."""
        env = os.environ if environ is None else environ
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise StorageError(f"expected s3://bucket/prefix, got {url!r}")
        return cls(parts.netloc, parts.path, endpoint_url=env.get("LEGATO_S3_ENDPOINT") or env.get("AWS_ENDPOINT_URL"),
                   region=env.get("LEGATO_S3_REGION") or env.get("AWS_REGION"))

    def key_of(self, uri: str) -> str:
        """The bucket/key path of `uri`, always under the prefix."""
        return "/".join([self.base, *parse_uri(uri)])

    def put(self, uri: str, data: bytes) -> str:
        self.fs.pipe_file(self._file_key(uri), data)
        return uri

    def put_file(self, uri: str, source: Path) -> str:
        self.fs.put_file(str(source), self._file_key(uri))
        return uri

    def get(self, uri: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self.key_of(uri))
        except FileNotFoundError:
            raise StorageError(f"no file in internal storage at {uri}") from None
        return data

    def open(self, uri: str) -> BinaryIO:
        try:
            handle: BinaryIO = self.fs.open(self.key_of(uri), "rb")
        except FileNotFoundError:
            raise StorageError(f"no file in internal storage at {uri}") from None
        return handle

    def download(self, uri: str, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.fs.get_file(self.key_of(uri), str(target))
        except FileNotFoundError:
            raise StorageError(f"no file in internal storage at {uri}") from None
        return target

    def exists(self, uri: str) -> bool:
        return bool(self.fs.isfile(self.key_of(uri)))

    def size(self, uri: str) -> int:
        try:
            info = self.fs.info(self.key_of(uri))
        except FileNotFoundError:
            raise StorageError(f"no file in internal storage at {uri}") from None
        if info.get("type") != "file":
            raise StorageError(f"no file in internal storage at {uri}")
        return int(info["size"])

    def delete(self, uri: str) -> bool:
        key = self.key_of(uri)
        if not parse_uri(uri) or not self.fs.isfile(key):
            return False
        self.fs.rm_file(key)
        return True

    def list(self, prefix: str) -> list[str]:
        segments = parse_uri(prefix)
        folder = "/".join([self.base, *segments])
        try:
            keys = self.fs.find(folder)
        except FileNotFoundError:
            return []
        found = []
        for key in keys:
            if not key.startswith(folder + "/"):
                continue  # the folder itself as an object, or anything a server returned outside it
            relative = key[len(folder) + 1:].split("/")
            try:
                found.append(build_uri(*segments, *relative))
            except StorageError:
                continue  # a key no URI can name (`a//b`, `..`) was not written by Legato
        return sorted(found)

    def delete_prefix(self, prefix: str) -> int:
        files = self.list(prefix)
        if files:
            self.fs.rm([self.key_of(uri) for uri in files])
        return len(files)

    def _file_key(self, uri: str) -> str:
        if not parse_uri(uri):
            raise StorageError(f"storage URI {uri!r} names the root, not a file")
        return self.key_of(uri)
