"""Zones (`/zones`), their cache (`/zones/{zone_id}/purge_cache`) and their WAF IP access rules
(`/zones/{zone_id}/firewall/access_rules/rules`)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import Field

from legato.model.task import TASKS
from legato.plugins.cloudflare.api import CloudflareTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.runnable import Expression, render_as, render_optional, render_optional_text, render_text


@TASKS.register
class ListZones(CloudflareTask):
    """The zones the token reaches, optionally of one name or status; outputs `zones` ({id, name, status}) and
    `size`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.zones.List"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: zones
type: io.kestra.plugin.cloudflare.zones.List
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
""",
    )

    name: str | None = Field(default=None, description="Only the zone of this domain name (rendered).")
    status: str | None = Field(default=None, description="Only zones in this status, e.g. active (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        zones: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"name": render_optional_text(ctx, self.name), "status": render_optional_text(ctx, self.status),
                      "page": page, "per_page": 50}
            found = await self.call(ctx, "GET", "/zones", params={k: v for k, v in params.items() if v is not None}) or []
            zones += [{"id": z.get("id"), "name": z.get("name"), "status": z.get("status")} for z in found]
            if len(found) < 50:
                return {"zones": zones, "size": len(zones)}
            page += 1


@TASKS.register
class Purge(CloudflareTask):
    """Purge a zone's cache: everything (`purgeAll`), or the `files` (URLs), `tags`, `hosts` or `prefixes` given;
    outputs the purge's `id`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.cache.Purge"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: purge
type: io.kestra.plugin.cloudflare.cache.Purge
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
files:
  - https://www.example.com/index.html
""",
    )

    zoneId: str = Field(description="The zone's identifier (rendered).")
    purgeAll: bool | Expression = Field(default=False, description="Purge everything the zone has cached.")
    files: list[str] | Expression | None = Field(default=None, description="URLs to purge.")
    tags: list[str] | Expression | None = Field(default=None, description="Cache tags to purge (Enterprise zones).")
    hosts: list[str] | Expression | None = Field(default=None, description="Host names to purge.")
    prefixes: list[str] | Expression | None = Field(default=None, description="URL prefixes to purge.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        if render_as(ctx, self.purgeAll, bool, "purgeAll"):
            body: dict[str, Any] = {"purge_everything": True}
        else:
            body = {k: v for k in ("files", "tags", "hosts", "prefixes")
                    if (v := render_optional(ctx, getattr(self, k), list[str], k))}
            if not body:
                raise TaskFailed("set purgeAll: true, or give files, tags, hosts or prefixes to purge")
        done = await self.call(ctx, "POST", f"/zones/{render_text(ctx, self.zoneId)}/purge_cache", json=body)
        return {"id": (done or {}).get("id")}


Mode = Literal["block", "challenge", "whitelist", "js_challenge", "managed_challenge"]
Target = Literal["ip", "ip6", "ip_range", "asn", "country"]


@TASKS.register
class CreateAccessRule(CloudflareTask):
    """Create an IP access rule on a zone (allow, block or challenge an IP, range, ASN or country); outputs the
    rule's `id`, `mode` and `notes`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.waf.accessrules.Create"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: allow_office
type: io.kestra.plugin.cloudflare.waf.accessrules.Create
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
mode: whitelist
target: ip
value: 198.51.100.4
notes: office
""",
    )

    zoneId: str = Field(description="The zone's identifier (rendered).")
    mode: Mode | Expression = Field(description="What the rule does: block, challenge, whitelist, js_challenge or managed_challenge.")
    target: str = Field(description="What `value` is: ip, ip6, ip_range, asn or country (any case).")
    value: str = Field(description="The IP, range, ASN or country code (rendered).")
    notes: str | None = Field(default=None, description="A note on the rule (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        target = render_text(ctx, self.target).strip().lower()
        if target not in get_args(Target):
            raise TaskFailed(f"property 'target': {target!r} is not one of ip, ip6, ip_range, asn, country")
        body = {"mode": render_as(ctx, self.mode, Mode, "mode"),
                "configuration": {"target": target, "value": render_text(ctx, self.value)},
                "notes": render_optional_text(ctx, self.notes) or ""}
        done = await self.call(ctx, "POST", f"/zones/{render_text(ctx, self.zoneId)}/firewall/access_rules/rules", json=body)
        return {"id": (done or {}).get("id"), "mode": (done or {}).get("mode"), "notes": (done or {}).get("notes")}


@TASKS.register
class DeleteAccessRule(CloudflareTask):
    """Delete a zone's IP access rule by its id; outputs `id`."""

    TYPE: ClassVar[str] = "io.kestra.plugin.cloudflare.waf.accessrules.Delete"
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: remove_rule
type: io.kestra.plugin.cloudflare.waf.accessrules.Delete
apiToken: "{{ secret('CLOUDFLARE_API_TOKEN') }}"
zoneId: 023e105f4ecef8ad9ca31a8372d0c353
ruleId: "{{ outputs.allow_office.id }}"
""",
    )

    zoneId: str = Field(description="The zone's identifier (rendered).")
    ruleId: str = Field(description="The rule's identifier (rendered).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        path = f"/zones/{render_text(ctx, self.zoneId)}/firewall/access_rules/rules/{render_text(ctx, self.ruleId)}"
        done = await self.call(ctx, "DELETE", path)
        return {"id": (done or {}).get("id")}
