"""Kestra's Cloud Storage tasks (`io.kestra.plugin.gcp.gcs.*`): Upload, Download, Downloads, List, Delete,
DeleteList, Copy and CreateBucket, through google-cloud-storage, with Kestra's property names, defaults and
outputs. Objects are named by `gs://bucket/path` URIs; `regExp` matches the whole URI, as in Kestra."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins import objectstore
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.gcp import connection
from legato.plugins.gcp.connection import KESTRA, GcpTask
from legato.plugins.runnable import Expression, render_as, render_optional_text

GCS = f"{KESTRA}.gcs"
ListingType = Literal["RECURSIVE", "DIRECTORY"]


def parse(uri: str, prop: str) -> tuple[str, str]:
    """(bucket, path) of a gs:// URI; a clear error naming the property otherwise."""
    parts = urlsplit(uri.strip())
    if parts.scheme != "gs" or not parts.netloc:
        raise TaskFailed(f"property '{prop}' must be a gs://bucket/path URI, not {uri[:100]!r}")
    return parts.netloc, parts.path.lstrip("/")


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def blob_json(blob: Any, uri: str | None = None) -> dict[str, Any]:
    """A blob as Kestra's Blob model shows it; `uri` is the object's gs:// URI unless a stored copy is given."""
    return {
        "uri": uri or f"gs://{blob.bucket.name}/{blob.name.replace(' ', '+')}", "bucket": blob.bucket.name, "name": blob.name,
        "generatedId": blob.id, "selfLink": blob.self_link, "cacheControl": blob.cache_control, "size": blob.size,
        "etag": blob.etag, "md5": blob.md5_hash, "crc32c": blob.crc32c, "mediaLink": blob.media_link,
        "metadata": blob.metadata or {}, "metaGeneration": blob.metageneration, "updateTime": _time(blob.updated),
        "createTime": _time(blob.time_created), "deleteTime": _time(blob.time_deleted), "contentType": blob.content_type,
        "contentEncoding": blob.content_encoding, "contentDisposition": blob.content_disposition,
        "contentLanguage": blob.content_language, "componentCount": blob.component_count,
        "isDirectory": blob.name.endswith("/"), "kmsKeyName": blob.kms_key_name,
        "eventBasedHold": blob.event_based_hold, "temporaryHold": blob.temporary_hold,
    }


def directory_json(bucket: str, prefix: str) -> dict[str, Any]:
    """A "directory" of a DIRECTORY listing (a common prefix, which is no object)."""
    return {"uri": f"gs://{bucket}/{prefix}", "bucket": bucket, "name": prefix, "size": 0, "isDirectory": True, "metadata": {}}


def listing(client: Any, uri: str, listing_type: str, all_versions: bool | None) -> list[tuple[Any | None, dict[str, Any]]]:
    """The objects under a gs:// URI: (blob, its JSON) pairs; DIRECTORY lists one level, its sub-folders as
    directory entries (no blob)."""
    bucket, prefix = parse(uri, "from")
    options: dict[str, Any] = {"prefix": prefix or None}
    if all_versions is not None:
        options["versions"] = all_versions
    if listing_type == "DIRECTORY":
        options["delimiter"] = "/"
    iterator = client.list_blobs(bucket, **options)
    found: list[tuple[Any | None, dict[str, Any]]] = [(b, blob_json(b)) for b in iterator]
    found += [(None, directory_json(bucket, p)) for p in sorted(getattr(iterator, "prefixes", ()) or ())]
    return sorted(found, key=lambda pair: pair[1]["name"])


class ListTask(GcpTask):
    """The listing properties (Kestra's AbstractList)."""

    from_: str = Field(alias="from", description="The gs://bucket/prefix to list (rendered).")
    allVersions: bool | Expression | None = Field(default=None, description="List every version of the objects.")
    listingType: ListingType | Expression = Field(default="DIRECTORY", description="DIRECTORY: one level under `from`; RECURSIVE: everything under it.")
    regExp: str | None = Field(default=None, description="Only objects whose gs:// URI matches this regular expression (whole URI).")

    def listed(self, ctx: RunContext, client: Any, kind: str = "BOTH") -> list[tuple[Any | None, dict[str, Any]]]:
        uri = ctx.render_string(self.from_)
        listing_type = str(render_as(ctx, self.listingType, ListingType, "listingType"))
        versions = None if self.allVersions is None else bool(render_as(ctx, self.allVersions, bool, "allVersions"))
        pattern = render_optional_text(ctx, self.regExp)
        try:
            found = listing(client, uri, listing_type, versions)
        except TaskFailed:
            raise
        except Exception as exc:
            raise connection.failure(exc, f"cannot list {uri}") from None
        return [(b, j) for b, j in found if objectstore.keep(j["name"], None, kind)
                and (pattern is None or objectstore.keep(j["uri"], pattern, "BOTH"))]

    def storage(self, ctx: RunContext) -> Any:
        return connection.storage_client(self, ctx.render)


def download(ctx: RunContext, client: Any, bucket: str, name: str, validate: bool) -> tuple[str, Any]:
    """One object copied into internal storage: its URI and the blob."""
    blob = client.bucket(bucket).blob(name)

    def write(out: Any) -> None:
        try:
            blob.download_to_file(out, checksum="md5" if validate else None)
        except Exception as exc:
            raise connection.failure(exc, f"cannot download gs://{bucket}/{name}") from None

    uri, _ = objectstore.store_download(ctx, name, write)
    return uri, blob


def copy_blob(client: Any, source: tuple[str, str], target: tuple[str, str], delete: bool) -> Any:
    """Copy one object (server side), deleting the source when asked; the new blob."""
    try:
        origin = client.bucket(source[0]).blob(source[1])
        copied = client.bucket(source[0]).copy_blob(origin, client.bucket(target[0]), target[1])
        if delete:
            origin.delete()
    except Exception as exc:
        raise connection.failure(exc, f"cannot copy gs://{source[0]}/{source[1]} to gs://{target[0]}/{target[1]}") from None
    return copied


def act(client: Any, blobs: list[dict[str, Any]], action: str, move_directory: str | None) -> None:
    """MOVE (to `moveDirectory`, keeping each object's last name part) or DELETE downloaded objects."""
    for item in blobs:
        if action == "MOVE":
            if not move_directory:
                raise TaskFailed("action MOVE needs moveDirectory")
            bucket, folder = parse(move_directory, "moveDirectory")
            copy_blob(client, (item["bucket"], item["name"]), (bucket, objectstore.moved_name(folder, item["name"]).lstrip("/")), True)
        elif action == "DELETE":
            try:
                client.bucket(item["bucket"]).blob(item["name"]).delete()
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete gs://{item['bucket']}/{item['name']}") from None


@TASKS.register
class Upload(GcpTask):
    """Upload a file of internal storage to Cloud Storage. Outputs `uri` (gs://), `md5` and `crc32c`."""

    TYPE: ClassVar[str] = "gcp.gcs.Upload"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.Upload",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: upload
type: io.kestra.plugin.gcp.gcs.Upload
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: "{{ outputs.extract.uri }}"
to: gs://my-bucket/data/orders.csv
""",)

    from_: str = Field(alias="from", description="The file to upload: an internal-storage URI (rendered).")
    to: str = Field(description="The destination, gs://bucket/path (rendered).")
    contentType: str | None = Field(default=None, description="Content-Type of the object.")
    contentEncoding: str | None = Field(default=None, description="Content-Encoding of the object.")
    contentDisposition: str | None = Field(default=None, description="Content-Disposition of the object.")
    cacheControl: str | None = Field(default=None, description="Cache-Control of the object.")
    validateChecksum: bool | Expression = Field(default=True, description="Check the stored object's MD5 against the file's.")
    expectedMd5: str | None = Field(default=None, description="Fail unless the stored object's MD5 (base64) is this.")
    expectedCrc32c: str | None = Field(default=None, description="Fail unless the stored object's CRC32C (base64) is this.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        (source,) = objectstore.sources(ctx, self.from_)
        bucket, name = parse(ctx.render_string(self.to), "to")
        validate = bool(render_as(ctx, self.validateChecksum, bool, "validateChecksum"))
        return await asyncio.to_thread(self._upload, ctx, source, bucket, name, validate)

    def _upload(self, ctx: RunContext, source: str, bucket: str, name: str, validate: bool) -> dict[str, Any]:
        client = connection.storage_client(self, ctx.render)
        blob = client.bucket(bucket).blob(name)
        for prop, attribute in (("contentEncoding", "content_encoding"), ("contentDisposition", "content_disposition"),
                                ("cacheControl", "cache_control")):
            value = render_optional_text(ctx, getattr(self, prop))
            if value:
                setattr(blob, attribute, value)
        with tempfile.TemporaryDirectory(prefix="legato-gcs-") as folder:
            local = objectstore.local_copy(ctx, source, Path(folder))
            try:
                blob.upload_from_filename(str(local), content_type=render_optional_text(ctx, self.contentType),
                                          checksum="md5" if validate else None)
            except Exception as exc:
                raise connection.failure(exc, f"cannot upload {source} to gs://{bucket}/{name}") from None
        for prop, got in (("expectedMd5", blob.md5_hash), ("expectedCrc32c", blob.crc32c)):
            wanted = render_optional_text(ctx, getattr(self, prop))
            if wanted and wanted != got:
                raise TaskFailed(f"checksum mismatch for gs://{bucket}/{name}: {prop} is {wanted}, the stored object has {got}")
        return {"uri": f"gs://{bucket}/{name}", "md5": blob.md5_hash, "crc32c": blob.crc32c}


@TASKS.register
class Download(GcpTask):
    """Download one object to internal storage. Outputs `bucket`, `path` and `uri` (the stored file)."""

    TYPE: ClassVar[str] = "gcp.gcs.Download"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.Download",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: download
type: io.kestra.plugin.gcp.gcs.Download
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: gs://my-bucket/data/orders.csv
""",)

    from_: str = Field(alias="from", description="The object to download, gs://bucket/path (rendered).")
    validateChecksum: bool | Expression = Field(default=False, description="Check the downloaded bytes against the object's MD5.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket, name = parse(ctx.render_string(self.from_), "from")
        validate = bool(render_as(ctx, self.validateChecksum, bool, "validateChecksum"))

        def fetch() -> str:
            client = connection.storage_client(self, ctx.render)
            if client.bucket(bucket).get_blob(name) is None:
                raise TaskFailed(f"Unable to find blob on bucket '{bucket}' with path '{name}'")
            uri, _ = download(ctx, client, bucket, name, validate)
            return uri

        uri = await asyncio.to_thread(fetch)
        return {"bucket": bucket, "path": name, "uri": uri}


@TASKS.register
class Downloads(ListTask):
    """Download the objects under a gs:// prefix, then MOVE, DELETE or leave them (NONE). Outputs `blobs` (each with
    `uri`, the stored file) and `outputFiles` (object name to stored file)."""

    TYPE: ClassVar[str] = "gcp.gcs.Downloads"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.Downloads",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: downloads
type: io.kestra.plugin.gcp.gcs.Downloads
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: gs://my-bucket/incoming/
action: MOVE
moveDirectory: gs://my-bucket/archive/
""",)

    action: objectstore.Action | Expression = Field(default="NONE", description="What to do with the objects once downloaded: NONE, DELETE or MOVE.")
    moveDirectory: str | None = Field(default=None, description="Where MOVE puts the objects, gs://bucket/folder (rendered).")
    maxFiles: int | Expression = Field(default=25, description="Most objects downloaded.")
    validateChecksum: bool | Expression = Field(default=False, description="Check each download against the object's MD5.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        action = str(render_as(ctx, self.action, objectstore.Action, "action"))
        move = render_optional_text(ctx, self.moveDirectory)
        if action == "MOVE" and not move:
            raise TaskFailed("action MOVE needs moveDirectory")
        return await asyncio.to_thread(self._downloads, ctx, action, move)

    def _downloads(self, ctx: RunContext, action: str, move: str | None) -> dict[str, Any]:
        client = self.storage(ctx)
        validate = bool(render_as(ctx, self.validateChecksum, bool, "validateChecksum"))
        found = objectstore.capped(ctx, self.listed(ctx, client, "FILES"), int(render_as(ctx, self.maxFiles, int, "maxFiles")))
        blobs = []
        for _, item in found:
            stored, _ = download(ctx, client, item["bucket"], item["name"], validate)
            blobs.append({**item, "uri": stored})
        act(client, blobs, action, move)
        return {"blobs": blobs, "outputFiles": {b["name"]: b["uri"] for b in blobs}}


@TASKS.register
class List(ListTask):
    """List the objects under a gs:// prefix (at most `maxFiles`). Outputs `blobs`."""

    TYPE: ClassVar[str] = "gcp.gcs.List"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.List",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: list
type: io.kestra.plugin.gcp.gcs.List
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: gs://my-bucket/data/
filter: FILES
""",)

    filter: objectstore.Filter | Expression = Field(default="BOTH", description="FILES, DIRECTORY or BOTH.")
    maxFiles: int | Expression = Field(default=25, description="Most objects returned (a warning says when more were found).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        kind = str(render_as(ctx, self.filter, objectstore.Filter, "filter"))
        max_files = int(render_as(ctx, self.maxFiles, int, "maxFiles"))
        found = await asyncio.to_thread(lambda: self.listed(ctx, self.storage(ctx), kind))
        return {"blobs": objectstore.capped(ctx, [item for _, item in found], max_files)}


@TASKS.register
class Delete(GcpTask):
    """Delete one object. Outputs `uri` and `deleted` (false when there was none, unless `errorOnMissing`)."""

    TYPE: ClassVar[str] = "gcp.gcs.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: delete
type: io.kestra.plugin.gcp.gcs.Delete
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
uri: gs://my-bucket/data/orders.csv
""",)

    uri: str = Field(description="The object to delete, gs://bucket/path (rendered).")
    errorOnMissing: bool | Expression = Field(default=False, description="Fail when the object does not exist.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        uri = ctx.render_string(self.uri)
        bucket, name = parse(uri, "uri")
        error_on_missing = bool(render_as(ctx, self.errorOnMissing, bool, "errorOnMissing"))

        def delete() -> bool:
            from google.api_core.exceptions import NotFound

            try:
                connection.storage_client(self, ctx.render).bucket(bucket).blob(name).delete()
            except NotFound:
                if error_on_missing:
                    raise TaskFailed(f"Unable to find blob on bucket '{bucket}' with path '{name}'") from None
                return False
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete {uri}") from None
            return True

        return {"uri": uri, "deleted": await asyncio.to_thread(delete)}


@TASKS.register
class DeleteList(ListTask):
    """Delete every object under a gs:// prefix. Outputs `count` and `size` (bytes) of the deleted objects."""

    TYPE: ClassVar[str] = "gcp.gcs.DeleteList"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.DeleteList",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: delete_list
type: io.kestra.plugin.gcp.gcs.DeleteList
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: gs://my-bucket/tmp/
listingType: RECURSIVE
""",)

    concurrent: int | None = Field(default=None, ge=2, description="Kestra compatibility: accepted (objects are deleted one after the other).")
    errorOnEmpty: bool | Expression = Field(default=False, description="Fail when no object matches.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        error_on_empty = bool(render_as(ctx, self.errorOnEmpty, bool, "errorOnEmpty"))

        def delete() -> dict[str, Any]:
            found = [(b, j) for b, j in self.listed(ctx, self.storage(ctx), "FILES") if b is not None]
            if not found and error_on_empty:
                raise TaskFailed(f"no object to delete under {ctx.render_string(self.from_)}")
            for blob, item in found:
                try:
                    blob.delete()
                except Exception as exc:
                    raise connection.failure(exc, f"cannot delete {item['uri']}") from None
            return {"count": len(found), "size": sum(j["size"] or 0 for _, j in found)}

        return await asyncio.to_thread(delete)


@TASKS.register
class Copy(GcpTask):
    """Copy an object (server side), optionally deleting the source (a move). Outputs `uri` of the copy."""

    TYPE: ClassVar[str] = "gcp.gcs.Copy"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.Copy",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: copy
type: io.kestra.plugin.gcp.gcs.Copy
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
from: gs://my-bucket/data/orders.csv
to: gs://my-bucket/archive/orders.csv
delete: true
""",)

    from_: str = Field(alias="from", description="The source object, gs://bucket/path (rendered).")
    to: str = Field(description="The copy, gs://bucket/path (rendered).")
    delete: bool | Expression = Field(default=False, description="Delete the source once copied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        source, target = parse(ctx.render_string(self.from_), "from"), parse(ctx.render_string(self.to), "to")
        delete = bool(render_as(ctx, self.delete, bool, "delete"))
        await asyncio.to_thread(lambda: copy_blob(connection.storage_client(self, ctx.render), source, target, delete))
        return {"uri": f"gs://{target[0]}/{target[1]}"}


@TASKS.register
class CreateBucket(GcpTask):
    """Create a bucket (`ifExists` says what to do when it exists). Outputs `bucket`, `created` and `updated`."""

    TYPE: ClassVar[str] = "gcp.gcs.CreateBucket"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{GCS}.CreateBucket",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: create_bucket
type: io.kestra.plugin.gcp.gcs.CreateBucket
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
name: my-bucket
versioningEnabled: true
labels:
  team: data
""",)

    name: str = Field(description="The bucket's name (rendered).")
    ifExists: Literal["ERROR", "UPDATE", "SKIP"] | Expression = Field(default="ERROR", description="When the bucket exists: fail (ERROR), update its settings (UPDATE) or do nothing (SKIP).")
    requesterPays: bool | Expression | None = Field(default=None, description="Requesters pay for the requests.")
    versioningEnabled: bool | Expression | None = Field(default=None, description="Keep the versions of the objects.")
    indexPage: str | None = Field(default=None, description="Website main page.")
    notFoundPage: str | None = Field(default=None, description="Website 404 page.")
    lifecycleRules: list[dict[str, Any]] | None = Field(default=None, description="Lifecycle rules, as the JSON API takes them (action and condition).")
    storageClass: str | None = Field(default=None, description="Default storage class: STANDARD, NEARLINE, COLDLINE, ARCHIVE, ...")
    location: str | None = Field(default=None, description="Location of the bucket, e.g. EU, US, europe-west1.")
    cors: list[dict[str, Any]] | None = Field(default=None, description="CORS rules.")
    acl: list[dict[str, Any]] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    defaultAcl: list[dict[str, Any]] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the bucket.")
    defaultKmsKeyName: str | None = Field(default=None, description="Default KMS key of new objects.")
    defaultEventBasedHold: bool | Expression | None = Field(default=None, description="New objects get an event-based hold.")
    retentionPeriod: int | Expression | None = Field(default=None, description="Minimum retention of objects, in seconds.")
    iamConfiguration: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")
    logging: dict[str, Any] | None = Field(default=None, description="Kestra compatibility: accepted, not applied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        name = ctx.render_string(self.name).strip()
        if_exists = str(render_as(ctx, self.ifExists, Literal["ERROR", "UPDATE", "SKIP"], "ifExists"))
        return await asyncio.to_thread(self._create, ctx, name, if_exists)

    def _configure(self, ctx: RunContext, bucket: Any) -> None:
        for prop, attribute in (("requesterPays", "requester_pays"), ("versioningEnabled", "versioning_enabled"),
                                ("defaultEventBasedHold", "default_event_based_hold")):
            value = getattr(self, prop)
            if value is not None:
                setattr(bucket, attribute, bool(render_as(ctx, value, bool, prop)))
        for prop, attribute in (("storageClass", "storage_class"), ("defaultKmsKeyName", "default_kms_key_name")):
            value = render_optional_text(ctx, getattr(self, prop))
            if value:
                setattr(bucket, attribute, value)
        if self.indexPage or self.notFoundPage:
            bucket.configure_website(render_optional_text(ctx, self.indexPage), render_optional_text(ctx, self.notFoundPage))
        if self.labels:
            bucket.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        if self.cors:
            bucket.cors = ctx.render(self.cors)
        if self.lifecycleRules:
            bucket.lifecycle_rules = ctx.render(self.lifecycleRules)
        if self.retentionPeriod is not None:
            bucket.retention_period = int(render_as(ctx, self.retentionPeriod, int, "retentionPeriod"))

    def _create(self, ctx: RunContext, name: str, if_exists: str) -> dict[str, Any]:
        client = connection.storage_client(self, ctx.render)
        existing = self._call(lambda: client.lookup_bucket(name), f"cannot look up bucket {name}")
        if existing is not None:
            if if_exists == "ERROR":
                raise TaskFailed(f"bucket {name} already exists (set ifExists: UPDATE or SKIP)")
            if if_exists == "SKIP":
                return {"bucket": _bucket_json(existing), "created": False, "updated": False}
            self._configure(ctx, existing)
            self._call(lambda: existing.patch(), f"cannot update bucket {name}")
            return {"bucket": _bucket_json(existing), "created": False, "updated": True}
        bucket = client.bucket(name)
        self._configure(ctx, bucket)
        location = render_optional_text(ctx, self.location)
        created = self._call(lambda: client.create_bucket(bucket, location=location), f"cannot create bucket {name}")
        return {"bucket": _bucket_json(created), "created": True, "updated": False}

    @staticmethod
    def _call(call: Any, what: str) -> Any:
        try:
            return call()
        except TaskFailed:
            raise
        except Exception as exc:
            raise connection.failure(exc, what) from None


def _bucket_json(bucket: Any) -> dict[str, Any]:
    return {"name": bucket.name, "location": bucket.location, "storageClass": bucket.storage_class,
            "versioningEnabled": bucket.versioning_enabled, "requesterPays": bucket.requester_pays,
            "labels": dict(bucket.labels or {}), "selfLink": bucket.self_link, "createTime": _time(bucket.time_created)}
