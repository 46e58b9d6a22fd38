"""Kestra's S3 tasks (`io.kestra.plugin.aws.s3.*`): Upload, Download, Downloads, List, Delete, DeleteList, Copy
and CreateBucket, through boto3, with Kestra's property names, defaults and outputs. Works with AWS and with
S3-compatible servers (MinIO, Ceph, R2, moto) through `endpointOverride`."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from legato.model.task import TASKS, Frozen
from legato.plugins import objectstore
from legato.plugins.aws import connection
from legato.plugins.aws.connection import KESTRA, AwsTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as, render_optional_text

S3 = f"{KESTRA}.s3"


class S3Task(AwsTask):
    def s3(self, ctx: RunContext) -> Any:
        return connection.client(self, ctx.render, "s3")


class ObjectTask(S3Task):
    bucket: str = Field(description="The bucket (rendered).")
    requestPayer: str | None = Field(default=None, description="Set to 'requester' for buckets where the requester pays.")

    def _bucket(self, ctx: RunContext) -> str:
        bucket = ctx.render_string(self.bucket).strip()
        if not bucket:
            raise TaskFailed("property 'bucket' rendered to an empty string")
        return bucket

    def _payer(self, ctx: RunContext) -> dict[str, str]:
        payer = render_optional_text(ctx, self.requestPayer)
        return {"RequestPayer": payer} if payer else {}


class Listing(ObjectTask):
    """The listing properties (Kestra's ListInterface)."""

    prefix: str | None = Field(default=None, description="Only keys starting with this (rendered).")
    delimiter: str | None = Field(default=None, description="Group keys sharing a prefix up to this character (rendered).")
    marker: str | None = Field(default=None, description="Start listing after this key (rendered).")
    encodingType: str | None = Field(default=None, description="Kestra compatibility: accepted (keys are returned decoded).")
    maxKeys: int | Expression = Field(default=1000, description="Keys listed per request (at most 1000).")
    expectedBucketOwner: str | None = Field(default=None, description="Fail when the bucket is owned by another account id.")
    regexp: str | None = Field(default=None, description="Only keys matching this regular expression (whole key).")
    filter: objectstore.Filter | Expression = Field(
        default="BOTH", description="FILES (keys not ending in '/'), DIRECTORY (keys ending in '/') or BOTH.")

    def listed(self, ctx: RunContext, client: Any, bucket: str) -> list[dict[str, Any]]:
        """Every object under `prefix` that passes `regexp` and `filter`, in key order, as Kestra's S3Object."""
        request: dict[str, Any] = {"Bucket": bucket, **self._payer(ctx)}
        for prop, name in (("prefix", "Prefix"), ("delimiter", "Delimiter"), ("marker", "StartAfter"),
                           ("expectedBucketOwner", "ExpectedBucketOwner")):
            value = render_optional_text(ctx, getattr(self, prop))
            if value:
                request[name] = value
        page_size = min(int(render_as(ctx, self.maxKeys, int, "maxKeys")), 1000)
        pattern = render_optional_text(ctx, self.regexp)
        kind = str(render_as(ctx, self.filter, objectstore.Filter, "filter"))
        found = []
        try:
            pages = client.get_paginator("list_objects_v2").paginate(**request, PaginationConfig={"PageSize": page_size})
            for page in pages:
                for item in page.get("Contents", ()):
                    if objectstore.keep(item["Key"], pattern, kind):
                        found.append(described(item))
        except Exception as exc:
            raise connection.failure(exc, f"cannot list bucket {bucket}") from None
        return found


def described(item: dict[str, Any]) -> dict[str, Any]:
    """An object of a listing as Kestra shows it (S3Object)."""
    owner = item.get("Owner")
    return {"key": item["Key"], "etag": item.get("ETag"), "size": item.get("Size"),
            "lastModified": item["LastModified"].isoformat() if item.get("LastModified") else None,
            "owner": {"id": owner.get("ID"), "displayName": owner.get("DisplayName")} if owner else None}


def fetch(ctx: RunContext, client: Any, bucket: str, key: str, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """Download one object into internal storage: its URI and the GetObject response's headers."""
    response: dict[str, Any] = {}

    def write(out: Any) -> None:
        try:
            answer = client.get_object(Bucket=bucket, Key=key, **(extra or {}))
        except Exception as exc:
            raise connection.failure(exc, f"cannot download s3://{bucket}/{key}") from None
        response.update(answer)
        for chunk in answer["Body"].iter_chunks(1 << 20):
            out.write(chunk)

    uri, _ = objectstore.store_download(ctx, key, write)
    return uri, response


class CopyObject(Frozen):
    bucket: str | None = Field(default=None, description="The bucket (rendered); the source's when unset.")
    key: str | None = Field(default=None, description="The key (rendered); the source's when unset.")
    serverSideEncryption: str | None = Field(default=None, description="AES256, AWS_KMS or NONE.")
    kmsKeyId: str | None = Field(default=None, description="KMS key id, with serverSideEncryption AWS_KMS.")


class CopyObjectFrom(CopyObject):
    versionId: str | None = Field(default=None, description="The version of the source object to copy.")


def copy_object(ctx: RunContext, client: Any, source: tuple[str, str], target: tuple[str, str],
                to: CopyObject | None = None, version: str | None = None) -> dict[str, Any]:
    """Copy one object (server side); the response of CopyObject."""
    request: dict[str, Any] = {"Bucket": target[0], "Key": target[1],
                               "CopySource": {"Bucket": source[0], "Key": source[1], **({"VersionId": version} if version else {})}}
    encryption = render_optional_text(ctx, to.serverSideEncryption) if to else None
    if encryption and encryption != "NONE":
        request["ServerSideEncryption"] = "aws:kms" if encryption == "AWS_KMS" else encryption
        kms = render_optional_text(ctx, to.kmsKeyId) if to else None
        if kms and encryption == "AWS_KMS":
            request["SSEKMSKeyId"] = kms
    try:
        answer: dict[str, Any] = client.copy_object(**request)
    except Exception as exc:
        raise connection.failure(exc, f"cannot copy s3://{source[0]}/{source[1]} to s3://{target[0]}/{target[1]}") from None
    return answer


def act(ctx: RunContext, client: Any, bucket: str, objects: list[dict[str, Any]], action: str, move_to: CopyObject | None) -> None:
    """MOVE or DELETE objects once they are downloaded (NONE leaves them)."""
    for item in objects:
        if action == "MOVE":
            if move_to is None or move_to.key is None:
                raise TaskFailed("action MOVE needs moveTo.key")
            target_bucket = render_optional_text(ctx, move_to.bucket) or bucket
            target = objectstore.moved_name(ctx.render_string(move_to.key), item["key"])
            copy_object(ctx, client, (bucket, item["key"]), (target_bucket, target), move_to)
        if action in ("MOVE", "DELETE"):
            try:
                client.delete_object(Bucket=bucket, Key=item["key"])
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete s3://{bucket}/{item['key']}") from None


@TASKS.register
class Upload(ObjectTask):
    """Upload one file of internal storage (or several: `from` a list or a map of name to URI, `key` then a
    prefix) to S3. Outputs `bucket`, `key`, `eTag`, `versionId` (and `files`, name to details, for several files)."""

    TYPE: ClassVar[str] = "aws.s3.Upload"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.Upload",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: upload
type: io.kestra.plugin.aws.s3.Upload
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
from: "{{ outputs.extract.uri }}"
bucket: my-bucket
key: data/orders.csv
""",)

    from_: str | list[str] | dict[str, str] = Field(
        alias="from", description="The file(s) to upload: an internal-storage URI, a list of them, a map of object name to URI, or an expression giving one of these.")
    key: str = Field(description="The object key (rendered); with several files, the prefix they are uploaded under (each named by its file name, or its key in a `from` map).")
    metadata: dict[str, str] | None = Field(default=None, description="User metadata of the object.")
    cacheControl: str | None = Field(default=None, description="Cache-Control of the object.")
    contentType: str | None = Field(default=None, description="Content-Type of the object.")
    contentEncoding: str | None = Field(default=None, description="Content-Encoding of the object.")
    contentDisposition: str | None = Field(default=None, description="Content-Disposition of the object.")
    contentLanguage: str | None = Field(default=None, description="Content-Language of the object.")
    contentLength: int | Expression | None = Field(default=None, description="Kestra compatibility: accepted (the file's size is sent).")
    expires: str | None = Field(default=None, description="Expires header of the object (an ISO-8601 date-time).")
    acl: str | None = Field(default=None, description="Canned ACL, e.g. private, public-read.")
    storageClass: str | None = Field(default=None, description="Storage class, e.g. STANDARD, STANDARD_IA, GLACIER.")
    serverSideEncryption: str | None = Field(default=None, description="AES256 or aws:kms.")
    bucketKeyEnabled: bool | Expression | None = Field(default=None, description="Use an S3 Bucket Key for SSE-KMS.")
    checksumAlgorithm: str | None = Field(default=None, description="CRC32, CRC32C, SHA1 or SHA256.")
    expectedBucketOwner: str | None = Field(default=None, description="Fail when the bucket is owned by another account id.")
    objectLockMode: str | None = Field(default=None, description="GOVERNANCE or COMPLIANCE.")
    objectLockLegalHoldStatus: str | None = Field(default=None, description="ON or OFF.")
    objectLockRetainUntilDate: str | None = Field(default=None, description="Retain the object until this date-time.")
    checksum: str | None = Field(default=None, description="Kestra compatibility: accepted (boto3 computes the checksum).")
    tagging: dict[str, str] | None = Field(default=None, description="Tags of the object.")
    concurrentUploads: int | Expression = Field(default=50, description="Parts uploaded at once for a large file.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket, key = self._bucket(ctx), ctx.render_string(self.key)
        files = objectstore.named_sources(ctx, self.from_)
        extra = self._extra(ctx)
        return await asyncio.to_thread(self._upload, ctx, bucket, key, files, extra)

    def _extra(self, ctx: RunContext) -> dict[str, Any]:
        extra: dict[str, Any] = {**self._payer(ctx)}
        for prop, name in (("cacheControl", "CacheControl"), ("contentType", "ContentType"),
                           ("contentEncoding", "ContentEncoding"), ("contentDisposition", "ContentDisposition"),
                           ("contentLanguage", "ContentLanguage"), ("expires", "Expires"), ("acl", "ACL"),
                           ("storageClass", "StorageClass"), ("serverSideEncryption", "ServerSideEncryption"),
                           ("checksumAlgorithm", "ChecksumAlgorithm"), ("expectedBucketOwner", "ExpectedBucketOwner"),
                           ("objectLockMode", "ObjectLockMode"), ("objectLockLegalHoldStatus", "ObjectLockLegalHoldStatus"),
                           ("objectLockRetainUntilDate", "ObjectLockRetainUntilDate")):
            value = render_optional_text(ctx, getattr(self, prop))
            if value:
                extra[name] = value
        if self.metadata:
            extra["Metadata"] = {k: ctx.render_string(v) for k, v in self.metadata.items()}
        if self.tagging:
            from urllib.parse import urlencode

            extra["Tagging"] = urlencode({k: ctx.render_string(v) for k, v in self.tagging.items()})
        if self.bucketKeyEnabled is not None:
            extra["BucketKeyEnabled"] = bool(render_as(ctx, self.bucketKeyEnabled, bool, "bucketKeyEnabled"))
        return extra

    def _upload(self, ctx: RunContext, bucket: str, key: str, files: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
        from boto3.s3.transfer import TransferConfig

        client = self.s3(ctx)
        threads = max(1, int(render_as(ctx, self.concurrentUploads, int, "concurrentUploads")))
        config = TransferConfig(max_concurrency=min(threads, 50))
        many = len(files) > 1  # one file goes to `key` itself, as in Kestra
        targets = {name: key.rstrip("/") + "/" + name.lstrip("/") for name in files} if many else {name: key for name in files}
        uploaded: dict[str, Any] = {}
        with tempfile.TemporaryDirectory(prefix="legato-s3-") as folder:
            for name, uri in files.items():
                target = targets[name]
                local = objectstore.local_copy(ctx, uri, Path(folder))
                try:
                    client.upload_file(str(local), bucket, target, ExtraArgs=extra, Config=config)
                    head = client.head_object(Bucket=bucket, Key=target)
                except Exception as exc:
                    raise connection.failure(exc, f"cannot upload {uri} to s3://{bucket}/{target}") from None
                local.unlink()
                ctx.logger.debug(f"uploaded {uri} to s3://{bucket}/{target}")
                uploaded[name] = {"uri": f"s3://{bucket}/{target}", "contentLength": head.get("ContentLength"),
                                    "contentType": head.get("ContentType"), "metadata": head.get("Metadata") or {},
                                    "versionId": head.get("VersionId"), "eTag": head.get("ETag")}
        if not many:
            (only,) = uploaded.values()
            return {"bucket": bucket, "key": key, "eTag": only["eTag"], "versionId": only["versionId"]}
        return {"bucket": bucket, "key": key, "files": uploaded}


@TASKS.register
class Download(Listing):
    """Download one object (`key`) to internal storage; without `key`, the objects under `prefix` (at most
    `maxFiles`). Outputs `uri`, `contentLength`, `contentType`, `metadata`, `versionId`, `eTag` (or `files`)."""

    TYPE: ClassVar[str] = "aws.s3.Download"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.Download",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: download
type: io.kestra.plugin.aws.s3.Download
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
key: data/orders.csv
""",)

    key: str | None = Field(default=None, description="The object key (rendered); unset: every object under `prefix`.")
    versionId: str | None = Field(default=None, description="The version of the object to download.")
    maxFiles: int | Expression = Field(default=25, description="Most objects downloaded without `key`.")
    validateChecksum: bool | Expression = Field(default=False, description="Ask S3 to validate the object's checksum.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket = self._bucket(ctx)
        key = render_optional_text(ctx, self.key)
        if key is None and self.prefix is None:
            raise TaskFailed("set 'key' (one object) or 'prefix' (the objects under it)")
        return await asyncio.to_thread(self._download, ctx, bucket, key)

    def _download(self, ctx: RunContext, bucket: str, key: str | None) -> dict[str, Any]:
        client = self.s3(ctx)
        extra: dict[str, Any] = {**self._payer(ctx)}
        if render_as(ctx, self.validateChecksum, bool, "validateChecksum"):
            extra["ChecksumMode"] = "ENABLED"
        if key is not None:
            version = render_optional_text(ctx, self.versionId)
            uri, head = fetch(ctx, client, bucket, key, {**extra, **({"VersionId": version} if version else {})})
            return {"uri": uri, **_details(head)}
        objects = objectstore.capped(ctx, [o for o in self.listed(ctx, client, bucket) if not o["key"].endswith("/")],
                                     int(render_as(ctx, self.maxFiles, int, "maxFiles")))
        files = {}
        for item in objects:
            uri, head = fetch(ctx, client, bucket, item["key"], extra)
            files[item["key"]] = {"uri": uri, **_details(head)}
        return {"files": files}


def _details(head: dict[str, Any]) -> dict[str, Any]:
    return {"contentLength": head.get("ContentLength"), "contentType": head.get("ContentType"),
            "metadata": head.get("Metadata") or {}, "versionId": head.get("VersionId"), "eTag": head.get("ETag")}


@TASKS.register
class Downloads(Listing):
    """Download the objects of a listing to internal storage, then MOVE, DELETE or leave them (NONE).
    Outputs `objects` (each with its `uri`) and `outputFiles` (key to URI)."""

    TYPE: ClassVar[str] = "aws.s3.Downloads"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.Downloads",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: downloads
type: io.kestra.plugin.aws.s3.Downloads
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
prefix: incoming/
action: MOVE
moveTo:
  key: archive/
""",)

    action: objectstore.Action | Expression = Field(
        default="NONE", description="What to do with the objects once downloaded: MOVE, DELETE or NONE, the default.")
    moveTo: CopyObject | None = Field(default=None, description="Where MOVE puts the objects (key: the folder; bucket: another bucket).")
    maxFiles: int | Expression = Field(default=25, description="Most objects downloaded.")
    validateChecksum: bool | Expression = Field(default=False, description="Ask S3 to validate each object's checksum.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket = self._bucket(ctx)
        action = str(render_as(ctx, self.action, objectstore.Action, "action"))
        if action == "MOVE" and (self.moveTo is None or self.moveTo.key is None):
            raise TaskFailed("action MOVE needs moveTo.key")
        return await asyncio.to_thread(self._downloads, ctx, bucket, action)

    def _downloads(self, ctx: RunContext, bucket: str, action: str) -> dict[str, Any]:
        client = self.s3(ctx)
        extra: dict[str, Any] = {"ChecksumMode": "ENABLED"} if render_as(ctx, self.validateChecksum, bool, "validateChecksum") else {}
        objects = objectstore.capped(ctx, [o for o in self.listed(ctx, client, bucket) if not o["key"].endswith("/")],
                                     int(render_as(ctx, self.maxFiles, int, "maxFiles")))
        for item in objects:
            item["uri"], _ = fetch(ctx, client, bucket, item["key"], {**extra, **self._payer(ctx)})
        act(ctx, client, bucket, objects, action, self.moveTo)
        return {"objects": objects, "outputFiles": {o["key"]: o["uri"] for o in objects}}


@TASKS.register
class List(Listing):
    """List the objects of a bucket (at most `maxFiles`). Outputs `objects`: key, etag, size, lastModified, owner."""

    TYPE: ClassVar[str] = "aws.s3.List"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.List",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: list
type: io.kestra.plugin.aws.s3.List
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
prefix: data/
filter: FILES
""",)

    maxFiles: int | Expression = Field(default=25, description="Most objects returned (a warning says when more were found).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket = self._bucket(ctx)
        max_files = int(render_as(ctx, self.maxFiles, int, "maxFiles"))
        objects = await asyncio.to_thread(lambda: self.listed(ctx, self.s3(ctx), bucket))
        ctx.effects.extra.setdefault("metrics", []).append({"name": "size", "type": "counter", "value": len(objects)})
        return {"objects": objectstore.capped(ctx, objects, max_files)}


@TASKS.register
class Delete(ObjectTask):
    """Delete one object. Outputs `versionId`, `deleteMarker`, `requestCharged`."""

    TYPE: ClassVar[str] = "aws.s3.Delete"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.Delete",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: delete
type: io.kestra.plugin.aws.s3.Delete
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
key: data/orders.csv
""",)

    key: str = Field(description="The object key (rendered).")
    bypassGovernanceRetention: bool | Expression | None = Field(default=None, description="Delete despite a GOVERNANCE object lock.")
    mfa: str | None = Field(default=None, description="Serial number and code of the MFA device, for MFA-delete buckets.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket, key = self._bucket(ctx), ctx.render_string(self.key)
        request: dict[str, Any] = {"Bucket": bucket, "Key": key, **self._payer(ctx)}
        mfa = render_optional_text(ctx, self.mfa)
        if mfa:
            request["MFA"] = mfa
        if self.bypassGovernanceRetention is not None:
            request["BypassGovernanceRetention"] = bool(render_as(ctx, self.bypassGovernanceRetention, bool, "bypassGovernanceRetention"))

        def delete() -> dict[str, Any]:
            try:
                answer: dict[str, Any] = self.s3(ctx).delete_object(**request)
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete s3://{bucket}/{key}") from None
            return answer

        answer = await asyncio.to_thread(delete)
        return {"versionId": answer.get("VersionId"), "deleteMarker": answer.get("DeleteMarker"),
                "requestCharged": answer.get("RequestCharged")}


@TASKS.register
class DeleteList(Listing):
    """Delete every object of a listing. Outputs `count` and `size` (bytes) of the deleted objects."""

    TYPE: ClassVar[str] = "aws.s3.DeleteList"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.DeleteList",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: delete_list
type: io.kestra.plugin.aws.s3.DeleteList
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
prefix: tmp/
""",)

    concurrent: int | None = Field(default=None, ge=2, description="Delete requests in flight at once (default: one batch request per 1000 keys).")
    errorOnEmpty: bool | Expression = Field(default=False, description="Fail when no object matches.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket = self._bucket(ctx)
        error_on_empty = bool(render_as(ctx, self.errorOnEmpty, bool, "errorOnEmpty"))
        return await asyncio.to_thread(self._delete, ctx, bucket, error_on_empty)

    def _delete(self, ctx: RunContext, bucket: str, error_on_empty: bool) -> dict[str, Any]:
        client = self.s3(ctx)
        objects = self.listed(ctx, client, bucket)
        if not objects and error_on_empty:
            raise TaskFailed(f"no object to delete in bucket {bucket}")
        for start in range(0, len(objects), 1000):
            batch = objects[start:start + 1000]
            try:
                answer = client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": o["key"]} for o in batch], "Quiet": True},
                                               **self._payer(ctx))
            except Exception as exc:
                raise connection.failure(exc, f"cannot delete objects of bucket {bucket}") from None
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise TaskFailed(f"cannot delete s3://{bucket}/{first.get('Key')}: {first.get('Code')}: {first.get('Message')}")
        size = sum(o["size"] or 0 for o in objects)
        ctx.logger.info(f"deleted {len(objects)} objects ({size} bytes) from bucket {bucket}")
        return {"count": len(objects), "size": size}


@TASKS.register
class Copy(S3Task):
    """Copy an object (server side), optionally deleting the source (a move). Outputs `bucket`, `key`, `eTag`,
    `versionId` of the copy."""

    TYPE: ClassVar[str] = "aws.s3.Copy"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.Copy",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: copy
type: io.kestra.plugin.aws.s3.Copy
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
from:
  bucket: my-bucket
  key: data/orders.csv
to:
  key: archive/orders.csv
delete: true
""",)

    from_: CopyObjectFrom = Field(alias="from", description="The source object: bucket, key and optionally versionId.")
    to: CopyObject | None = Field(default=None, description="The copy: bucket and key (each the source's when unset).")
    delete: bool | Expression = Field(default=False, description="Delete the source once copied.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if self.from_.bucket is None or self.from_.key is None:
            raise TaskFailed("property 'from' needs a bucket and a key")
        source = (ctx.render_string(self.from_.bucket), ctx.render_string(self.from_.key))
        target = (render_optional_text(ctx, self.to.bucket if self.to else None) or source[0],
                  render_optional_text(ctx, self.to.key if self.to else None) or source[1])
        if source == target:
            raise TaskFailed(f"property 'to' names the source object s3://{source[0]}/{source[1]} itself")
        version = render_optional_text(ctx, self.from_.versionId)
        delete = bool(render_as(ctx, self.delete, bool, "delete"))

        def copy() -> dict[str, Any]:
            client = self.s3(ctx)
            answer = copy_object(ctx, client, source, target, self.to, version)
            if delete:
                try:
                    client.delete_object(Bucket=source[0], Key=source[1])
                except Exception as exc:
                    raise connection.failure(exc, f"cannot delete s3://{source[0]}/{source[1]}") from None
            return answer

        answer = await asyncio.to_thread(copy)
        return {"bucket": target[0], "key": target[1], "eTag": answer.get("CopyObjectResult", {}).get("ETag"),
                "versionId": answer.get("VersionId")}


@TASKS.register
class CreateBucket(S3Task):
    """Create a bucket (in `region`). Outputs `bucket` and `region`."""

    TYPE: ClassVar[str] = "aws.s3.CreateBucket"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{S3}.CreateBucket",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("""\
id: create_bucket
type: io.kestra.plugin.aws.s3.CreateBucket
accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
bucket: my-bucket
""",)

    bucket: str = Field(description="The bucket's name (rendered).")
    grantFullControl: str | None = Field(default=None, description="Grantees of READ, WRITE, READ_ACP and WRITE_ACP.")
    grantRead: str | None = Field(default=None, description="Grantees allowed to list the objects.")
    grantReadACP: str | None = Field(default=None, description="Grantees allowed to read the bucket's ACL.")
    grantWrite: str | None = Field(default=None, description="Grantees allowed to create and delete objects.")
    grantWriteACP: str | None = Field(default=None, description="Grantees allowed to write the bucket's ACL.")
    acl: str | None = Field(default=None, description="Canned ACL of the bucket, e.g. private.")
    objectLockEnabledForBucket: bool | Expression | None = Field(default=None, description="Enable Object Lock on the bucket.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        bucket = ctx.render_string(self.bucket).strip()
        request: dict[str, Any] = {"Bucket": bucket}
        for prop, name in (("grantFullControl", "GrantFullControl"), ("grantRead", "GrantRead"), ("grantReadACP", "GrantReadACP"),
                           ("grantWrite", "GrantWrite"), ("grantWriteACP", "GrantWriteACP"), ("acl", "ACL")):
            value = render_optional_text(ctx, getattr(self, prop))
            if value:
                request[name] = value
        if self.objectLockEnabledForBucket is not None:
            request["ObjectLockEnabledForBucket"] = bool(render_as(ctx, self.objectLockEnabledForBucket, bool, "objectLockEnabledForBucket"))

        def create() -> str:
            client = self.s3(ctx)
            region: str = client.meta.region_name
            if region != "us-east-1":  # us-east-1 is S3's default location and refuses to be named
                request["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                client.create_bucket(**request)
            except Exception as exc:
                raise connection.failure(exc, f"cannot create bucket {bucket}") from None
            return region

        region = await asyncio.to_thread(create)
        return {"bucket": bucket, "region": region}
