"""`legato sys backup` / `restore`: the store's rows and the internal storage's files in one archive.

Archive (tar.gz): `manifest.json` (format, Legato version, schema revision, source backend, per-table columns,
row counts and SHA-256, per-file size and SHA-256), `store/<table>.jsonl` (one JSON array of values per row),
`files/<path>` (each internal storage file at its URI's path).

Consistency: the rows are read in one snapshot transaction first, the files listed and copied afterwards.
Storage files are written before the rows that name them and never rewritten, so every file the snapshot
refers to is in the archive (files written later are there too, unreferenced) — unless a purge deleted it in
between. Restore writes the files first, then loads the rows in one transaction."""

from __future__ import annotations

import hashlib
import json
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from legato.server.compose import system_version
from legato.storage import Storage
from legato.storage.port import StorageError
from legato.storage.uris import build_uri, parse_uri
from legato.store import migrate, snapshot
from legato.store.sql import SqlStore

FORMAT = "legato-backup/1"
ROOT = "kestra:///"


class BackupError(Exception):
    """A backup or restore cannot be done as asked; the message says why and what to do."""


def backup(store: SqlStore, storage: Storage, dest: Path) -> dict[str, Any]:
    """Write the archive `dest` (atomically: `dest` appears only when complete); its manifest."""
    db = store.database
    revision = migrate.current_revision(db)
    head = migrate.revisions()[-1]
    if revision != head:
        raise BackupError(f"the database's schema is at revision {revision}, this Legato's is {head}: back up with "
                          "the Legato version that runs it, or migrate first (legato sys migrate)")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".legato-backup-", dir=dest.parent) as tmp:
        staging = Path(tmp)
        manifest: dict[str, Any] = {
            "format": FORMAT, "legatoVersion": system_version(), "revision": revision, "backend": store.backend,
            "created": datetime.now(UTC).isoformat(), "tables": _dump_tables(db, staging / "store"),
        }
        manifest["files"] = _copy_files(storage, staging / "files")
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
        partial = dest.with_name(dest.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            for name in ("manifest.json", "store", "files"):
                tar.add(staging / name, arcname=name)
        partial.replace(dest)
    return manifest


def _dump_tables(db: Any, folder: Path) -> dict[str, Any]:
    folder.mkdir()
    tables: dict[str, Any] = {}
    for dump in snapshot.export(db):
        digest, count = hashlib.sha256(), 0
        with open(folder / f"{dump.name}.jsonl", "wb") as out:
            for row in dump.rows:
                line = json.dumps(row, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
                digest.update(line)
                out.write(line)
                count += 1
        tables[dump.name] = {"columns": list(dump.columns), "rows": count, "sha256": digest.hexdigest()}
    return tables


def _copy_files(storage: Storage, folder: Path) -> list[dict[str, Any]]:
    folder.mkdir()
    files = []
    for uri in storage.list(ROOT):
        target = folder.joinpath(*parse_uri(uri))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            storage.download(uri, target)
        except StorageError:
            continue  # deleted since it was listed (a purge): the snapshot, taken before, may not need it
        files.append({"uri": uri, "size": target.stat().st_size, "sha256": _sha256(target)})
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of the archive `src`; BackupError when it is not a Legato backup."""
    try:
        with tarfile.open(src, "r:*") as tar:
            member = tar.extractfile("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read()) if member else {}
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{src} is not a readable Legato backup: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: unknown backup format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


def restore(store: SqlStore, storage: Storage, src: Path, *, force: bool = False) -> dict[str, Any]:
    """Load the archive `src` into `store` (migrated to this version's schema) and `storage`; its manifest.
    Refuses a target holding rows or files unless `force` (which deletes them first), and a backup of a newer
    schema than this version knows."""
    manifest = read_manifest(src)
    _check_revision(manifest["revision"])
    db = store.database
    if not force:
        _check_empty(db, storage)
    with tempfile.TemporaryDirectory(prefix=".legato-restore-") as tmp:
        staging = Path(tmp)
        with tarfile.open(src, "r:*") as tar:
            tar.extractall(staging, filter="data")
        _verify(manifest, staging)
        if force:
            snapshot.clear(db)
            storage.delete_prefix(ROOT)
        for entry in manifest["files"]:
            storage.put_file(build_uri(*parse_uri(entry["uri"])), staging.joinpath("files", *parse_uri(entry["uri"])))
        try:
            snapshot.load(db, _rows(manifest, staging / "store"))
        except snapshot.SnapshotError as exc:
            raise BackupError(str(exc)) from None
    return manifest


def _check_revision(revision: str) -> None:
    known = migrate.revisions()
    if revision not in known:
        raise BackupError(f"the backup's schema revision {revision} is newer than this Legato's ({known[-1]}): "
                          "restore it with the Legato version that made it, or a newer one")


def _check_empty(db: Any, storage: Storage) -> None:
    held = {name: n for name, n in snapshot.counts(db).items() if n}
    files = len(storage.list(ROOT))
    if held or files:
        what = ", ".join(f"{n} {name}" for name, n in sorted(held.items())) or "no rows"
        raise BackupError(f"the target is not empty ({what}; {files} storage files): restore into an empty "
                          "database and storage, or pass --force to delete what they hold first")


def _verify(manifest: dict[str, Any], staging: Path) -> None:
    for name, table in manifest["tables"].items():
        path = staging / "store" / f"{name}.jsonl"
        if not path.is_file() or _sha256(path) != table["sha256"]:
            raise BackupError(f"the backup's table {name} is missing or does not match its checksum: damaged archive")
    for entry in manifest["files"]:
        path = staging.joinpath("files", *parse_uri(entry["uri"]))
        if not path.is_file() or _sha256(path) != entry["sha256"]:
            raise BackupError(f"the backup's file {entry['uri']} is missing or does not match its checksum")


def _rows(manifest: dict[str, Any], folder: Path) -> Iterator[tuple[str, tuple[str, ...], Iterator[list[Any]]]]:
    for name, table in manifest["tables"].items():
        yield name, tuple(table["columns"]), _lines(folder / f"{name}.jsonl")


def _lines(path: Path) -> Iterator[list[Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)

