"""aws.s3.Trigger: start the flow when objects arrive in (or change in) an S3-compatible bucket.

Each poll lists `bucket` under `prefix` (keys matching `regexp`), and fires one execution for the new or
changed objects (at most `maxFiles`), each copied to internal storage: `trigger.objects` is a list of
{key, bucket, uri, size, etag, lastModified}. Once the execution is recorded, `action` MOVE copies them to
`moveTo` (key prefix, optionally another bucket) and deletes the originals, DELETE deletes them, NONE leaves
them (they fire again only once their ETag changes). The cursor remembers the ETags it fired, so a restart
fires nothing twice and completes a MOVE or DELETE interrupted by a crash.

Works with AWS S3 and S3-compatible servers (MinIO, Ceph, R2, moto) through `endpointOverride`; credentials
come from the properties or the usual AWS variables and files.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from legato import regex
from legato.model.errors import check_regex
from legato.model.task import TRIGGERS, Frozen
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


class MoveTo(Frozen):
    key: str = Field(description="Key prefix the objects are moved under (rendered).")
    bucket: str | None = Field(default=None, description="Bucket to move them to (default: the same bucket; rendered).")


@TRIGGERS.register
class S3Trigger(PollingTrigger):
    """Start the flow when objects appear or change in an S3 bucket."""

    TYPE: ClassVar[str] = "aws.s3.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = ("io.kestra.plugin.aws.s3.Trigger", "io.kestra.plugin.minio.Trigger")
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
    regexp: str | None = Field(default=None, description="Only keys matching this regular expression (full match).")
    action: Literal["MOVE", "DELETE", "NONE"] = Field(description="What to do with the objects once their execution is recorded.")
    moveTo: MoveTo | None = Field(default=None, description="Where MOVE puts the objects.")
    maxKeys: int = Field(default=1000, ge=1, le=1000, description="Keys listed per request.")
    maxFiles: int = Field(default=25, ge=1, description="Most objects per execution; the rest wait for the next poll.")
    region: str | None = Field(default=None, description="AWS region (rendered).")
    endpointOverride: str | None = Field(default=None, description="URL of an S3-compatible server (rendered).")
    accessKeyId: str | None = Field(default=None, description="Access key id (rendered).")
    secretKeyId: str | None = Field(default=None, description="Secret access key (rendered).")
    sessionToken: str | None = Field(default=None, description="Session token of temporary credentials (rendered).")
    forcePathStyle: bool = Field(default=False, description="Address buckets as https://host/bucket (most S3-compatible servers want this).")
    compatibilityMode: bool = Field(default=False, description="Kestra compatibility: accepted.")

    @field_validator("regexp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regexp is not a regular expression")

    @model_validator(mode="after")
    def _move_needs_target(self) -> S3Trigger:
        if self.action == "MOVE" and self.moveTo is None:
            raise ValueError("action MOVE needs moveTo")
        return self

    def source(self) -> PollingSource:
        return _S3Source(self)


class _Settings:
    """The rendered properties of one poll."""

    def __init__(self, trigger: S3Trigger, ctx: TriggerContext):
        def text(value: Any) -> str | None:
            return None if value is None else str(ctx.render(value))

        self.bucket = text(trigger.bucket) or ""
        self.prefix = text(trigger.prefix) or ""
        self.move_key = text(trigger.moveTo.key) if trigger.moveTo else None
        self.move_bucket = (text(trigger.moveTo.bucket) if trigger.moveTo else None) or self.bucket
        self.client_args = {
            "region_name": text(trigger.region) or "us-east-1", "endpoint_url": text(trigger.endpointOverride),
            "aws_access_key_id": text(trigger.accessKeyId), "aws_secret_access_key": text(trigger.secretKeyId),
            "aws_session_token": text(trigger.sessionToken),
        }


class _S3Source:
    def __init__(self, trigger: S3Trigger):
        self.trigger = trigger
        self.pattern = regex.compile(trigger.regexp) if trigger.regexp else None

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        settings = _Settings(self.trigger, ctx)
        return await asyncio.to_thread(self._poll, ctx, settings)

    def _client(self, settings: _Settings) -> Any:
        import botocore.config
        import botocore.session

        style = {"addressing_style": "path"} if self.trigger.forcePathStyle or settings.client_args["endpoint_url"] else {}
        config = botocore.config.Config(s3=style, retries={"max_attempts": 3}, connect_timeout=30, read_timeout=60)
        return botocore.session.get_session().create_client("s3", config=config, **settings.client_args)

    def _poll(self, ctx: TriggerContext, settings: _Settings) -> Poll | None:
        client = self._client(settings)
        seen: dict[str, str] = dict(ctx.state.get("seen", {}))
        present = {o["Key"]: o for o in self._list(client, settings)}
        if self.trigger.action != "NONE":
            # Objects fired before but still here: a crash came between the fire and its MOVE/DELETE.
            self._act(client, settings, [o for k, o in present.items() if seen.get(k) == o["ETag"]])
        fresh = sorted((o for k, o in present.items() if seen.get(k) != o["ETag"]),
                       key=lambda o: (o["LastModified"], o["Key"]))
        batch = fresh[: self.trigger.maxFiles]
        if not batch:
            return None
        objects = [self._describe(ctx, client, settings, o) for o in batch]
        kept = {k: etag for k, etag in seen.items() if k in present}
        kept.update({o["Key"]: o["ETag"] for o in batch})

        async def commit() -> None:
            await asyncio.to_thread(self._act, self._client(settings), settings, batch)

        return Poll(variables={"objects": objects}, state={"seen": kept}, on_commit=commit)

    def _list(self, client: Any, settings: _Settings) -> list[dict[str, Any]]:
        found = []
        paginator = client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=settings.bucket, Prefix=settings.prefix,
                                   PaginationConfig={"PageSize": self.trigger.maxKeys})
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"]
                if key.endswith("/"):
                    continue  # a "folder" marker
                if settings.move_key and settings.move_bucket == settings.bucket and key.startswith(settings.move_key):
                    continue  # already moved: moveTo inside the watched prefix
                if self.pattern is not None and not self.pattern.fullmatch(key):
                    continue
                found.append(item)
        return found

    def _describe(self, ctx: TriggerContext, client: Any, settings: _Settings, item: dict[str, Any]) -> dict[str, Any]:
        key = item["Key"]
        described: dict[str, Any] = {
            "key": key, "bucket": settings.bucket, "size": item["Size"], "etag": item["ETag"].strip('"'),
            "lastModified": item["LastModified"].isoformat(),
        }
        if ctx.storage is not None:
            with tempfile.TemporaryDirectory(prefix="legato-s3-") as folder:
                local = Path(folder) / "object"
                body = client.get_object(Bucket=settings.bucket, Key=key)["Body"]
                with local.open("wb") as handle:
                    for chunk in body.iter_chunks(1 << 20):
                        handle.write(chunk)
                described["uri"] = ctx.storage.put_file(ctx.file_uri(key.rsplit("/", 1)[-1] or "object"), local)
        return described

    def _act(self, client: Any, settings: _Settings, items: list[dict[str, Any]]) -> None:
        for item in items:
            key = item["Key"]
            if self.trigger.action == "MOVE" and settings.move_key is not None:
                relative = key[len(settings.prefix):] if key.startswith(settings.prefix) else key
                target = settings.move_key.rstrip("/") + "/" + relative.lstrip("/") if settings.move_key else relative
                client.copy_object(Bucket=settings.move_bucket, Key=target,
                                   CopySource={"Bucket": settings.bucket, "Key": key})
            if self.trigger.action in ("MOVE", "DELETE"):
                client.delete_object(Bucket=settings.bucket, Key=key)
