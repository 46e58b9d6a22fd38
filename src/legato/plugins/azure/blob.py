"""Kestra's Azure Blob Storage tasks (`io.kestra.plugin.azure.storage.blob.*`): Upload, Download, Downloads,
List, Delete, DeleteList and Copy, through azure-storage-blob, with Kestra's property names, defaults and
outputs (a blob is {uri, container, name, size, lastModified, eTag})."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins import objectstore
from legato.plugins.azure import connection
from legato.plugins.azure.connection import KESTRA, AzureTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as, render_optional_text

CONNECTION = """endpoint: https://yourblob.blob.core.windows.net
connectionString: "{{ secret('AZURE_STORAGE_CONNECTION_STRING') }}"
"""


def blob_json(container: str, name: str, size: int | None, modified: Any, etag: str | None, uri: str) -> dict[str, Any]:
    return {"uri": uri, "container": container, "name": name, "size": size,
            "lastModified": modified.isoformat() if modified is not None else None, "eTag": etag}


def listed(service: Any, container: str, prefix: str | None, delimiter: str | None, pattern: str | None, kind: str) -> list[dict[str, Any]]:
    """The blobs of a container (one level with a `delimiter`, whose sub-folders then count as directories) that
    pass `regexp` (on the name) and `filter`."""
    client = service.get_container_client(container)
    if delimiter:
        items = client.walk_blobs(name_starts_with=prefix or None, delimiter=delimiter)
    else:
        items = client.list_blobs(name_starts_with=prefix or None)
    found = []
    for item in items:
        name = item.name
        if not objectstore.keep(name, pattern, kind):
            continue
        url = client.get_blob_client(name).url
        found.append(blob_json(container, name, getattr(item, "size", 0), getattr(item, "last_modified", None),
                               getattr(item, "etag", None), url))
    return sorted(found, key=lambda b: b["name"])  # the service may give the folders of a level first


def download(ctx: RunContext, service: Any, container: str, name: str) -> dict[str, Any]:
    """One blob copied into internal storage: its Blob, `uri` the stored file."""
    client = service.get_blob_client(container, name)
    properties: dict[str, Any] = {}

    def write(out: Any) -> None:
        try:
            stream = client.download_blob()
            properties["p"] = stream.properties
            stream.readinto(out)
        except Exception as exc:
            raise connection.failure(exc, f"cannot download {container}/{name}") from None

    uri, size = objectstore.store_download(ctx, name, write)
    found = properties["p"]
    return blob_json(container, name, size, found.last_modified, found.etag, uri)


def copy(service: Any, source: tuple[str, str], target: tuple[str, str], delete: bool) -> dict[str, Any]:
    """Copy one blob (server side, waiting for the copy to finish), deleting the source when asked."""
    origin = service.get_blob_client(*source)
    copied = service.get_blob_client(*target)
    try:
        copied.start_copy_from_url(origin.url, requires_sync=True)
        properties = copied.get_blob_properties()
        while properties.copy.status == "pending":
            time.sleep(0.2)
            properties = copied.get_blob_properties()
        if properties.copy.status not in (None, "success"):
            raise TaskFailed(f"copy of {source[0]}/{source[1]} ended {properties.copy.status}: {properties.copy.status_description}")
        if delete:
            origin.delete_blob()
    except TaskFailed:
        raise
    except Exception as exc:
        raise connection.failure(exc, f"cannot copy {source[0]}/{source[1]} to {target[0]}/{target[1]}") from None
    return blob_json(target[0], target[1], properties.size, properties.last_modified, properties.etag, copied.url)


class CopyObject(Frozen):
    container: str | None = Field(default=None, description="The container (rendered).")
    name: str | None = Field(default=None, description="The blob's full name in the container (rendered).")


def act(ctx: RunContext, service: Any, blobs: list[dict[str, Any]], action: str, move_to: CopyObject | None) -> None:
    """MOVE (under `moveTo.name`, keeping each blob's last name part) or DELETE downloaded blobs."""
    render = ctx.render
    for item in blobs:
        if action == "MOVE":
            if move_to is None or move_to.name is None:
                raise TaskFailed("action MOVE needs moveTo.name")
            container = (str(render(move_to.container)) if move_to.container else None) or item["container"]
            copy(service, (item["container"], item["name"]), (container, objectstore.moved_name(str(render(move_to.name)), item["name"])), True)
        elif action == "DELETE":
            try:
                service.get_blob_client(item["container"], item["name"]).delete_blob()
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete {item['container']}/{item['name']}") from None


class ContainerTask(AzureTask):
    container: str = Field(description="The container (rendered).")

    def service(self, ctx: RunContext) -> Any:
        return connection.service_client(self, ctx.render)


class ObjectTask(ContainerTask):
    name: str = Field(description="The blob's full name in the container (rendered).")


class ListTask(ContainerTask):
    prefix: str | None = Field(default=None, description="Only blobs whose name starts with this (rendered).")
    regexp: str | None = Field(default=None, description="Only blobs whose name matches this regular expression (whole name).")
    delimiter: str | None = Field(default=None, description="List one level: names sharing a prefix up to this character count as one directory.")
    filter: objectstore.Filter | Expression = Field(default="FILES", description="FILES, DIRECTORY or BOTH.")

    def found(self, ctx: RunContext, service: Any) -> list[dict[str, Any]]:
        container = ctx.render_string(self.container)
        kind = str(render_as(ctx, self.filter, objectstore.Filter, "filter"))
        try:
            return listed(service, container, render_optional_text(ctx, self.prefix), render_optional_text(ctx, self.delimiter),
                          render_optional_text(ctx, self.regexp), kind)
        except Exception as exc:
            raise connection.failure(exc, f"cannot list container {container}") from None


@TASKS.register
class Upload(ObjectTask):
    """Upload a file of internal storage as a blob (or several: `from` a list or a map of name to URI, `name` then
    a folder). Outputs `blob` (and `blobs` for several files)."""

    TYPE: ClassVar[str] = "azure.storage.blob.Upload"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Upload",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: upload\ntype: io.kestra.plugin.azure.storage.blob.Upload\n" + CONNECTION
                                           + "container: mydata\nfrom: \"{{ inputs.myfile }}\"\nname: myblob\n",)

    from_: str | list[str] | dict[str, str] = Field(
        alias="from", description="The file(s) to upload: an internal-storage URI, a list of them, a map of blob name to URI, or an expression giving one of these.")
    metadata: dict[str, str] | None = Field(default=None, description="Metadata of the blob.")
    tags: dict[str, str] | None = Field(default=None, description="Index tags of the blob.")
    accessTier: str | None = Field(default=None, description="Access tier: HOT, COOL, COLD, ARCHIVE (or a premium page blob tier).")
    legalHold: bool | Expression | None = Field(default=None, description="Put the blob under legal hold.")
    immutabilityPolicy: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    validateChecksum: bool | Expression | None = Field(default=None, description="Send the content's MD5 so that the service checks it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        container, name = ctx.render_string(self.container), ctx.render_string(self.name)
        files = objectstore.named_sources(ctx, self.from_)
        many = len(files) > 1  # one file becomes the blob `name` itself
        pairs = [(uri, name.rstrip("/") + "/" + relative.lstrip("/") if many else name) for relative, uri in files.items()]
        blobs = await asyncio.to_thread(self._upload, ctx, container, pairs)
        return {"blob": blobs[0], "blobs": blobs} if many else {"blob": blobs[0]}

    def _upload(self, ctx: RunContext, container: str, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
        from azure.storage.blob import ContentSettings, StandardBlobTier

        service = self.service(ctx)
        tier = render_optional_text(ctx, self.accessTier)
        options: dict[str, Any] = {"overwrite": True, "content_settings": ContentSettings()}
        if self.metadata:
            options["metadata"] = {k: ctx.render_string(v) for k, v in self.metadata.items()}
        if self.tags:
            options["tags"] = {k: ctx.render_string(v) for k, v in self.tags.items()}
        if tier:
            options["standard_blob_tier"] = StandardBlobTier(tier.capitalize())
        if self.validateChecksum is not None and render_as(ctx, self.validateChecksum, bool, "validateChecksum"):
            options["validate_content"] = True
        if self.legalHold is not None:
            options["legal_hold"] = bool(render_as(ctx, self.legalHold, bool, "legalHold"))
        blobs = []
        with tempfile.TemporaryDirectory(prefix="legato-azure-") as folder:
            for source, target in pairs:
                local = objectstore.local_copy(ctx, source, Path(folder))
                client = service.get_blob_client(container, target)
                try:
                    with local.open("rb") as data:
                        client.upload_blob(data, **options)
                    properties = client.get_blob_properties()
                except Exception as exc:
                    raise connection.failure(exc, f"cannot upload {source} to {container}/{target}") from None
                local.unlink()
                blobs.append(blob_json(container, target, properties.size, properties.last_modified, properties.etag, client.url))
        return blobs


@TASKS.register
class Download(ObjectTask):
    """Download a blob to internal storage. Outputs `blob` (its `uri` the stored file)."""

    TYPE: ClassVar[str] = "azure.storage.blob.Download"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Download",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: download\ntype: io.kestra.plugin.azure.storage.blob.Download\n" + CONNECTION
                                           + "container: mydata\nname: myblob\n",)

    validateChecksum: bool | Expression | None = Field(default=None, description="Kestra compatibility: accepted (transfers are checked by the client).")
    failOnMissingChecksum: bool | Expression | None = Field(default=None, description="Kestra compatibility: accepted.")
    expectedChecksum: str | None = Field(default=None, description="Fail unless the blob's Content-MD5 (base64) is this.")
    checksumAlgorithm: str | None = Field(default=None, description="Kestra compatibility: accepted (MD5 is what the service stores).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        container, name = ctx.render_string(self.container), ctx.render_string(self.name)
        expected = render_optional_text(ctx, self.expectedChecksum)

        def fetch() -> dict[str, Any]:
            service = self.service(ctx)
            blob = download(ctx, service, container, name)
            if expected:
                import base64

                md5 = service.get_blob_client(container, name).get_blob_properties().content_settings.content_md5
                got = base64.b64encode(bytes(md5)).decode() if md5 else None
                if got != expected:
                    raise TaskFailed(f"checksum mismatch for {container}/{name}: expected {expected}, the blob has {got}")
            return blob

        return {"blob": await asyncio.to_thread(fetch)}


@TASKS.register
class Downloads(ListTask):
    """Download the blobs of a listing to internal storage, then MOVE, DELETE or leave them (NONE). Outputs
    `blobs` (each `uri` the stored file) and `outputFiles` (name to stored file)."""

    TYPE: ClassVar[str] = "azure.storage.blob.Downloads"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Downloads",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: downloads\ntype: io.kestra.plugin.azure.storage.blob.Downloads\n" + CONNECTION
                                           + "container: mydata\nprefix: incoming/\naction: MOVE\nmoveTo:\n  name: archive\n",)

    action: objectstore.Action | Expression = Field(
        default="NONE", description="What to do with the blobs once downloaded: MOVE, DELETE or NONE, the default.")
    moveTo: CopyObject | None = Field(default=None, description="Where MOVE puts the blobs (name: the folder; container: another container).")
    maxFiles: int | Expression = Field(default=25, description="Most blobs downloaded.")
    validateChecksum: bool | Expression | None = Field(default=None, description="Kestra compatibility: accepted.")
    failOnMissingChecksum: bool | Expression | None = Field(default=None, description="Kestra compatibility: accepted.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        action = str(render_as(ctx, self.action, objectstore.Action, "action"))
        if action == "MOVE" and (self.moveTo is None or self.moveTo.name is None):
            raise TaskFailed("action MOVE needs moveTo.name")
        return await asyncio.to_thread(self._downloads, ctx, action)

    def _downloads(self, ctx: RunContext, action: str) -> dict[str, Any]:
        service = self.service(ctx)
        found = objectstore.capped(ctx, [b for b in self.found(ctx, service) if not b["name"].endswith("/")],
                                   int(render_as(ctx, self.maxFiles, int, "maxFiles")))
        blobs = [download(ctx, service, b["container"], b["name"]) for b in found]
        act(ctx, service, blobs, action, self.moveTo)
        return {"blobs": blobs, "outputFiles": {b["name"]: b["uri"] for b in blobs}}


@TASKS.register
class List(ListTask):
    """List the blobs of a container (at most `maxFiles`). Outputs `blobs`."""

    TYPE: ClassVar[str] = "azure.storage.blob.List"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.List",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: list\ntype: io.kestra.plugin.azure.storage.blob.List\n" + CONNECTION
                                           + "container: mydata\nprefix: sub-dir/\n",)

    maxFiles: int | Expression = Field(default=25, description="Most blobs returned (a warning says when more were found).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        max_files = int(render_as(ctx, self.maxFiles, int, "maxFiles"))
        found = await asyncio.to_thread(lambda: self.found(ctx, self.service(ctx)))
        return {"blobs": objectstore.capped(ctx, found, max_files)}


@TASKS.register
class Delete(ObjectTask):
    """Delete a blob. Outputs `blob` (what was deleted)."""

    TYPE: ClassVar[str] = "azure.storage.blob.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete\ntype: io.kestra.plugin.azure.storage.blob.Delete\n" + CONNECTION
                                           + "container: mydata\nname: myblob\n",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        container, name = ctx.render_string(self.container), ctx.render_string(self.name)

        def delete() -> dict[str, Any]:
            client = self.service(ctx).get_blob_client(container, name)
            try:
                properties = client.get_blob_properties()
                client.delete_blob()
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete {container}/{name}") from None
            return blob_json(container, name, properties.size, properties.last_modified, properties.etag, client.url)

        return {"blob": await asyncio.to_thread(delete)}


@TASKS.register
class DeleteList(ListTask):
    """Delete every blob of a listing. Outputs `count` and `size` (bytes) of the deleted blobs."""

    TYPE: ClassVar[str] = "azure.storage.blob.DeleteList"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.DeleteList",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete_list\ntype: io.kestra.plugin.azure.storage.blob.DeleteList\n" + CONNECTION
                                           + "container: mydata\nprefix: tmp/\n",)

    concurrent: int | None = Field(default=None, ge=2, description="Kestra compatibility: accepted (blobs are deleted one after the other).")
    errorOnEmpty: bool | Expression = Field(default=False, description="Fail when no blob matches.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        error_on_empty = bool(render_as(ctx, self.errorOnEmpty, bool, "errorOnEmpty"))

        def delete() -> dict[str, Any]:
            service = self.service(ctx)
            found = [b for b in self.found(ctx, service) if not b["name"].endswith("/")]
            if not found and error_on_empty:
                raise TaskFailed(f"no blob to delete in container {ctx.render_string(self.container)}")
            for blob in found:
                try:
                    service.get_blob_client(blob["container"], blob["name"]).delete_blob()
                except Exception as exc:
                    raise connection.failure(exc, f"cannot delete {blob['container']}/{blob['name']}") from None
            return {"count": len(found), "size": sum(b["size"] or 0 for b in found)}

        return await asyncio.to_thread(delete)


@TASKS.register
class Copy(AzureTask):
    """Copy a blob (server side), optionally deleting the source (a move). Outputs `blob` (the copy)."""

    TYPE: ClassVar[str] = "azure.storage.blob.Copy"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Copy",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: copy\ntype: io.kestra.plugin.azure.storage.blob.Copy\n" + CONNECTION
                                           + "from:\n  container: mydata\n  name: myblob\nto:\n  container: archive\n  name: myblob\ndelete: true\n",)

    from_: CopyObject = Field(alias="from", description="The source blob: container and name.")
    to: CopyObject = Field(description="The copy: container and name (each the source's when unset).")
    delete: bool | Expression = Field(default=False, description="Delete the source once copied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.from_.container is None or self.from_.name is None:
            raise TaskFailed("property 'from' needs a container and a name")
        source = (ctx.render_string(self.from_.container), ctx.render_string(self.from_.name))
        target = (render_optional_text(ctx, self.to.container) or source[0], render_optional_text(ctx, self.to.name) or source[1])
        if source == target:
            raise TaskFailed(f"property 'to' names the source blob {source[0]}/{source[1]} itself")
        delete = bool(render_as(ctx, self.delete, bool, "delete"))
        blob = await asyncio.to_thread(lambda: copy(connection.service_client(self, ctx.render), source, target, delete))
        return {"blob": blob}
