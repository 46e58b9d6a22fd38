"""A test double of Hightouch's REST API (hightouch.com/docs/api-reference: "Get sync", "Trigger a sync", "List
sync runs"), at the paths Kestra's Hightouch plugin calls, with Bearer authentication:

- GET /api/v1/syncs/{id} answers the sync: `{"id", "slug", "workspaceId", "status", "schedule", ...}`;
- POST /api/v1/syncs/{id}/trigger with `{"fullResync": bool}` answers `{"id": <run id>}`;
- GET /api/v1/syncs/{id}/runs?runId=<run> answers `{"data": [{"id", "status", "createdAt", "startedAt",
  "finishedAt", "completionRatio", "plannedRows", "successfulRows", "failedRows" ({"addedCount",
  "changedCount", "removedCount"}), "error"}], "hasMore": false}`; a run is `queued`, then `processing`, then
  ends with the outcome the sync is scripted for (`success`, `failed`, `completed_with_errors`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "hightouch-token"


def _rows(added: int, changed: int, removed: int) -> dict[str, int]:
    return {"addedCount": added, "changedCount": changed, "removedCount": removed}


class HightouchDouble(ApiDouble):
    def __init__(self, outcomes: dict[int, str]) -> None:
        super().__init__()
        self.outcomes = outcomes  # sync id -> the final status of its runs
        self.runs: dict[int, dict[str, Any]] = {}
        self.reads: dict[int, int] = {}
        self.triggers: list[dict[str, Any]] = []
        self.route("GET", r"/api/v1/syncs/(?P<sync>\d+)", self._sync)
        self.route("POST", r"/api/v1/syncs/(?P<sync>\d+)/trigger", self._trigger)
        self.route("GET", r"/api/v1/syncs/(?P<sync>\d+)/runs", self._runs)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    def _sync(self, request: Request, sync: str) -> Reply:
        if int(sync) not in self.outcomes:
            return Reply(404, {"message": "Sync not found"})
        return Reply(200, {"id": int(sync), "slug": f"sync-{sync}", "workspaceId": 1, "status": "success",
                           "schedule": None, "disabled": False})

    def _trigger(self, request: Request, sync: str) -> Reply:
        run_id = 1000 + len(self.runs)
        self.triggers.append({"sync": int(sync), "body": request.body})
        self.runs[run_id] = {"sync": int(sync), "created": datetime.now(UTC).isoformat()}
        self.reads[run_id] = 0
        return Reply(200, {"id": run_id})

    def _runs(self, request: Request, sync: str) -> Reply:
        run_id = int(request.query.get("runId", ["0"])[0])
        if run_id not in self.runs:
            return Reply(200, {"data": [], "hasMore": False})
        self.reads[run_id] += 1
        reads = self.reads[run_id]
        status = "queued" if reads == 1 else "processing" if reads == 2 else self.outcomes[int(sync)]
        done = status not in ("queued", "processing")
        failed = status != "success"
        run = {"id": run_id, "status": status, "createdAt": self.runs[run_id]["created"],
               "startedAt": self.runs[run_id]["created"],
               "finishedAt": datetime.now(UTC).isoformat() if done else None,
               "completionRatio": 1 if done else 0.5, "plannedRows": _rows(10, 2, 1),
               "successfulRows": _rows(10, 2, 1) if not failed else _rows(8, 2, 0),
               "failedRows": _rows(0, 0, 0) if not failed else _rows(2, 0, 1),
               "error": "destination rejected the batch" if status == "failed" else None}
        return Reply(200, {"data": [run], "hasMore": False})
