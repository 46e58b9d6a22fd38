"""Cloudflare (Kestra's `io.kestra.plugin.cloudflare.*`) over Cloudflare's API v4 with httpx: DNS records
(`dns.records.Create`, `Upsert`, `List`, `Delete`, `Batch`), cache purges (`cache.Purge`), zones (`zones.List`)
and WAF IP access rules (`waf.accessrules.Create`, `Delete`). Registered through the `legato.plugins` entry point
`cloudflare`; needs no extra package."""

from legato.plugins.cloudflare import dns, zones

__all__ = ["dns", "zones"]
