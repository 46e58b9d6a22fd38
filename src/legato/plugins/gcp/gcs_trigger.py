"""gcp.gcs.Trigger: start the flow when objects arrive in (or change in) a Cloud Storage folder.

Each poll lists `from` (one level, or everything under it with `listingType: RECURSIVE`; objects whose gs:// URI
matches `regExp`) and fires one execution for the new or changed objects (`on`; at most `maxFiles`), each copied
to internal storage: `trigger.blobs` is a list of Kestra's Blob (uri: the stored copy, name, bucket, size, ...)
with a `changeType`. Once the execution is recorded, `action` MOVE copies them under `moveDirectory` and deletes
the originals, DELETE deletes them, NONE (the default) leaves them: they fire again only once they change. The
cursor remembers the generations it fired, so a restart fires nothing twice.
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
from legato.plugins.gcp import connection, gcs
from legato.plugins.gcp.connection import KESTRA, GcpConnection
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


@TRIGGERS.register
class GcsTrigger(PollingTrigger, GcpConnection):
    """Start the flow when objects appear or change in a Cloud Storage folder."""

    TYPE: ClassVar[str] = "gcp.gcs.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.gcs.Trigger",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("google.cloud.storage",)
    EXTRA: ClassVar[str] = "gcp"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: watch
    type: io.kestra.plugin.gcp.gcs.Trigger
    interval: PT5M
    serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
    from: gs://my-bucket/incoming/
    action: MOVE
    moveDirectory: gs://my-bucket/archive/
""",
    )

    from_: str = Field(alias="from", description="The gs://bucket/folder to watch (rendered).")
    action: objectstore.Action = Field(default="NONE", description="What to do with the objects once their execution is recorded: NONE, MOVE or DELETE.")
    moveDirectory: str | None = Field(default=None, description="Where MOVE puts the objects, gs://bucket/folder (rendered).")
    listingType: gcs.ListingType = Field(default="DIRECTORY", description="DIRECTORY: one level under `from`; RECURSIVE: everything under it.")
    regExp: str | None = Field(default=None, description="Only objects whose gs:// URI matches this regular expression (whole URI).")
    on: objectstore.On = Field(default="CREATE_OR_UPDATE", description="Fire for new objects (CREATE), changed ones (UPDATE) or both.")
    stateKey: str | None = Field(default=None, description="Kestra compatibility: accepted (the trigger's state is its own).")
    stateTtl: str | None = Field(default=None, description="Kestra compatibility: accepted.")
    maxFiles: int = Field(default=25, ge=1, description="Most objects per execution; the rest wait for the next poll.")

    @field_validator("regExp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regExp is not a regular expression")

    @model_validator(mode="after")
    def _move_needs_target(self) -> GcsTrigger:
        if self.action == "MOVE" and not self.moveDirectory:
            raise ValueError("action MOVE needs moveDirectory")
        return self

    def source(self) -> PollingSource:
        return _GcsSource(self)


class _GcsSource:
    def __init__(self, trigger: GcsTrigger):
        self.trigger = trigger
        self.known: dict[str, str] = {}  # with `on: UPDATE`: versions found before their first change (see aws.s3)

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        return await asyncio.to_thread(self._poll, ctx)

    def _poll(self, ctx: TriggerContext) -> Poll | None:
        client = connection.storage_client(self.trigger, ctx.render)
        move = None if self.trigger.moveDirectory is None else str(ctx.render(self.trigger.moveDirectory))
        seen: dict[str, str] = dict(ctx.state.get("seen", {}))
        present = {j["name"]: j for b, j in gcs.listing(client, str(ctx.render(self.trigger.from_)), self.trigger.listingType, None)
                   if b is not None and not j["name"].endswith("/")
                   and (self.trigger.regExp is None or objectstore.keep(j["uri"], self.trigger.regExp, "BOTH"))}
        version = {name: f"{j['etag']}:{j['updateTime']}" for name, j in present.items()}
        if self.trigger.action != "NONE":
            gcs.act(client, [present[n] for n in present if seen.get(n) == version[n]], self.trigger.action, move)
        known = {**self.known, **seen}
        on = self.trigger.on
        fresh = [n for n in present if known.get(n) != version[n]
                 and (on == "CREATE_OR_UPDATE" or (on == "UPDATE") == (n in known))]
        if on == "UPDATE":
            self.known.update({n: version[n] for n in present if n not in known})
        batch = sorted(fresh, key=lambda n: (present[n]["updateTime"] or "", n))[: self.trigger.maxFiles]
        if not batch:
            return None
        blobs = []
        for name in batch:
            item = present[name]
            stored = None
            if ctx.storage is not None:
                stored = self._store(ctx, client, item)
            blobs.append({**item, "uri": stored or item["uri"], "changeType": "UPDATE" if name in known else "CREATE"})
        kept = {n: v for n, v in {**self.known, **seen}.items() if n in present}
        kept.update({n: version[n] for n in batch})

        async def commit() -> None:
            await asyncio.to_thread(gcs.act, connection.storage_client(self.trigger, ctx.render), [present[n] for n in batch],
                                    self.trigger.action, move)

        return Poll(variables={"blobs": blobs}, state={"seen": kept}, on_commit=commit)

    @staticmethod
    def _store(ctx: TriggerContext, client: Any, item: dict[str, Any]) -> str:
        assert ctx.storage is not None
        with tempfile.TemporaryDirectory(prefix="legato-gcs-") as folder:
            local = Path(folder) / "object"
            client.bucket(item["bucket"]).blob(item["name"]).download_to_filename(str(local))
            return ctx.storage.put_file(ctx.file_uri(item["name"].rsplit("/", 1)[-1] or "object"), local)
