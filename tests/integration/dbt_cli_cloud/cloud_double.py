"""A test double of dbt Cloud's Administrative API v2 (the shapes of docs.getdbt.com's API reference, "Trigger
Job Run", "Retrieve Run", "Retrieve Run Artifact"), enough for dbt.cloud.TriggerRun and CheckStatus:

- POST /api/v2/accounts/{account}/jobs/{job}/run/ with `{"cause": ..., "git_branch": ..., ...}` answers
  `{"status": {"code": 200, "is_success": true, ...}, "data": {"id": <run>, "status": 1, "status_humanized":
  "Queued", ...}}`;
- GET /api/v2/accounts/{account}/runs/{run}/?include_related=[...] answers the run, which moves on at each
  read: Queued (1) -> Running (3, a run step with logs) -> Success (10) or Error (20, for a job id in
  `failing_jobs`), `run_steps` growing their `logs`;
- GET .../runs/{run}/artifacts/run_results.json | manifest.json answers the artifact (404 before the end).

Requests need `Authorization: Bearer <token>`."""

from __future__ import annotations

from typing import Any

from tests.api_double import ApiDouble, Reply, Request

TOKEN = "dbt-cloud-test-token"
_ACCOUNT = r"/api/v2/accounts/(?P<account>\d+)"


def run_results() -> dict[str, Any]:
    """run_results.json as dbt writes it (v6 schema), two nodes."""
    timing = [{"name": "compile", "started_at": "2026-01-02T10:00:00.000001Z", "completed_at": "2026-01-02T10:00:00.100000Z"},
              {"name": "execute", "started_at": "2026-01-02T10:00:00.100000Z", "completed_at": "2026-01-02T10:00:01.600000Z"}]
    return {
        "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/run-results/v6.json", "dbt_version": "1.9.0"},
        "results": [
            {"unique_id": "model.shop.orders", "status": "success", "timing": timing, "thread_id": "Thread-1",
             "execution_time": 1.6, "adapter_response": {"_message": "SELECT 12", "rows_affected": 12},
             "message": "SELECT 12", "failures": None},
            {"unique_id": "test.shop.not_null_orders_id", "status": "pass", "timing": timing, "thread_id": "Thread-2",
             "execution_time": 0.4, "adapter_response": {}, "message": None, "failures": 0},
        ],
        "elapsed_time": 2.1,
    }


def manifest() -> dict[str, Any]:
    return {"metadata": {"adapter_type": "postgres"}, "nodes": {
        "model.shop.orders": {"unique_id": "model.shop.orders", "resource_type": "model", "database": "analytics",
                              "schema": "prod", "name": "orders", "alias": "orders"},
        "test.shop.not_null_orders_id": {"unique_id": "test.shop.not_null_orders_id", "resource_type": "test",
                                         "database": "analytics", "schema": "prod", "name": "not_null_orders_id"}}}


class DbtCloudDouble(ApiDouble):
    def __init__(self, failing_jobs: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.failing_jobs = failing_jobs
        self.runs: dict[int, dict[str, Any]] = {}
        self.route("POST", _ACCOUNT + r"/jobs/(?P<job>\d+)/run", self._trigger)
        self.route("GET", _ACCOUNT + r"/runs/(?P<run>\d+)", self._retrieve)
        self.route("GET", _ACCOUNT + r"/runs/(?P<run>\d+)/artifacts/(?P<path>.+)", self._artifact)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    def _trigger(self, request: Request, account: str, job: str) -> Reply:
        run_id = 70000 + len(self.runs)
        body = request.body or {}
        self.runs[run_id] = {
            "id": run_id, "account_id": int(account), "job_definition_id": int(job), "status": 1,
            "status_humanized": "Queued", "status_message": None, "git_branch": body.get("git_branch"),
            "git_sha": body.get("git_sha"), "in_progress": False, "is_complete": False, "is_success": False,
            "is_error": False, "is_cancelled": False, "duration_humanized": "0 minutes",
            "trigger": {"cause": body.get("cause")}, "run_steps": [], "reads": 0,
        }
        return Reply(200, {"status": {"code": 200, "is_success": True, "user_message": "Success!", "developer_message": ""},
                           "data": self._public(run_id)})

    def _retrieve(self, request: Request, account: str, run: str) -> Reply:
        found = self.runs.get(int(run))
        if found is None:
            return Reply(404, {"status": {"code": 404, "is_success": False, "user_message": "Not found"}})
        found["reads"] += 1
        if found["reads"] == 1:
            found.update(status=3, status_humanized="Running", in_progress=True)
            found["run_steps"] = [{"id": 1, "name": "Invoke dbt with `dbt build`", "logs": "Running with dbt=1.9.0\n"}]
        elif found["reads"] >= 2 and not found["is_complete"]:
            failed = found["job_definition_id"] in self.failing_jobs
            found["run_steps"][0]["logs"] += ("Database Error in model orders\n" if failed else "Completed successfully\n")
            found.update(status=20 if failed else 10, status_humanized="Error" if failed else "Success",
                         in_progress=False, is_complete=True, is_success=not failed, is_error=failed,
                         duration_humanized="1 minute, 2 seconds",
                         status_message="Database Error in model orders" if failed else None)
        return Reply(200, {"status": {"code": 200, "is_success": True}, "data": self._public(int(run))})

    def _artifact(self, request: Request, account: str, run: str, path: str) -> Reply:
        found = self.runs.get(int(run))
        if found is None or not found["is_complete"] or path not in ("run_results.json", "manifest.json"):
            return Reply(404, {"status": {"code": 404, "is_success": False, "user_message": "Artifact not found"}})
        return Reply(200, run_results() if path == "run_results.json" else manifest())

    def _public(self, run_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.runs[run_id].items() if k != "reads"}
