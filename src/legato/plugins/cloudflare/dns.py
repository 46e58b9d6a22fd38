"""DNS records of a zone (`/zones/{zone_id}/dns_records`): create one, create-or-update one by name and type
(`Upsert`: the first record of that name and type is patched, else one is created), list, delete, and apply a
batch of deletes, patches, puts and posts in one call (Cloudflare applies them in that order)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.cloudflare.api import CloudflareTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as, render_optional, render_optional_text, render_text

RecordType = Literal["A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "PTR", "CAA", "SOA"]
_KEYS = ("id", "name", "type", "content", "proxied", "ttl")


def _record(found: dict[str, Any]) -> dict[str, Any]:
    return {k: found.get(k) for k in _KEYS}


class _Zone(CloudflareTask):
    zoneId: str = Field(description="The zone's identifier (rendered).")

    def records(self, ctx: RunContext) -> str:
        return f"/zones/{render_text(ctx, self.zoneId)}/dns_records"


class _Record(_Zone):
    recordType: RecordType | Expression = Field(description="The record's type: A, AAAA, CNAME, TXT, MX, NS, SRV, PTR, CAA or SOA.")
    name: str = Field(description="The record's name, e.g. app.example.com (rendered).")
    content: str = Field(description="The record's content, e.g. an IP address (rendered).")
    ttl: int | Expression = Field(default=1, description="Time to live in seconds; 1 is automatic.")
    proxied: bool | Expression = Field(default=False, description="Whether Cloudflare proxies the traffic (A, AAAA and CNAME only).")

    def body(self, ctx: RunContext) -> dict[str, Any]:
        return {"type": render_as(ctx, self.recordType, RecordType, "recordType"), "name": render_text(ctx, self.name),
                "content": render_text(ctx, self.content), "ttl": render_as(ctx, self.ttl, int, "ttl"),
                "proxied": render_as(ctx, self.proxied, bool, "proxied")}


@TASKS.register
class Create(_Record):
    """Create a DNS record; outputs the record: `id`, `name`, `type`, `content`, `proxied`, `ttl`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.dns.records.Create"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_record
type: io.kestra.plugin.cloudflare.dns.records.Create
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
recordType: A
name: app.example.com
content: 203.0.113.10
proxied: true
""",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return _record(await self.call(ctx, "POST", self.records(ctx), json=self.body(ctx)))


@TASKS.register
class Upsert(_Record):
    """Create a DNS record, or patch the first one of the same name and type; outputs the record and `action`
    (`created` or `updated`)."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.dns.records.Upsert"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: point_app
type: io.kestra.plugin.cloudflare.dns.records.Upsert
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
recordType: A
name: app.example.com
content: "{{ inputs.ip }}"
""",
    )

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        body = self.body(ctx)
        found = await self.call(ctx, "GET", self.records(ctx), params={"name": body["name"], "type": body["type"]})
        if found:
            record = await self.call(ctx, "PATCH", f"{self.records(ctx)}/{found[0]['id']}", json=body)
            return {**_record(record), "action": "updated"}
        return {**_record(await self.call(ctx, "POST", self.records(ctx), json=body)), "action": "created"}


@TASKS.register
class List(_Zone):
    """List the DNS records of a zone, optionally of one name or type; outputs `records` and `size`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.dns.records.List"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: records
type: io.kestra.plugin.cloudflare.dns.records.List
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
recordType: A
""",
    )

    name: str | None = Field(default=None, description="Only records of this name (rendered).")
    recordType: RecordType | Expression | None = Field(default=None, description="Only records of this type.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        params = {"name": render_optional_text(ctx, self.name), "type": render_optional(ctx, self.recordType, RecordType, "recordType"),
                  "per_page": 5000}
        found = await self.call(ctx, "GET", self.records(ctx), params={k: v for k, v in params.items() if v is not None})
        records = [_record(r) for r in found or []]
        return {"records": records, "size": len(records)}


@TASKS.register
class Delete(_Zone):
    """Delete a DNS record by its id; outputs `id`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.dns.records.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: remove_record
type: io.kestra.plugin.cloudflare.dns.records.Delete
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
recordId: "{{ outputs.create_record.id }}"
""",
    )

    recordId: str = Field(description="The record's identifier (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        done = await self.call(ctx, "DELETE", f"{self.records(ctx)}/{render_text(ctx, self.recordId)}")
        return {"id": (done or {}).get("id")}


@TASKS.register
class Batch(_Zone):
    """Apply `deletes` ({id}), `patches` ({id, ...fields}), `puts` ({id, ...record}) and `posts` (records) in one
    call, which Cloudflare runs in that order; at least one must be given. Outputs the records of each part."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.dns.records.Batch"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: apply_records
type: io.kestra.plugin.cloudflare.dns.records.Batch
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
posts:
  - {type: A, name: app1.example.com, content: 203.0.113.1, ttl: 1, proxied: false}
  - {type: A, name: app2.example.com, content: 203.0.113.2, ttl: 1, proxied: false}
""",
    )

    deletes: list[dict[str, Any]] | Expression | None = Field(default=None, description="Records to delete: `{id}` each.")
    patches: list[dict[str, Any]] | Expression | None = Field(default=None, description="Fields to change: `{id, ...}` each.")
    puts: list[dict[str, Any]] | Expression | None = Field(default=None, description="Records to replace: `{id, type, name, content, ...}` each.")
    posts: list[dict[str, Any]] | Expression | None = Field(default=None, description="Records to create: `{type, name, content, ttl, proxied}` each.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        parts = {part: render_optional(ctx, getattr(self, part), list[dict[str, Any]], part)
                 for part in ("deletes", "patches", "puts", "posts")}
        body = {part: items for part, items in parts.items() if items}
        if not body:
            raise TaskFailed("give at least one of deletes, patches, puts or posts")
        done = await self.call(ctx, "POST", f"{self.records(ctx)}/batch", json=body) or {}
        return {part: [_record(r) for r in done.get(part) or []] for part in ("deletes", "patches", "puts", "posts")}
