"""Internal storage on the local filesystem under one root directory. Every URI maps to a path inside the
root; a URI that would lead outside it, or through a symbolic link, is refused."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from legato.storage.port import StorageError
from legato.storage.uris import build_uri, parse_uri


class LocalStorage:
    """`Storage` over a directory: kestra:///a/b/c.txt is <root>/a/b/c.txt."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path_of(self, uri: str) -> Path:
        """The local path of `uri`. Legato never makes symbolic links inside the root, so a URI that leads
        through one (planted to reach another namespace's or execution's files, or outside) is refused."""
        segments = parse_uri(uri)
        candidate = self.root.joinpath(*segments)
        resolved = candidate.resolve()
        if resolved != candidate:
            where = "outside the storage root" if not resolved.is_relative_to(self.root) else "elsewhere in storage"
            raise StorageError(f"storage URI {uri!r} leads through a symbolic link ({where})")
        return resolved

    def put(self, uri: str, data: bytes) -> str:
        target = self._file_target(uri)
        self._atomic_write(target, lambda f: f.write(data))
        return uri

    def put_file(self, uri: str, source: Path) -> str:
        target = self._file_target(uri)
        with open(source, "rb") as src:
            self._atomic_write(target, lambda f: shutil.copyfileobj(src, f, 1 << 20))
        return uri

    def get(self, uri: str) -> bytes:
        return self._existing(uri).read_bytes()

    def open(self, uri: str) -> BinaryIO:
        return self._existing(uri).open("rb")

    def download(self, uri: str, target: Path) -> Path:
        source = self._existing(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    def exists(self, uri: str) -> bool:
        return self.path_of(uri).is_file()

    def size(self, uri: str) -> int:
        return self._existing(uri).stat().st_size

    def delete(self, uri: str) -> bool:
        path = self.path_of(uri)
        if not path.is_file():
            return False
        path.unlink()
        return True

    def list(self, prefix: str) -> list[str]:
        base = self.path_of(prefix)
        if not base.is_dir():
            return []
        segments = parse_uri(prefix)
        found = []
        for path in base.rglob("*"):
            # a symlink planted inside the root must not expose what it points at
            if path.is_file() and not path.is_symlink():
                found.append(build_uri(*segments, *path.relative_to(base).parts))
        return sorted(found)

    def delete_prefix(self, prefix: str) -> int:
        files = self.list(prefix)
        for uri in files:
            self.delete(uri)
        base = self.path_of(prefix)
        if base.is_dir() and base != self.root:
            shutil.rmtree(base, ignore_errors=True)
        return len(files)

    def _existing(self, uri: str) -> Path:
        path = self.path_of(uri)
        if not path.is_file():
            raise StorageError(f"no file in internal storage at {uri}")
        return path

    def _file_target(self, uri: str) -> Path:
        if not parse_uri(uri):
            raise StorageError(f"storage URI {uri!r} names the root, not a file")
        target = self.path_of(uri)
        if target.is_dir():
            raise StorageError(f"storage URI {uri!r} names a folder, not a file")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @staticmethod
    def _atomic_write(target: Path, write: object) -> None:
        # readers never see half a file: write beside the target, then rename over it
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)  # type: ignore[operator]
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
