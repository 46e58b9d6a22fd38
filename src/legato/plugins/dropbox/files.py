"""io.kestra.plugin.dropbox.files.*, as Kestra's: List, Search, Download, Upload, Move, Copy, Delete, CreateFolder and
GetMetadata. Paths start with `/`; a path property may also be a kestra:// URI of a file holding the path. Entries
are Kestra's DropboxFile (name, id, path, type, size, clientModified); List and Search output them by `fetchType`
(FETCH: `rows`, FETCH_ONE: `row`, STORE: `uri` of an ION file) with their count in `size`."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins import objectstore
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.dropbox.client import API, CONTENT, Dropbox, DropboxError, entry, file_metadata
from legato.plugins.runnable import (
    Expression,
    RunnableTask,
    render_as,
    render_bool,
    render_optional,
    render_text,
)
from legato.storage import StorageError, ion

PREFIX = "io.kestra.plugin.dropbox.files"
FetchType = Literal["FETCH", "FETCH_ONE", "STORE"]
TOKEN = "accessToken: \"{{ secret('DROPBOX_ACCESS_TOKEN') }}\"\n"  # noqa: S105 - a secret() expression


class DropboxTask(RunnableTask):
    """The access token and the API's hosts."""

    accessToken: str = Field(description="A Dropbox access token allowed to do what the task does (use a secret).")
    apiUrl: str = Field(default=API, description="Legato: the base URL of Dropbox's RPC endpoints (a proxy, a test double).")
    contentUrl: str = Field(default=CONTENT, description="Legato: the base URL of Dropbox's content endpoints (a proxy, a test double).")

    def client(self, ctx: RunContext) -> Dropbox:
        token = render_text(ctx, self.accessToken)
        if not token:
            raise TaskFailed("property 'accessToken' renders empty")
        return Dropbox(token, render_text(ctx, self.apiUrl), render_text(ctx, self.contentUrl))

    def dropbox_path(self, ctx: RunContext, value: Any, prop: str, *, root_ok: bool = False) -> str:
        """A Dropbox path property: the rendered text, or the content of the kestra:// file it names."""
        text = "" if value is None else render_text(ctx, value).strip()
        if text.startswith("kestra://"):
            try:
                text = ctx.storage.get(text).decode("utf-8").strip()
            except StorageError as exc:
                raise TaskFailed(f"property '{prop}': {exc}") from None
        if root_ok and text in ("", "/"):
            return ""  # the API names the root ""
        if not text:
            raise TaskFailed(f"property '{prop}' renders to an empty path")
        if not text.startswith("/"):
            raise TaskFailed(f"property '{prop}': Dropbox paths start with '/' ({text!r})")
        return text


async def _fetched(ctx: RunContext, entries: list[dict[str, Any]], fetch: str) -> dict[str, Any]:
    if fetch == "FETCH_ONE":
        return {"row": entries[0] if entries else None, "size": len(entries)}
    if fetch == "STORE":
        with stream.Output(ctx, "entries.ion") as out:
            out.write_all((ion.dumps(e) + "\n").encode() for e in entries)
            return {"uri": out.save(), "size": len(entries)}
    return {"rows": entries, "size": len(entries)}


def _count(ctx: RunContext, name: str, value: int) -> None:
    ctx.effects.extra.setdefault("metrics", []).append({"name": name, "type": "counter", "value": value})


@TASKS.register
class List(DropboxTask):
    """List the files and folders under `from` (the root when unset), one level or all (`recursive`)."""

    TYPE: ClassVar[str] = f"{PREFIX}.List"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: list_inputs\ntype: {PREFIX}.List\n{TOKEN}from: /Kestra/Inputs\nrecursive: true\nfetchType: FETCH\n",
    )

    from_: str | None = Field(default=None, alias="from", description="The folder to list (`/...`), or a kestra:// URI of a file holding it; unset: the root.")
    recursive: bool | Expression = Field(default=False, description="List sub-folders' entries too.")
    limit: int | Expression = Field(default=2000, description="Entries per page of the listing (the API's `limit`); every page is read.")
    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH: every entry in `rows`; FETCH_ONE: the first in `row`; STORE: an ION file in `uri`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        folder = self.dropbox_path(ctx, self.from_, "from", root_ok=True)
        fetch = render_as(ctx, self.fetchType, FetchType, "fetchType")
        args = {"path": folder, "recursive": render_bool(ctx, self.recursive, "recursive"),
                "limit": max(1, min(2000, render_as(ctx, self.limit, int, "limit")))}
        ctx.logger.info(f"Listing Dropbox folder '{folder or '/'}'")
        entries: list[dict[str, Any]] = []
        async with self.client(ctx) as dropbox:
            page = await _call(dropbox, "files/list_folder", args, f"listing '{folder or '/'}'")
            while True:
                entries += [entry(e) for e in page.get("entries") or []]
                if not page.get("has_more") or (fetch == "FETCH_ONE" and entries):
                    break
                page = await _call(dropbox, "files/list_folder/continue", {"cursor": page["cursor"]},
                                   f"listing '{folder or '/'}'")
        _count(ctx, "files.count", len(entries))
        return await _fetched(ctx, entries, fetch)


@TASKS.register
class Search(DropboxTask):
    """Search files and folders by name and content (`query`), under `path`, of some `fileExtensions`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Search"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: find_invoices\ntype: {PREFIX}.Search\n{TOKEN}query: invoice\npath: /Finance\nfileExtensions:\n  - pdf\n"
        "maxResults: 50\n",
    )

    query: str = Field(description="The text to search for.")
    path: str | None = Field(default=None, description="Search only under this folder (`/...`), or a kestra:// URI of a file holding it.")
    maxResults: int | Expression | None = Field(default=None, description="At most this many results (the API's default 100 a page; more pages are read up to it).")
    fileExtensions: list[str] | Expression | None = Field(default=None, description="Only files with these extensions (`pdf`, `csv`).")
    fetchType: FetchType | Expression = Field(default="FETCH", description="FETCH: every result in `rows`; FETCH_ONE: the first in `row`; STORE: an ION file in `uri`.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.path is not None:
            options["path"] = self.dropbox_path(ctx, self.path, "path", root_ok=True)
        most = render_optional(ctx, self.maxResults, int, "maxResults")
        if most is not None:
            options["max_results"] = max(1, min(1000, most))
        extensions = render_optional(ctx, self.fileExtensions, list[str], "fileExtensions")
        if extensions:
            options["file_extensions"] = extensions
        fetch = render_as(ctx, self.fetchType, FetchType, "fetchType")
        query = render_text(ctx, self.query)
        found: list[dict[str, Any]] = []
        async with self.client(ctx) as dropbox:
            page = await _call(dropbox, "files/search_v2", {"query": query, "options": options}, f"searching {query!r}")
            while True:
                found += [entry(m["metadata"]["metadata"]) for m in page.get("matches") or []
                          if isinstance(m.get("metadata"), dict) and isinstance(m["metadata"].get("metadata"), dict)]
                if not page.get("has_more") or (most is not None and len(found) >= most) or (fetch == "FETCH_ONE" and found):
                    break
                page = await _call(dropbox, "files/search/continue_v2", {"cursor": page["cursor"]}, f"searching {query!r}")
        if most is not None:
            found = found[:most]
        _count(ctx, "files.count", len(found))
        return await _fetched(ctx, found, fetch)


async def _call(dropbox: Dropbox, route: str, args: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        return await dropbox.rpc(route, args)
    except DropboxError as exc:
        if "not_found" in exc.summary:
            raise TaskFailed(f"Dropbox: {what}: not found ({exc.summary})") from None
        raise


@TASKS.register
class Download(DropboxTask):
    """Download a file to internal storage; outputs `uri` and the file's `metadata`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Download"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: download_report\ntype: {PREFIX}.Download\n{TOKEN}from: /reports/quarterly.csv\n",)

    from_: str = Field(alias="from", description="The file's path (`/...`), or a kestra:// URI of a file holding it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = self.dropbox_path(ctx, self.from_, "from")
        ctx.logger.info(f"Downloading Dropbox file '{source}'")
        with tempfile.TemporaryDirectory(prefix="legato-dropbox-") as folder:
            local = Path(folder) / "file"
            async with self.client(ctx) as dropbox:
                try:
                    async with dropbox.download(source) as (meta, response):
                        with local.open("wb") as out:
                            async for block in response.aiter_bytes(1 << 20):
                                out.write(block)
                except DropboxError as exc:
                    if "not_found" in exc.summary:
                        raise TaskFailed(f"Dropbox: file not found at '{source}'") from None
                    raise
            name = str(meta.get("name") or source.rsplit("/", 1)[-1] or "file")
            uri = await asyncio.to_thread(_store, ctx, name, local)
        ctx.logger.info(f"Downloaded '{name}' ({meta.get('size', '?')} bytes) to {uri}")
        return {"uri": uri, "metadata": file_metadata(meta)}


def _store(ctx: RunContext, name: str, local: Path) -> str:
    with stream.Output(ctx, name) as out, local.open("rb") as source:
        while block := source.read(1 << 20):
            out.write(block)
        return out.save()


@TASKS.register
class Upload(DropboxTask):
    """Upload a file of internal storage to `to`; `mode` ADD keeps an existing file (with `autorename`, the new one
    gets a suffix), OVERWRITE replaces it; outputs the new file's `metadata`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Upload"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: upload_report\ntype: {PREFIX}.Upload\n{TOKEN}from: \"{{{{ outputs.report.uri }}}}\"\n"
        "to: /shared/reports/sales.csv\nmode: OVERWRITE\n",
    )

    from_: str = Field(alias="from", description="The internal-storage URI (kestra://) of the file to upload.")
    to: str = Field(description="Where in Dropbox (`/folder/file.txt`); missing folders are created.")
    mode: Literal["ADD", "OVERWRITE", "add", "overwrite"] | Expression = Field(default="ADD", description="ADD: keep a file already at `to` (fail, or a suffixed name with `autorename`); OVERWRITE: replace it.")
    autorename: bool | Expression = Field(default=False, description="With ADD, give the upload a free name (`file (1).txt`) when `to` is taken.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source = objectstore.sources(ctx, self.from_)[0]
        target = self.dropbox_path(ctx, self.to, "to")
        mode = render_text(ctx, self.mode).upper()
        if mode not in ("ADD", "OVERWRITE"):
            raise TaskFailed(f"property 'mode': {mode!r} is not ADD or OVERWRITE")
        args = {"path": target, "mode": mode.lower(), "autorename": render_bool(ctx, self.autorename, "autorename"),
                "mute": False}
        ctx.logger.info(f"Uploading {source} to Dropbox '{target}'")
        with tempfile.TemporaryDirectory(prefix="legato-dropbox-") as folder:
            local = await asyncio.to_thread(objectstore.local_copy, ctx, source, Path(folder))
            async with self.client(ctx) as dropbox:
                try:
                    meta = await dropbox.upload_file(local, args)
                except DropboxError as exc:
                    if "conflict" in exc.summary:
                        raise TaskFailed(f"Dropbox: a file already exists at '{target}' (mode ADD; use OVERWRITE or "
                                         "autorename)") from None
                    raise
        ctx.logger.info(f"Uploaded '{meta.get('path_display') or target}'")
        return {"metadata": file_metadata(meta)}


class _Relocate(DropboxTask):
    ROUTE: ClassVar[str] = ""
    VERB: ClassVar[str] = ""

    from_: str = Field(alias="from", description="The file or folder's path (`/...`), or a kestra:// URI of a file holding it.")
    to: str = Field(description="Its new path (`/...`), or a kestra:// URI of a file holding it.")
    autorename: bool | Expression = Field(default=False, description="Give it a free name (`name (1)`) when `to` is taken.")

    def extra_args(self, ctx: RunContext) -> dict[str, Any]:
        return {}

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source, target = self.dropbox_path(ctx, self.from_, "from"), self.dropbox_path(ctx, self.to, "to")
        args = {"from_path": source, "to_path": target, "autorename": render_bool(ctx, self.autorename, "autorename"),
                **self.extra_args(ctx)}
        ctx.logger.info(f"{self.VERB} Dropbox item '{source}' to '{target}'")
        async with self.client(ctx) as dropbox:
            try:
                answer = await dropbox.rpc(self.ROUTE, args)
            except DropboxError as exc:
                if exc.summary.startswith("from_lookup/not_found"):
                    raise TaskFailed(f"Dropbox: source path not found: {source}") from None
                if exc.summary.startswith("to/conflict"):
                    raise TaskFailed(f"Dropbox: a file or folder already exists at the destination path: {target}") from None
                raise
        return {"file": entry(answer.get("metadata") or {})}


@TASKS.register
class Move(_Relocate):
    """Move a file or folder; outputs its new metadata as `file`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Move"
    ROUTE: ClassVar[str] = "files/move_v2"
    VERB: ClassVar[str] = "Moving"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        f"id: archive\ntype: {PREFIX}.Move\n{TOKEN}from: /incoming/report.csv\nto: /archive/report.csv\nautorename: true\n",)

    allowOwnershipTransfer: bool | Expression = Field(default=False, description="Allow moves that change the content's owner (between a team member's and a shared folder).")

    def extra_args(self, ctx: RunContext) -> dict[str, Any]:
        return {"allow_ownership_transfer": render_bool(ctx, self.allowOwnershipTransfer, "allowOwnershipTransfer")}


@TASKS.register
class Copy(_Relocate):
    """Copy a file or folder; outputs the copy's metadata as `file`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Copy"
    ROUTE: ClassVar[str] = "files/copy_v2"
    VERB: ClassVar[str] = "Copying"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: copy\ntype: {PREFIX}.Copy\n{TOKEN}from: /templates/q.xlsx\nto: /teams/q.xlsx\n",)


@TASKS.register
class Delete(DropboxTask):
    """Delete a file or folder (a folder with everything in it); outputs its metadata as `file`."""

    TYPE: ClassVar[str] = f"{PREFIX}.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: cleanup\ntype: {PREFIX}.Delete\n{TOKEN}from: /tmp/old-export.csv\n",)

    from_: str = Field(alias="from", description="The path to delete (`/...`), or a kestra:// URI of a file holding it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = self.dropbox_path(ctx, self.from_, "from")
        async with self.client(ctx) as dropbox:
            answer = await _call(dropbox, "files/delete_v2", {"path": target}, f"deleting '{target}'")
        ctx.logger.info(f"Deleted Dropbox item '{target}'")
        return {"file": entry(answer.get("metadata") or {})}


@TASKS.register
class CreateFolder(DropboxTask):
    """Create a folder (and its missing parents); outputs its metadata as `file`."""

    TYPE: ClassVar[str] = f"{PREFIX}.CreateFolder"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: mkdir\ntype: {PREFIX}.CreateFolder\n{TOKEN}path: /reports/2026\n",)

    path: str = Field(description="The folder to create (`/...`), or a kestra:// URI of a file holding it.")
    autorename: bool | Expression = Field(default=False, description="Give it a free name when `path` is taken (else the task fails).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = self.dropbox_path(ctx, self.path, "path")
        args = {"path": target, "autorename": render_bool(ctx, self.autorename, "autorename")}
        async with self.client(ctx) as dropbox:
            try:
                answer = await dropbox.rpc("files/create_folder_v2", args)
            except DropboxError as exc:
                if "conflict" in exc.summary:
                    raise TaskFailed(f"Dropbox: something already exists at '{target}'") from None
                raise
        return {"file": {**entry(answer.get("metadata") or {}), "type": "folder"}}


@TASKS.register
class GetMetadata(DropboxTask):
    """The metadata of a file or folder, as `file`."""

    TYPE: ClassVar[str] = f"{PREFIX}.GetMetadata"
    EXAMPLES: ClassVar[tuple[str, ...]] = (f"id: stat\ntype: {PREFIX}.GetMetadata\n{TOKEN}path: /reports/sales.csv\n",)

    path: str = Field(description="The file or folder (`/...`), or a kestra:// URI of a file holding it.")
    includeMediaInfo: bool | Expression = Field(default=False, description="Ask for photos' and videos' media info too.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = self.dropbox_path(ctx, self.path, "path")
        args = {"path": target, "include_media_info": render_bool(ctx, self.includeMediaInfo, "includeMediaInfo")}
        async with self.client(ctx) as dropbox:
            answer = await _call(dropbox, "files/get_metadata", args, f"reading '{target}'")
        return {"file": entry(answer)}
