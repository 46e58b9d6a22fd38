"""Kestra's remote file tasks, the same for SFTP, FTP and FTPS (io.kestra.plugin.fs.<protocol>.<Task>): Upload,
Uploads, Download, Downloads, List, Delete and Move. Each operation is written once here; the classes flows
name are made per protocol, from the operation and the protocol's connection properties."""

from __future__ import annotations

import asyncio
import hashlib
import json
import posixpath
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator

from legato import regex
from legato.model.errors import check_regex
from legato.model.task import TASKS
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.storage_files import output_uri
from legato.plugins.fs.connections import PROTOCOLS, Connection
from legato.plugins.fs.remote import Entry, RemoteFs, makedirs, user_path, walk
from legato.plugins.runnable import Expression, RunnableTask, render_as
from legato.storage import StorageError

T = TypeVar("T")
ALGORITHMS = {"MD5": "md5", "SHA_1": "sha1", "SHA_256": "sha256", "SHA_512": "sha512"}
Sort = Literal["NONE", "LAST_MODIFIED_ASC", "LAST_MODIFIED_DESC", "NAME_ASC", "NAME_DESC"]


class RemoteTask(Connection, RunnableTask):
    """A task on a remote file system: its blocking work runs in a thread, connected for the task's length."""

    async def on_fs(self, ctx: RunContext, work: Callable[[RemoteFs], T]) -> T:
        def session() -> T:
            fs = self.open_fs(ctx.render)
            try:
                return work(fs)
            finally:
                fs.close()

        return await asyncio.to_thread(session)

    def remote_uri(self, ctx: RunContext, path: str) -> str:
        """The server's URI of `path` (scheme://host/path, no credentials)."""
        return self.base_uri(ctx.render) + user_path(path)


def sorted_entries(entries: list[Entry], sort: str) -> list[Entry]:
    """Kestra's `sort` of a listing (NONE keeps the server's order)."""
    keys: dict[str, tuple[Callable[[Entry], Any], bool]] = {
        "LAST_MODIFIED_ASC": (lambda e: e.modified.timestamp() if e.modified else float("inf"), False),
        "LAST_MODIFIED_DESC": (lambda e: e.modified.timestamp() if e.modified else float("-inf"), True),
        "NAME_ASC": (lambda e: e.name, False),
        "NAME_DESC": (lambda e: e.name, True),
    }
    if sort not in keys:
        return entries
    key, reverse = keys[sort]
    return sorted(entries, key=key, reverse=reverse)


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="legato-fs-") as folder:
        yield Path(folder) / "file"


def fetch_to_storage(ctx: RunContext, fs: RemoteFs, path: str, algorithm: str = "SHA_256",
                     expected: str | None = None) -> tuple[str, str]:
    """Download `path` into internal storage: (its kestra:/// URI, its checksum)."""
    with scratch() as local:
        fs.fetch(path, local)
        digest = hashlib.new(ALGORITHMS[algorithm])
        with local.open("rb") as data:
            while block := data.read(1 << 20):
                digest.update(block)
        checksum = digest.hexdigest()
        if expected is not None and checksum.lower() != expected.strip().lower():
            raise TaskFailed(f"checksum mismatch for '{path}': expected {expected.strip().lower()}, got {checksum} ({algorithm})")
        return ctx.storage.put_file(output_uri(ctx, posixpath.basename(path) or "file"), local), checksum


def store_from_storage(ctx: RunContext, fs: RemoteFs, uri: str, path: str, overwrite: bool) -> None:
    """Upload the stored file `uri` to `path`, creating its folders."""
    existing = fs.stat(path)
    if existing is not None and not overwrite:
        raise TaskFailed(f"File '{path}' already exists in the remote server and cannot be overwritten. Set `overwrite: true` to replace it.")
    if existing is not None and existing.is_dir:
        raise TaskFailed(f"'{path}' is a directory on the server; name the file to write (e.g. {path.rstrip('/')}/name)")
    makedirs(fs, posixpath.dirname(path))
    with scratch() as local:
        try:
            ctx.storage.download(uri, local)
        except StorageError as exc:
            raise TaskFailed(str(exc)) from None
        fs.store(local, path)


def internal_uri(value: str, prop: str) -> str:
    if not value.startswith("kestra:///"):
        raise TaskFailed(f"property '{prop}' must be an internal storage URI (kestra:///...), not {value[:100]!r}")
    return value


class Upload(RemoteTask):
    """Upload a file of internal storage to the server."""

    from_: str = Field(alias="from", description="The file to upload: an internal storage URI (kestra:///...).")
    to: str | None = Field(default=None, description="The path on the server (default: the file's name, at the top).")
    overwrite: bool | Expression = Field(default=True, description="Replace a file that exists; false fails instead.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = internal_uri(ctx.render_string(self.from_).strip(), "from")
        target = user_path(ctx.render_string(self.to) if self.to else source.rsplit("/", 1)[-1])
        overwrite = bool(render_as(ctx, self.overwrite, bool, "overwrite"))
        await self.on_fs(ctx, lambda fs: store_from_storage(ctx, fs, source, target, overwrite))
        ctx.logger.info(f"Uploaded {source} to {self.remote_uri(ctx, target)}")
        return {"from": source, "to": self.remote_uri(ctx, target)}


class Uploads(RemoteTask):
    """Upload several files of internal storage into a folder of the server."""

    from_: str | list[str] | dict[str, str] = Field(alias="from", description="The files: a kestra:/// URI, a list of them, a map of file name → URI, or an expression giving one of these (a JSON list or map).")
    to: str = Field(description="The folder on the server.")
    regExp: str | None = Field(default=None, description="Only the URIs that match this regular expression (whole URI).")
    maxFiles: int | Expression = Field(default=25, description="Upload at most this many files (the rest are left with a warning).")
    overwrite: bool | Expression = Field(default=True, description="Replace files that exist; false fails instead.")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    def _pairs(self, ctx: RunContext) -> list[tuple[str, str]]:
        """(file name, URI) of every file to upload."""
        value: Any = self.from_
        if isinstance(value, dict):
            return [(ctx.render_string(k), ctx.render_string(v)) for k, v in value.items()]
        if isinstance(value, list):
            return [(ctx.render_string(v).rsplit("/", 1)[-1], ctx.render_string(v)) for v in value]
        rendered = ctx.render(value)
        if isinstance(rendered, str) and rendered.strip()[:1] in ("[", "{"):
            try:
                rendered = json.loads(rendered)
            except json.JSONDecodeError:
                raise TaskFailed("property 'from' is neither a URI nor a JSON list or map of URIs") from None
        if isinstance(rendered, dict):
            return [(str(k), str(v)) for k, v in rendered.items()]
        items = rendered if isinstance(rendered, list) else [rendered]
        return [(str(v).rsplit("/", 1)[-1], str(v)) for v in items]

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        pairs = [(name, internal_uri(uri.strip(), "from")) for name, uri in self._pairs(ctx)]
        if self.regExp:
            pattern = regex.compile(self.regExp)
            pairs = [(n, u) for n, u in pairs if pattern.fullmatch(u)]
        limit = int(render_as(ctx, self.maxFiles, int, "maxFiles"))
        if len(pairs) > limit:
            ctx.logger.warn(f"Too many files to process ({len(pairs)}), limiting to {limit}")
            pairs = pairs[:limit]
        folder = user_path(ctx.render_string(self.to))
        overwrite = bool(render_as(ctx, self.overwrite, bool, "overwrite"))

        def work(fs: RemoteFs) -> list[str]:
            targets = []
            for name, uri in pairs:
                target = posixpath.join(folder, name)
                store_from_storage(ctx, fs, uri, target, overwrite)
                targets.append(self.remote_uri(ctx, target))
            return targets

        return {"files": await self.on_fs(ctx, work)}


class Download(RemoteTask):
    """Download a file of the server into internal storage."""

    from_: str = Field(alias="from", description="The path of the file on the server.")
    validateChecksum: bool | Expression = Field(default=False, description="Fail when the file's checksum is not `checksumExpected`.")
    checksumExpected: str | None = Field(default=None, description="The expected checksum (hex, any case), with validateChecksum.")
    checksumAlgorithm: Literal["MD5", "SHA_1", "SHA_256", "SHA_512"] = Field(default="SHA_256", description="The checksum's algorithm; its value is always in outputs.checksum.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        path = user_path(ctx.render_string(self.from_))
        expected = None
        if render_as(ctx, self.validateChecksum, bool, "validateChecksum"):
            if not self.checksumExpected:
                raise TaskFailed("property 'checksumExpected' is required when validateChecksum is true")
            expected = ctx.render_string(self.checksumExpected)
        if self.checksumAlgorithm in ("MD5", "SHA_1"):
            ctx.logger.warn(f"checksum algorithm {self.checksumAlgorithm} is weak; prefer SHA_256 or SHA_512")
        uri, checksum = await self.on_fs(ctx, lambda fs: fetch_to_storage(ctx, fs, path, self.checksumAlgorithm, expected))
        return {"from": self.remote_uri(ctx, path), "to": uri, "checksum": checksum}


class Listing(RemoteTask):
    """What List and Downloads share: the folder, its filter and the limit."""

    from_: str = Field(alias="from", description="The folder on the server.")
    regExp: str | None = Field(default=None, description="Only the files whose full path (e.g. /in/a.csv) matches this regular expression.")
    recursive: bool | Expression = Field(default=False, description="Also list the files of sub-folders.")
    maxFiles: int | Expression = Field(default=25, description="At most this many files (the rest are left, with a warning).")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    def entries(self, ctx: RunContext, fs: RemoteFs, sort: str = "NONE") -> list[Entry]:
        folder = user_path(ctx.render_string(self.from_))
        recursive = bool(render_as(ctx, self.recursive, bool, "recursive"))
        pattern = regex.compile(self.regExp) if self.regExp else None
        found = [e for e in walk(fs, folder, recursive) if pattern is None or pattern.fullmatch(e.path)]
        found = sorted_entries(found, sort)
        limit = int(render_as(ctx, self.maxFiles, int, "maxFiles"))
        if len(found) > limit:
            ctx.logger.warn(f"Too many files to process ({len(found)}), limiting to {limit}")
        return found[:limit]


class List(Listing):
    """List the files of a folder of the server."""

    sort: Sort = Field(default="NONE", description="Order before `maxFiles` applies: NONE (the server's), LAST_MODIFIED_ASC/DESC, NAME_ASC/DESC.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        entries = await self.on_fs(ctx, lambda fs: self.entries(ctx, fs, self.sort))
        return {"files": [e.as_output() for e in entries]}


def act_on(fs: RemoteFs, entries: list[Entry], action: str | None, move_directory: str | None) -> None:
    """Kestra's `action` after a download: DELETE the files, MOVE them into a folder, or NONE."""
    if action == "DELETE":
        for entry in entries:
            fs.remove(entry.path)
    elif action == "MOVE":
        if not move_directory:
            raise TaskFailed("action MOVE needs 'moveDirectory'")
        makedirs(fs, move_directory)
        for entry in entries:
            fs.rename(entry.path, posixpath.join(move_directory, entry.name))


class Downloads(Listing):
    """Download the files of a folder of the server into internal storage, then optionally delete or move them."""

    action: Literal["MOVE", "DELETE", "NONE"] | None = Field(default=None, description="Then: MOVE the files to `moveDirectory`, DELETE them, or NONE.")
    moveDirectory: str | None = Field(default=None, description="The folder MOVE puts the files in.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        move_to = user_path(ctx.render_string(self.moveDirectory)) if self.moveDirectory else None

        def work(fs: RemoteFs) -> list[dict[str, Any]]:
            entries = self.entries(ctx, fs)
            files = [e.as_output(fetch_to_storage(ctx, fs, e.path)[0]) for e in entries]
            act_on(fs, entries, self.action, move_to)
            return files

        files = await self.on_fs(ctx, work)
        return {"files": files, "outputFiles": {f["name"]: f["path"] for f in files}}


class Delete(RemoteTask):
    """Delete a file (or a folder, with `recursive`) of the server, or the files of a folder matching `regExp`."""

    uri: str = Field(description="The path of the file or folder on the server.")
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when there is nothing to delete.")
    recursive: bool | Expression = Field(default=False, description="Delete a folder with everything in it.")
    regExp: str | None = Field(default=None, description="Delete only the files of the folder `uri` whose full path matches this regular expression.")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        path = user_path(ctx.render_string(self.uri))
        missing_fails = bool(render_as(ctx, self.errorOnMissing, bool, "errorOnMissing"))
        recursive = bool(render_as(ctx, self.recursive, bool, "recursive"))

        def work(fs: RemoteFs) -> tuple[bool, list[str]]:
            entry = fs.stat(path)
            if entry is None:
                if missing_fails:
                    raise TaskFailed(f"Unable to find file '{path}'")
                return False, []
            if self.regExp is not None:
                pattern = regex.compile(self.regExp)
                matched = [e for e in walk(fs, path, recursive) if pattern.fullmatch(e.path)]
                for found in matched:
                    fs.remove(found.path)
                return bool(matched), [found.path for found in matched]
            if entry.is_dir:
                if not recursive and fs.listdir(path):
                    raise TaskFailed(f"'{path}' is a folder that is not empty: set recursive: true to delete it with its files")
                _remove_tree(fs, path)
            else:
                fs.remove(path)
            return True, [path]

        deleted, paths = await self.on_fs(ctx, work)
        outputs: dict[str, Any] = {"uri": self.remote_uri(ctx, path), "deleted": deleted}
        if self.regExp is not None:
            outputs["uris"] = [self.remote_uri(ctx, p) for p in paths]
        return outputs


def _remove_tree(fs: RemoteFs, path: str) -> None:
    for entry in fs.listdir(path):
        if entry.is_dir and not entry.link:
            _remove_tree(fs, entry.path)
        else:
            fs.remove(entry.path)
    fs.rmdir(path)


class Move(RemoteTask):
    """Move (rename) a file or folder of the server; a target ending with `/` keeps the source's name."""

    from_: str = Field(alias="from", description="The path to move.")
    to: str = Field(description="The new path; ending with `/` (or an existing folder): into that folder.")
    overwrite: bool | Expression = Field(default=False, description="Replace a file of that name; false (the default) fails instead.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = user_path(ctx.render_string(self.from_))
        raw_target = ctx.render_string(self.to)
        overwrite = bool(render_as(ctx, self.overwrite, bool, "overwrite"))

        def work(fs: RemoteFs) -> str:
            found = fs.stat(source)
            if found is None:
                raise TaskFailed(f"Unable to find file '{source}'")
            target = user_path(raw_target)
            existing = fs.stat(target)
            if raw_target.endswith("/") or (existing is not None and existing.is_dir and not found.is_dir):
                makedirs(fs, target)
                target = posixpath.join(target, found.name)
                existing = fs.stat(target)
            else:
                makedirs(fs, posixpath.dirname(target))
            if existing is not None:
                if not overwrite:
                    raise TaskFailed(f"File '{posixpath.basename(target)}' already exists in the remote server and cannot be overwritten. If you want to ignore this, set `overwrite` to `true`.")
                ctx.logger.warn(f"File '{target}' already exists in the remote server and will be overwritten.")
            fs.rename(source, target)
            return target

        target = await self.on_fs(ctx, work)
        return {"from": self.remote_uri(ctx, source), "to": self.remote_uri(ctx, target)}


OPERATIONS: dict[str, type[RemoteTask]] = {
    "Upload": Upload, "Uploads": Uploads, "Download": Download, "Downloads": Downloads, "List": List,
    "Delete": Delete, "Move": Move,
}


def _example(protocol: str, name: str) -> str:
    body = {
        "Upload": 'from: "{{ inputs.file }}"\nto: /upload/report.csv\n',
        "Uploads": 'from:\n  - "{{ outputs.extract.uri }}"\nto: /upload/\n',
        "Download": "from: /upload/report.csv\n",
        "Downloads": "from: /incoming/\nregExp: \".*\\\\.csv\"\naction: MOVE\nmoveDirectory: /archive/\n",
        "List": "from: /upload/\nregExp: \".*\\\\.csv\"\n",
        "Delete": "uri: /upload/report.csv\n",
        "Move": "from: /upload/report.csv\nto: /archive/\n",
    }[name]
    port = {"sftp": "22", "ftp": "21", "ftps": "990"}[protocol]
    return (f"id: {name.lower()}\ntype: io.kestra.plugin.fs.{protocol}.{name}\nhost: files.example.com\n"
            f'port: "{port}"\nusername: etl\npassword: "{{{{ secret(\'{protocol.upper()}_PASSWORD\') }}}}"\n{body}')


def _make(protocol: str, name: str, operation: type[RemoteTask]) -> type[RemoteTask]:
    connection = PROTOCOLS[protocol]
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__doc__": f"{operation.__doc__} ({connection.PROTOCOL})",
        "__qualname__": f"{connection.PROTOCOL.title()}{name}",
        "TYPE": f"io.kestra.plugin.fs.{protocol}.{name}",
        "ALIASES": (),
        "EXAMPLES": (_example(protocol, name),),
    }
    cls = type(f"{connection.PROTOCOL.title()}{name}", (connection, operation), namespace)
    return TASKS.register(cls)


CLASSES: dict[str, type[RemoteTask]] = {
    f"{protocol}.{name}": _make(protocol, name, operation)
    for protocol in PROTOCOLS for name, operation in OPERATIONS.items()
}
