"""The cache of a WorkingDirectory: the files matching its `patterns`, zipped into internal storage under
`kestra:///<namespace>/<flow>/_cache/working-directory/<task>/cache.zip`, and unpacked into the next run's
directory while younger than `ttl`. The zip's comment holds the time it was made (ISO 8601, UTC)."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

from legato import globs
from legato.model.flowable_worker import WorkingDirectory
from legato.plugins.context import TaskFailed
from legato.plugins.scripts.files import inside
from legato.storage import StorageError
from legato.storage.uris import build_uri, namespace_segments
from legato.worker.context import WorkerContext

MAX_UNPACKED = 4 * 1024**3  # refuse a cache archive that would unpack to more than this


def cache_uri(namespace: str, flow_id: str, task_id: str) -> str:
    return build_uri(*namespace_segments(namespace), flow_id, "_cache", "working-directory", task_id, "cache.zip")


def restore(wctx: WorkerContext, task: WorkingDirectory, workdir: Path) -> int | None:
    """Unpack the saved cache into `workdir`; how many files, or None when there is none (or it expired)."""
    assert task.cache is not None
    uri = cache_uri(wctx.execution.namespace, wctx.execution.flow_id, task.id)
    if not wctx.storage.exists(uri):
        return None
    with tempfile.TemporaryDirectory(prefix="legato-cache-") as tmp:
        local = wctx.storage.download(uri, Path(tmp) / "cache.zip")
        with zipfile.ZipFile(local) as archive:
            made = _made(archive)
            if task.cache.ttl is not None and (made is None or made + task.cache.ttl < wctx.now()):
                wctx.storage.delete(uri)
                wctx.logger.info("The cache expired (older than its ttl): starting without it")
                return None
            members = [m for m in archive.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_UNPACKED:
                raise TaskFailed(f"the cache {uri} unpacks to more than {MAX_UNPACKED} bytes")
            for member in members:
                target = inside(workdir, member.filename, "cached file")
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, target.open("wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
    return len(members)


def save(wctx: WorkerContext, task: WorkingDirectory, workdir: Path) -> int:
    """Zip the files matching the cache patterns into storage (replacing the previous cache)."""
    assert task.cache is not None
    found = matching(workdir, task.cache.patterns)
    uri = cache_uri(wctx.execution.namespace, wctx.execution.flow_id, task.id)
    with tempfile.TemporaryDirectory(prefix="legato-cache-") as tmp:
        local = Path(tmp) / "cache.zip"
        with zipfile.ZipFile(local, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.comment = wctx.now().isoformat().encode()
            for relative, path in found.items():
                archive.write(path, relative)
        try:
            wctx.storage.put_file(uri, local)
        except StorageError as exc:
            raise TaskFailed(f"the cache could not be saved: {exc}") from None
    return len(found)


def matching(workdir: Path, patterns: list[str]) -> dict[str, Path]:
    """Files under `workdir` matching the glob patterns (`legato.globs`; `dir/**` is every file beneath dir)."""
    for pattern in patterns:
        pure = PurePosixPath(pattern)
        if pure.is_absolute() or ".." in pure.parts:
            raise TaskFailed(f"cache pattern {pattern!r} must be relative to the working directory")
    try:
        return globs.files(workdir, patterns)
    except globs.PatternError as exc:
        raise TaskFailed(f"cache: {exc}") from None


def _made(archive: zipfile.ZipFile) -> datetime | None:
    try:
        return datetime.fromisoformat(archive.comment.decode())
    except ValueError:
        return None
