"""aws.s3.Trigger: start the flow when objects arrive in (or change in) an S3-compatible bucket.

Each poll lists `bucket` under `prefix` (keys passing `regexp` and `filter`), and fires one execution for the
new or changed objects (`on`; at most `maxFiles`), each copied to internal storage: `trigger.objects` is a list
of {key, bucket, uri, size, etag, lastModified, owner, changeType}. Once the execution is recorded, `action`
MOVE copies them under `moveTo.key` (optionally in `moveTo.bucket`) and deletes the originals, DELETE deletes
them, NONE leaves them (they fire again only once their ETag changes). With `on: UPDATE`, objects present before
a change are only recorded; that baseline lives in memory until the first fire saves it with the cursor. The cursor remembers the ETags it fired,
so a restart fires nothing twice and completes a MOVE or DELETE interrupted by a crash.

Works with AWS S3 and S3-compatible servers (MinIO, Ceph, R2, moto) through `endpointOverride`; credentials
come from the properties or boto3's usual chain.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from legato.model.errors import check_regex
from legato.model.task import TRIGGERS
from legato.plugins import objectstore
from legato.plugins.aws import connection
from legato.plugins.aws.connection import KESTRA, AwsConnection
from legato.plugins.aws.s3 import CopyObject, described
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


@TRIGGERS.register
class S3Trigger(PollingTrigger, AwsConnection):
    """Start the flow when objects appear or change in an S3 bucket."""

    TYPE: ClassVar[str] = "aws.s3.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.s3.Trigger", "io.kestra.plugin.minio.Trigger")
    REQUIRES: ClassVar[tuple[str, ...]] = ("boto3",)
    EXTRA: ClassVar[str] = "aws"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: landing
    type: io.kestra.plugin.aws.s3.Trigger
    interval: PT1M
    region: eu-central-1
    accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
    secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
    bucket: landing
    prefix: incoming/
    action: MOVE
    moveTo:
      key: archive/
""",
    )

    bucket: str = Field(description="Bucket to watch (rendered).")
    prefix: str | None = Field(default=None, description="Only keys starting with this (rendered).")
    delimiter: str | None = Field(default=None, description="Group keys sharing a prefix up to this character (rendered).")
    marker: str | None = Field(default=None, description="Start listing after this key (rendered).")
    encodingType: str | None = Field(default=None, description="Kestra compatibility: accepted (keys are returned decoded).")
    expectedBucketOwner: str | None = Field(default=None, description="Fail when the bucket is owned by another account id.")
    requestPayer: str | None = Field(default=None, description="Set to 'requester' for buckets where the requester pays.")
    regexp: str | None = Field(default=None, description="Only keys matching this regular expression (whole key).")
    filter: objectstore.Filter = Field(default="BOTH", description="FILES (keys not ending in '/'), DIRECTORY or BOTH.")
    action: objectstore.Action = Field(description="What to do with the objects once their execution is recorded: MOVE, DELETE or NONE.")
    moveTo: CopyObject | None = Field(default=None, description="Where MOVE puts the objects (key: the folder; bucket: another bucket).")
    on: objectstore.On = Field(default="CREATE_OR_UPDATE", description="Fire for new objects (CREATE), changed ones (UPDATE) or both.")
    stateKey: str | None = Field(default=None, description="Kestra compatibility: accepted (the trigger's state is its own).")
    stateTtl: str | None = Field(default=None, description="Kestra compatibility: accepted.")
    maxKeys: int = Field(default=1000, ge=1, le=1000, description="Keys listed per request.")
    maxFiles: int = Field(default=25, ge=1, description="Most objects per execution; the rest wait for the next poll.")

    @field_validator("regexp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regexp is not a regular expression")

    @model_validator(mode="after")
    def _move_needs_target(self) -> S3Trigger:
        if self.action == "MOVE" and (self.moveTo is None or self.moveTo.key is None):
            raise ValueError("action MOVE needs moveTo with a key")
        return self

    def source(self) -> PollingSource:
        return _S3Source(self)


class _S3Source:
    def __init__(self, trigger: S3Trigger):
        self.trigger = trigger
        # With `on: UPDATE`, the ETags of the objects found before they first changed: kept in memory until a fire
        # saves them with the cursor (a poll that fires nothing saves no state).
        self.known: dict[str, str] = {}

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        return await asyncio.to_thread(self._poll, ctx)

    def _text(self, ctx: TriggerContext, value: Any) -> str | None:
        return None if value is None else str(ctx.render(value))

    def _poll(self, ctx: TriggerContext) -> Poll | None:
        client = connection.client(self.trigger, ctx.render, "s3")
        bucket = self._text(ctx, self.trigger.bucket) or ""
        seen: dict[str, str] = dict(ctx.state.get("seen", {}))
        present = {o["Key"]: o for o in self._list(ctx, client, bucket)}
        if self.trigger.action != "NONE":
            # Objects fired before but still here: a crash came between the fire and its MOVE/DELETE.
            self._act(ctx, client, bucket, [k for k, o in present.items() if seen.get(k) == o["ETag"]])
        known = {**self.known, **seen}
        fresh = sorted((o for k, o in present.items() if known.get(k) != o["ETag"] and self._wanted(k, known)),
                       key=lambda o: (o["LastModified"], o["Key"]))
        if self.trigger.on == "UPDATE":
            # objects that are new are only recorded: the next change of each fires
            self.known.update({k: o["ETag"] for k, o in present.items() if k not in known})
        batch = fresh[: self.trigger.maxFiles]
        if not batch:
            return None
        objects = [self._describe(ctx, client, bucket, o, "UPDATE" if o["Key"] in known else "CREATE") for o in batch]
        kept = {k: etag for k, etag in {**self.known, **seen}.items() if k in present}
        kept.update({o["Key"]: o["ETag"] for o in batch})

        async def commit() -> None:
            await asyncio.to_thread(self._act, ctx, connection.client(self.trigger, ctx.render, "s3"), bucket,
                                    [o["Key"] for o in batch])

        return Poll(variables={"objects": objects}, state={"seen": kept}, on_commit=commit)

    def _wanted(self, key: str, known: dict[str, str]) -> bool:
        on = self.trigger.on
        return on == "CREATE_OR_UPDATE" or (on == "UPDATE") == (key in known)

    def _list(self, ctx: TriggerContext, client: Any, bucket: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"Bucket": bucket, "Prefix": self._text(ctx, self.trigger.prefix) or ""}
        for prop, name in (("delimiter", "Delimiter"), ("marker", "StartAfter"), ("expectedBucketOwner", "ExpectedBucketOwner"),
                           ("requestPayer", "RequestPayer")):
            value = self._text(ctx, getattr(self.trigger, prop))
            if value:
                request[name] = value
        move_key, move_bucket = self._move_target(ctx, bucket)
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(**request, PaginationConfig={"PageSize": self.trigger.maxKeys}):
            for item in page.get("Contents", ()):
                key = item["Key"]
                if move_key and move_bucket == bucket and key.startswith(move_key.rstrip("/") + "/"):
                    continue  # already moved: moveTo inside the watched prefix
                if objectstore.keep(key, self.trigger.regexp, self.trigger.filter):
                    found.append(item)
        return found

    def _move_target(self, ctx: TriggerContext, bucket: str) -> tuple[str | None, str]:
        move = self.trigger.moveTo
        if move is None:
            return None, bucket
        return self._text(ctx, move.key), self._text(ctx, move.bucket) or bucket

    def _describe(self, ctx: TriggerContext, client: Any, bucket: str, item: dict[str, Any], change: str) -> dict[str, Any]:
        key = item["Key"]
        found: dict[str, Any] = {**described(item), "bucket": bucket, "changeType": change}
        if ctx.storage is not None and not key.endswith("/"):
            with tempfile.TemporaryDirectory(prefix="legato-s3-") as folder:
                local = Path(folder) / "object"
                body = client.get_object(Bucket=bucket, Key=key)["Body"]
                with local.open("wb") as handle:
                    for chunk in body.iter_chunks(1 << 20):
                        handle.write(chunk)
                found["uri"] = ctx.storage.put_file(ctx.file_uri(key.rsplit("/", 1)[-1] or "object"), local)
        return found

    def _act(self, ctx: TriggerContext, client: Any, bucket: str, keys: list[str]) -> None:
        move_key, move_bucket = self._move_target(ctx, bucket)
        for key in keys:
            if self.trigger.action == "MOVE" and move_key is not None:
                client.copy_object(Bucket=move_bucket, Key=objectstore.moved_name(move_key, key),
                                   CopySource={"Bucket": bucket, "Key": key})
            if self.trigger.action in ("MOVE", "DELETE"):
                client.delete_object(Bucket=bucket, Key=key)
