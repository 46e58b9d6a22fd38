"""A test double of Cloudflare's API v4 (developers.cloudflare.com/api: "DNS Records for a Zone", "Zone", "Purge
Cached Content", "IP Access rules for a zone"), over in-memory zones, every answer in the v4 envelope
`{"success", "errors", "messages", "result"}`:

- GET /zones (`name`, `status`, `page`, `per_page`) → the zones; GET /zones/{zone}/dns_records (`name`, `type`)
  → the records; POST .../dns_records → the created record (an `id` of 32 hex digits); PATCH and DELETE
  .../dns_records/{id} → the record, `{"id"}`; POST .../dns_records/batch with `deletes`, `patches`, `puts`,
  `posts`, applied in that order → `{"deletes", "patches", "puts", "posts"}` of records;
- POST /zones/{zone}/purge_cache with `purge_everything` or `files`/`tags`/`hosts`/`prefixes` → `{"id"}`;
- POST and DELETE /zones/{zone}/firewall/access_rules/rules[/{id}] → the rule, `{"id"}`;
- an unknown zone or record: 404 with `errors: [{"code": 7003, "message": "Could not route to ..."}]` or
  `[{"code": 81044, "message": "Record does not exist."}]`; a request without `Authorization: Bearer <token>`:
  403 with `[{"code": 10000, "message": "Authentication error"}]`."""

from __future__ import annotations

import itertools
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "cf-token"
ZONE = "023e105f4ecef8ad9ca31a8372d0c353"


def ok(result: Any, status: int = 200) -> Reply:
    return Reply(status, {"success": True, "errors": [], "messages": [], "result": result})


def failed(status: int, code: int, message: str) -> Reply:
    return Reply(status, {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None})


class CloudflareDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.zones: dict[str, dict[str, Any]] = {ZONE: {"id": ZONE, "name": "example.com", "status": "active"}}
        self.records: dict[str, dict[str, dict[str, Any]]] = {ZONE: {}}
        self.rules: dict[str, dict[str, Any]] = {}
        self.purges: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        z = r"/zones/(?P<zone>[0-9a-f]+)"
        self.route("GET", r"/zones", self._zones)
        self.route("GET", z + r"/dns_records", self._list)
        self.route("POST", z + r"/dns_records", self._create)
        self.route("POST", z + r"/dns_records/batch", self._batch)
        self.route("PATCH", z + r"/dns_records/(?P<rid>[0-9a-f]+)", self._patch)
        self.route("DELETE", z + r"/dns_records/(?P<rid>[0-9a-f]+)", self._delete)
        self.route("POST", z + r"/purge_cache", self._purge)
        self.route("POST", z + r"/firewall/access_rules/rules", self._rule)
        self.route("DELETE", z + r"/firewall/access_rules/rules/(?P<rid>[0-9a-f]+)", self._unrule)

    def dispatch(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            with self.lock:
                self.requests.append(request)
            return failed(403, 10000, "Authentication error")
        return super().dispatch(request)

    def new_id(self) -> str:
        return f"{next(self._ids):032x}"

    def _zones(self, request: Request) -> Reply:
        zones = [z for z in self.zones.values()
                 if all(z.get(k) == request.query[k][0] for k in ("name", "status") if k in request.query)]
        page, size = int(request.query.get("page", ["1"])[0]), int(request.query.get("per_page", ["20"])[0])
        return ok(zones[(page - 1) * size:page * size])

    def _zone(self, zone: str) -> dict[str, dict[str, Any]] | None:
        return self.records.get(zone)

    def _list(self, request: Request, zone: str) -> Reply:
        records = self._zone(zone)
        if records is None:
            return failed(404, 7003, f"Could not route to /zones/{zone}/dns_records, perhaps your object identifier is invalid?")
        return ok([r for r in records.values()
                   if all(r.get(k) == request.query[k][0] for k in ("name", "type") if k in request.query)])

    def _add(self, records: dict[str, dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
        record = {"id": self.new_id(), "ttl": 1, "proxied": False, **body}
        records[record["id"]] = record
        return record

    def _create(self, request: Request, zone: str) -> Reply:
        records = self._zone(zone)
        if records is None:
            return failed(404, 7003, "Could not route")
        return ok(self._add(records, request.body))

    def _patch(self, request: Request, zone: str, rid: str) -> Reply:
        record = (self._zone(zone) or {}).get(rid)
        if record is None:
            return failed(404, 81044, "Record does not exist.")
        record.update(request.body)
        return ok(record)

    def _delete(self, request: Request, zone: str, rid: str) -> Reply:
        if (self._zone(zone) or {}).pop(rid, None) is None:
            return failed(404, 81044, "Record does not exist.")
        return ok({"id": rid})

    def _batch(self, request: Request, zone: str) -> Reply:
        records = self._zone(zone)
        if records is None:
            return failed(404, 7003, "Could not route")
        body, done = request.body, {"deletes": [], "patches": [], "puts": [], "posts": []}
        for item in body.get("deletes", []):
            done["deletes"].append(records.pop(item["id"]))
        for item in body.get("patches", []):
            records[item["id"]].update(item)
            done["patches"].append(records[item["id"]])
        for item in body.get("puts", []):
            records[item["id"]] = dict(item)
            done["puts"].append(records[item["id"]])
        for item in body.get("posts", []):
            done["posts"].append(self._add(records, item))
        return ok(done)

    def _purge(self, request: Request, zone: str) -> Reply:
        self.purges.append(request.body)
        return ok({"id": zone})

    def _rule(self, request: Request, zone: str) -> Reply:
        rule = {"id": self.new_id(), **request.body}
        self.rules[rule["id"]] = rule
        return ok(rule)

    def _unrule(self, request: Request, zone: str, rid: str) -> Reply:
        if self.rules.pop(rid, None) is None:
            return failed(404, 10001, "Access rule not found")
        return ok({"id": rid})
