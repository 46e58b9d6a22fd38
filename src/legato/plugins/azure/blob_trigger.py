"""azure.storage.blob.Trigger: start the flow when blobs arrive in (or change in) a container.

Each poll lists `container` (under `prefix`, names matching `regexp`, `filter`) and fires one execution for the
new or changed blobs (`on`; at most `maxFiles`), each copied to internal storage: `trigger.blobs` is a list of
{uri (the stored copy), container, name, size, lastModified, eTag, changeType}. Once the execution is recorded,
`action` MOVE copies them under `moveTo.name` and deletes the originals, DELETE deletes them, NONE leaves them
(they fire again only once their ETag changes). The cursor remembers the ETags it fired, so a restart fires
nothing twice.
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
from legato.plugins.azure import blob, connection
from legato.plugins.azure.connection import KESTRA, AzureConnection
from legato.plugins.triggers.base import Poll, PollingSource, PollingTrigger, TriggerContext


@TRIGGERS.register
class BlobTrigger(PollingTrigger, AzureConnection):
    """Start the flow when blobs appear or change in an Azure Blob Storage container."""

    TYPE: ClassVar[str] = "azure.storage.blob.Trigger"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.Trigger",)
    REQUIRES: ClassVar[tuple[str, ...]] = ("azure.storage.blob",)
    EXTRA: ClassVar[str] = "azure"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
triggers:
  - id: watch
    type: io.kestra.plugin.azure.storage.blob.Trigger
    interval: PT5M
    endpoint: https://yourblob.blob.core.windows.net
    connectionString: "{{ secret('AZURE_STORAGE_CONNECTION_STRING') }}"
    container: mydata
    prefix: trigger/storage-listen
    action: MOVE
    moveTo:
      container: mydata
      name: archive
""",
    )

    container: str = Field(description="The container to watch (rendered).")
    prefix: str | None = Field(default=None, description="Only blobs whose name starts with this (rendered).")
    regexp: str | None = Field(default=None, description="Only blobs whose name matches this regular expression (whole name).")
    delimiter: str | None = Field(default=None, description="List one level: names sharing a prefix up to this character count as one directory.")
    action: objectstore.Action = Field(description="What to do with the blobs once their execution is recorded: MOVE, DELETE or NONE.")
    moveTo: blob.CopyObject | None = Field(default=None, description="Where MOVE puts the blobs (name: the folder; container: another container).")
    filter: objectstore.Filter = Field(default="FILES", description="FILES, DIRECTORY or BOTH.")
    maxFiles: int = Field(default=25, ge=1, description="Most blobs per execution; the rest wait for the next poll.")
    on: objectstore.On = Field(default="CREATE_OR_UPDATE", description="Fire for new blobs (CREATE), changed ones (UPDATE) or both.")
    stateKey: str | None = Field(default=None, description="Kestra compatibility: accepted (the trigger's state is its own).")
    stateTtl: str | None = Field(default=None, description="Kestra compatibility: accepted.")

    @field_validator("regexp")
    @classmethod
    def _regexp(cls, value: str | None) -> str | None:
        return check_regex(value, "regexp is not a regular expression")

    @model_validator(mode="after")
    def _move_needs_target(self) -> BlobTrigger:
        if self.action == "MOVE" and (self.moveTo is None or self.moveTo.name is None):
            raise ValueError("action MOVE needs moveTo with a name")
        return self

    def source(self) -> PollingSource:
        return _BlobSource(self)


class _BlobSource:
    def __init__(self, trigger: BlobTrigger):
        self.trigger = trigger
        self.known: dict[str, str] = {}  # with `on: UPDATE`: ETags found before their first change (see aws.s3)

    async def poll(self, ctx: TriggerContext) -> Poll | None:
        return await asyncio.to_thread(self._poll, ctx)

    def _text(self, ctx: TriggerContext, value: Any) -> str | None:
        return None if value is None else (str(ctx.render(value)) or None)

    def _poll(self, ctx: TriggerContext) -> Poll | None:
        service = connection.service_client(self.trigger, ctx.render)
        container = self._text(ctx, self.trigger.container) or ""
        move_name = self._text(ctx, self.trigger.moveTo.name) if self.trigger.moveTo else None
        present = {b["name"]: b for b in blob.listed(service, container, self._text(ctx, self.trigger.prefix),
                                                     self._text(ctx, self.trigger.delimiter), self.trigger.regexp, self.trigger.filter)
                   if not b["name"].endswith("/") and not (move_name and b["name"].startswith(move_name.rstrip("/") + "/"))}
        seen: dict[str, str] = dict(ctx.state.get("seen", {}))
        if self.trigger.action != "NONE":
            self._act(ctx, service, [present[n] for n in present if seen.get(n) == present[n]["eTag"]])
        known = {**self.known, **seen}
        on = self.trigger.on
        fresh = [n for n in present if known.get(n) != present[n]["eTag"]
                 and (on == "CREATE_OR_UPDATE" or (on == "UPDATE") == (n in known))]
        if on == "UPDATE":
            self.known.update({n: present[n]["eTag"] for n in present if n not in known})
        batch = sorted(fresh, key=lambda n: (present[n]["lastModified"] or "", n))[: self.trigger.maxFiles]
        if not batch:
            return None
        blobs = [{**present[n], "uri": self._store(ctx, service, present[n]), "changeType": "UPDATE" if n in known else "CREATE"}
                 for n in batch]
        kept = {n: v for n, v in {**self.known, **seen}.items() if n in present}
        kept.update({n: present[n]["eTag"] for n in batch})

        async def commit() -> None:
            await asyncio.to_thread(self._act, ctx, connection.service_client(self.trigger, ctx.render), [present[n] for n in batch])

        return Poll(variables={"blobs": blobs}, state={"seen": kept}, on_commit=commit)

    def _act(self, ctx: TriggerContext, service: Any, blobs: list[dict[str, Any]]) -> None:
        for item in blobs:
            if self.trigger.action == "MOVE" and self.trigger.moveTo is not None and self.trigger.moveTo.name is not None:
                target = self._text(ctx, self.trigger.moveTo.container) or item["container"]
                name = objectstore.moved_name(str(ctx.render(self.trigger.moveTo.name)), item["name"])
                blob.copy(service, (item["container"], item["name"]), (target, name), True)
            elif self.trigger.action == "DELETE":
                service.get_blob_client(item["container"], item["name"]).delete_blob()

    @staticmethod
    def _store(ctx: TriggerContext, service: Any, item: dict[str, Any]) -> str:
        if ctx.storage is None:
            return str(item["uri"])
        with tempfile.TemporaryDirectory(prefix="legato-azure-") as folder:
            local = Path(folder) / "object"
            with local.open("wb") as out:
                service.get_blob_client(item["container"], item["name"]).download_blob().readinto(out)
            return ctx.storage.put_file(ctx.file_uri(item["name"].rsplit("/", 1)[-1] or "object"), local)
