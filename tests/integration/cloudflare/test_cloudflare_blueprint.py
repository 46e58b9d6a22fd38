"""The Cloudflare blueprint end to end with `legato flow run` against the API v4 test double: created on the first
run, updated on the second, the cache purged for the host each time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.flow_cli import ALLOW_LOOPBACK, blueprint, run_flow
from tests.integration.cloudflare.double import TOKEN, ZONE, CloudflareDouble


def test_dns_cutover_creates_then_updates_and_purges(tmp_path: Path) -> None:
    double = CloudflareDouble()
    with double.serve() as url:

        def point(task: dict[str, Any]) -> None:
            if task["type"].startswith("io.kestra.plugin.cloudflare."):
                task["baseUrl"] = url

        for ip, action in (("203.0.113.10", "created"), ("203.0.113.11", "updated")):
            done = run_flow(blueprint("cloudflare_dns_cutover", point), tmp_path, env=ALLOW_LOOPBACK,
                            secrets={"CLOUDFLARE_API_TOKEN": TOKEN}, inputs={"ip": ip})
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            assert f"app.example.com now points to {ip} ({action})" in done.stdout
    [record] = double.records[ZONE].values()
    assert (record["content"], record["proxied"]) == ("203.0.113.11", True)
    assert double.purges == [{"hosts": ["app.example.com"]}] * 2
