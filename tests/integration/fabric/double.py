"""A test double of the Microsoft services Fabric's tasks call, one local server for the three (shapes from
Microsoft's public REST API docs, learn.microsoft.com):

- Microsoft Entra ID, "OAuth 2.0 client credentials flow": POST /{tenant}/oauth2/v2.0/token with the form
  grant_type=client_credentials, client_id, client_secret, scope answers 200 {"token_type": "Bearer",
  "expires_in": 3599, "access_token": ...}, a token for that scope; a wrong secret 401 {"error":
  "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}.
- Fabric REST API, "Job Scheduler - Run On Demand Item Job": POST /v1/workspaces/{ws}/items/{item}/jobs/instances
  ?jobType=... with {"executionData": {...}} answers 202 with `Location` (the job instance's URL) and
  `Retry-After`; an unknown item 404 {"errorCode": "ItemNotFound", "message": ...}. "Get Item Job Instance": GET that
  URL answers 200 {id, itemId, jobType, invokeType, status, failureReason, rootActivityId, startTimeUtc,
  endTimeUtc}; the statuses an item's jobs go through are scripted by the test (`statuses`), and `throttle_once`
  answers one 429 with Retry-After first. The Fabric token is required.
- OneLake's ADLS Gen2 API ("Path - Create", "Path - Update", "Path - Read", "Path - Delete"):
  PUT /{ws}/{item}/Files/{path}?resource=file (201), PATCH ?action=append&position=N (202; N must be the bytes
  written so far), PATCH ?action=flush&position=SIZE (200; SIZE must be all of them), GET (200, the bytes),
  DELETE ?recursive= (200; a folder with files needs recursive=true, else 409 DirectoryNotEmpty); a missing path
  404 {"error": {"code": "PathNotFound", "message": "The specified path does not exist."}}. The storage token
  and an x-ms-version header are required."""

from __future__ import annotations

import itertools
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.api_double import ApiDouble, Reply, Request

TENANT, CLIENT_ID, SECRET = "tenant-guid", "client-guid", "client-secret"
FABRIC_SCOPE = "https://api.fabric.microsoft.com/.default"
STORAGE_SCOPE = "https://storage.azure.com/.default"


def token_for(scope: str) -> str:
    return "token:" + scope


class FabricDouble(ApiDouble):
    def __init__(self, items: dict[str, list[str]] | None = None, throttle_once: bool = False) -> None:
        super().__init__()
        self.statuses = items or {}  # item id -> the statuses its job shows at successive reads
        self.throttle_once = throttle_once
        self.jobs: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, int] = {}
        self.files: dict[str, bytes] = {}  # "ws/item/Files/path" -> committed content
        self.pending: dict[str, bytearray] = {}
        self._ids = itertools.count(1)
        self.route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self._token)
        self.route("POST", r"/v1/workspaces/(?P<ws>[^/]+)/items/(?P<item>[^/]+)/jobs/instances", self._start)
        self.route("GET", r"/v1/workspaces/(?P<ws>[^/]+)/items/(?P<item>[^/]+)/jobs/instances/(?P<job>[^/]+)", self._job)
        for method in ("PUT", "PATCH", "GET", "DELETE"):
            self.route(method, r"/(?P<ws>[^/]+)/(?P<item>[^/]+)/Files/(?P<path>.+)", self._file)

    def _token(self, request: Request, tenant: str) -> Reply:
        form = {k: v[0] for k, v in parse_qs(request.raw.decode()).items()}
        if (tenant, form.get("client_id"), form.get("client_secret")) != (TENANT, CLIENT_ID, SECRET) \
                or form.get("grant_type") != "client_credentials":
            return Reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
        return Reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token_for(form["scope"])})

    def _bearer(self, request: Request, scope: str) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {token_for(scope)}":
            return Reply(401, {"errorCode": "TokenExpired", "message": "Access token is invalid or for another audience"})
        return None

    def _start(self, request: Request, ws: str, item: str) -> Reply:
        if (denied := self._bearer(request, FABRIC_SCOPE)) is not None:
            return denied
        if item not in self.statuses:
            return Reply(404, {"errorCode": "ItemNotFound", "message": f"The requested item {item} was not found"})
        job = f"job-{next(self._ids):04d}"
        self.jobs[job] = {"id": job, "itemId": item, "jobType": request.query["jobType"][0], "invokeType": "Manual",
                          "status": "NotStarted", "failureReason": None, "rootActivityId": f"activity-{job}",
                          "startTimeUtc": "2026-12-07T20:00:00Z", "endTimeUtc": None,
                          "executionData": request.body}
        location = f"{self.base_url}/v1/workspaces/{ws}/items/{item}/jobs/instances/{job}"
        return Reply(202, None, {"Location": location, "Retry-After": "1"})

    def _job(self, request: Request, ws: str, item: str, job: str) -> Reply:
        if (denied := self._bearer(request, FABRIC_SCOPE)) is not None:
            return denied
        if self.throttle_once:
            self.throttle_once = False
            return Reply(429, {"errorCode": "RequestBlocked", "message": "Too many requests"}, {"Retry-After": "0"})
        n = self.reads[job] = self.reads.get(job, 0) + 1
        steps = self.statuses[item]
        state = dict(self.jobs[job], status=steps[min(n, len(steps)) - 1])
        if state["status"] == "Failed":
            state["failureReason"] = {"errorCode": "JobInstanceStatusFailed", "message": "Notebook cell 3 raised ValueError"}
        return Reply(200, {k: v for k, v in state.items() if k != "executionData"})

    def _file(self, request: Request, ws: str, item: str, path: str) -> Reply:
        if (denied := self._bearer(request, STORAGE_SCOPE)) is not None:
            return denied
        if "x-ms-version" not in request.headers:
            return Reply(400, {"error": {"code": "MissingRequiredHeader", "message": "x-ms-version is required"}})
        key, q = f"{ws}/{item}/Files/{unquote(path)}", {k: v[0] for k, v in request.query.items()}
        missing = Reply(404, {"error": {"code": "PathNotFound", "message": "The specified path does not exist."}})
        match request.method, q.get("resource") or q.get("action"):
            case "PUT", "file":
                self.pending[key] = bytearray()
                return Reply(201)
            case "PATCH", "append":
                if key not in self.pending or int(q["position"]) != len(self.pending[key]):
                    return Reply(400, {"error": {"code": "InvalidFlushPosition", "message": "bad position"}})
                self.pending[key] += request.raw
                return Reply(202)
            case "PATCH", "flush":
                if key not in self.pending or int(q["position"]) != len(self.pending[key]):
                    return Reply(400, {"error": {"code": "InvalidFlushPosition", "message": "bad position"}})
                self.files[key] = bytes(self.pending.pop(key))
                return Reply(200)
            case "GET", _:
                if key not in self.files:
                    return missing
                return Reply(200, self.files[key], {"Content-Type": "application/octet-stream"})
            case "DELETE", _:
                under = [k for k in self.files if k.startswith(key + "/")]
                if key in self.files:
                    del self.files[key]
                elif not under:
                    return missing
                elif q.get("recursive") != "true":
                    return Reply(409, {"error": {"code": "DirectoryNotEmpty", "message": "The recursive query parameter value must be true to delete a non-empty directory."}})
                for k in under:
                    del self.files[k]
                return Reply(200)
        return Reply(400, {"error": {"code": "InvalidQueryParameterValue", "message": str(q)}})
