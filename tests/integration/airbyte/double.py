"""Test doubles of Airbyte's two APIs, with the shapes of Airbyte's public API references:

- the configuration API of a self-hosted Airbyte (reference.airbyte.com, "Configuration API"):
  POST /api/v1/connections/sync/ `{"connectionId"}` answers a JobInfoRead `{"job": {"id", "configType":
  "sync", "configId", "status": "running", "createdAt", "updatedAt"}, "attempts": []}` (409 "A sync is
  already running" for the connection in `busy`); POST /api/v1/jobs/get/ `{"id"}` answers the JobInfoRead,
  which moves on at each read: one attempt logging lines, then `succeeded` with `streamStats` (or `failed`
  with a `failureSummary` for the connection in `failing`). Basic auth airbyte:password or a bearer token
  from POST /api/v1/applications/token.
- the Airbyte API (api.airbyte.com/v1, "Jobs"): POST /v1/jobs `{"connectionId", "jobType"}` answers a
  JobResponse `{"jobId", "status": "pending", "jobType", "startTime", "connectionId"}`; GET /v1/jobs/{id}
  answers it `running`, then `succeeded` with `duration`, `bytesSynced`, `rowsSynced`; POST
  /v1/applications/token `{"client_id", "client_secret"}` answers `{"access_token", "token_type", "expires_in"}`.
"""

from __future__ import annotations

import base64
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

USER, PASSWORD = "airbyte", "password"
CLIENT_ID, CLIENT_SECRET = "client-id", "client-secret"
ACCESS_TOKEN = "airbyte-access-token"


class AirbyteDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.jobs: dict[int, dict[str, Any]] = {}
        self.cloud_jobs: dict[int, dict[str, Any]] = {}
        self.route("POST", r"/api/v1/applications/token", self._token)
        self.route("POST", r"/v1/applications/token", self._token)
        self.route("POST", r"/api/v1/connections/sync", self._sync)
        self.route("POST", r"/api/v1/jobs/get", self._get)
        self.route("POST", r"/v1/jobs", self._cloud_create)
        self.route("GET", r"/v1/jobs/(?P<job>\d+)", self._cloud_get)

    def authorized(self, request: Request) -> bool:
        if request.path.endswith("/applications/token"):
            return True
        given = request.headers.get("authorization")
        return given in ("Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(), f"Bearer {ACCESS_TOKEN}")

    def _token(self, request: Request) -> Reply:
        body = request.body or {}
        if (body.get("client_id"), body.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(401, {"message": "bad client credentials"})
        return Reply(200, {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 180})

    def _sync(self, request: Request) -> Reply:
        connection = (request.body or {}).get("connectionId")
        if connection == "busy":
            return Reply(409, {"message": "A sync is already running for: busy"})
        job_id = 100 + len(self.jobs)
        self.jobs[job_id] = {"job": {"id": job_id, "configType": "sync", "configId": connection, "status": "running",
                                     "createdAt": 1767261600, "updatedAt": 1767261600}, "attempts": [], "reads": 0}
        return Reply(200, self._info(job_id))

    def _get(self, request: Request) -> Reply:
        job_id = (request.body or {}).get("id")
        found = self.jobs.get(job_id) if isinstance(job_id, int) else None
        if found is None:
            return Reply(404, {"message": f"Could not find job with id: {job_id}"})
        found["reads"] += 1
        failed = found["job"]["configId"] == "failing"
        if found["reads"] == 1:
            found["attempts"] = [{"attempt": {"id": 0, "status": "running", "streamStats": None, "failureSummary": None},
                                  "logs": {"logLines": ["2026-01-01 10:00:00 INFO i.a.w.g.DefaultReplicationWorker(run):1 - start sync"]}}]
        elif found["job"]["status"] == "running":
            attempt = found["attempts"][0]
            attempt["logs"]["logLines"].append("2026-01-01 10:00:05 ERROR[source] - connection refused" if failed
                                               else "2026-01-01 10:00:05 INFO - sync summary: 10 records")
            attempt["attempt"]["status"] = "failed" if failed else "succeeded"
            if failed:
                attempt["attempt"]["failureSummary"] = {"failures": [{"failureOrigin": "source", "externalMessage": "connection refused"}]}
            else:
                attempt["attempt"]["streamStats"] = [{"streamName": "users", "stats": {
                    "recordsEmitted": 10, "bytesEmitted": 2048, "recordsCommitted": 10, "stateMessagesEmitted": 1}}]
            found["job"]["status"] = "failed" if failed else "succeeded"
        return Reply(200, self._info(job_id))

    def _info(self, job_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.jobs[job_id].items() if k != "reads"}

    def _cloud_create(self, request: Request) -> Reply:
        body = request.body or {}
        if body.get("jobType") not in ("sync", "reset"):
            return Reply(400, {"message": "jobType must be sync or reset"})
        job_id = 9000 + len(self.cloud_jobs)
        self.cloud_jobs[job_id] = {"jobId": job_id, "status": "pending", "jobType": body["jobType"],
                                   "startTime": "2026-01-01T10:00:00Z", "connectionId": body.get("connectionId"), "reads": 0}
        return Reply(200, self._cloud(job_id))

    def _cloud_get(self, request: Request, job: str) -> Reply:
        found = self.cloud_jobs.get(int(job))
        if found is None:
            return Reply(404, {"message": "job not found"})
        found["reads"] += 1
        if found["reads"] == 1:
            found["status"] = "running"
        else:
            found.update(status="succeeded", lastUpdatedAt="2026-01-01T10:01:30Z", duration="PT1M30S",
                         bytesSynced=4096, rowsSynced=25)
        return Reply(200, self._cloud(int(job)))

    def _cloud(self, job_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.cloud_jobs[job_id].items() if k != "reads"}
