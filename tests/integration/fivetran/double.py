"""A test double of Fivetran's REST API for connectors (the shapes of fivetran.com/docs/rest-api "Retrieve
connection details" and "Sync connection data"), at the paths Kestra's Fivetran plugin calls:

- GET /v2/connectors/{id} answers `{"code": "Success", "data": {"id", "schema", "paused", "sync_frequency"
  (minutes), "schedule_type", "succeeded_at", "failed_at", "status": {"setup_state", "sync_state", ...}}}`;
- POST /v2/connectors/{id}/sync with `{"force": bool}` answers `{"code": "Success", "message": ...}`; the
  connector then reports `sync_state: syncing` at the next read and has ended at the read after (a new
  `succeeded_at`, or `failed_at` for a connector in `failing`).

Basic authentication with KEY:SECRET; the `flaky` connector answers 503 to every other read."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

KEY, SECRET = "fivetran-key", "fivetran-secret"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FivetranDouble(ApiDouble):
    def __init__(self, failing: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.failing = failing
        self.syncing: dict[str, int] = {}
        self.reads = 0
        earlier = datetime.now(UTC) - timedelta(hours=3)
        self.connectors: dict[str, dict[str, Any]] = {
            name: {"id": name, "group_id": "warehouse", "service": "postgres", "schema": f"{name}_schema",
                   "paused": name == "paused_one", "sync_frequency": 60, "schedule_type": "auto",
                   "succeeded_at": _iso(earlier), "failed_at": None,
                   "status": {"setup_state": "connected", "sync_state": "scheduled", "update_state": "on_schedule",
                              "is_historical_sync": False, "tasks": [], "warnings": []}}
            for name in ("enterprise_sprout", "warehouse_replica", "broken_pipe", "flaky", "paused_one")
        }
        self.route("GET", r"/v2/connectors/(?P<cid>[^/]+)", self._get)
        self.route("POST", r"/v2/connectors/(?P<cid>[^/]+)/sync", self._sync)

    def authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        return request.headers.get("authorization") == expected

    def _get(self, request: Request, cid: str) -> Reply:
        connector = self.connectors.get(cid)
        if connector is None:
            return Reply(404, {"code": "NotFound_Connector", "message": f"Connector with id '{cid}' doesn't exist"})
        self.reads += 1
        if cid == "flaky" and self.reads % 2 == 0:
            return Reply(503, {"code": "ServiceUnavailable"})
        if cid in self.syncing:
            self.syncing[cid] += 1
            if self.syncing[cid] == 1:
                connector["status"]["sync_state"] = "syncing"
            else:
                del self.syncing[cid]
                connector["status"]["sync_state"] = "scheduled"
                moment = _iso(datetime.now(UTC))
                if cid in self.failing:
                    connector["failed_at"] = moment
                else:
                    connector["succeeded_at"] = moment
        return Reply(200, {"code": "Success", "data": connector})

    def _sync(self, request: Request, cid: str) -> Reply:
        if cid not in self.connectors:
            return Reply(404, {"code": "NotFound_Connector", "message": f"Connector with id '{cid}' doesn't exist"})
        self.syncing[cid] = 0
        return Reply(200, {"code": "Success", "message": f"Sync has been successfully triggered for connector with id '{cid}'"})
