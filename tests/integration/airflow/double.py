"""A test double of Airflow's stable REST API v1 for DAG runs (airflow.apache.org/docs/apache-airflow/stable/
stable-rest-api-ref: "Trigger a new DAG run", "Get a DAG run"), Basic authentication:

- POST /api/v1/dags/{dag_id}/dagRuns with `{"conf": {...}, ...}` answers 200 `{"dag_id", "dag_run_id", "state":
  "queued", "start_date": null, "end_date": null, "conf", "run_type": "manual", ...}` (404 for an unknown DAG);
- GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id} answers the run: `queued`, then `running`, then the outcome
  the DAG is scripted for (`success` or `failed`) with its start and end dates."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from tests.api_double import ApiDouble, Reply, Request

USER, PASSWORD = "airflow", "airflow-pw"


class AirflowDouble(ApiDouble):
    def __init__(self, outcomes: dict[str, str]) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.runs: dict[str, dict[str, Any]] = {}
        self.route("POST", r"/api/v1/dags/(?P<dag>[^/]+)/dagRuns", self._trigger)
        self.route("GET", r"/api/v1/dags/(?P<dag>[^/]+)/dagRuns/(?P<run>[^/]+)", self._get)

    def authorized(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return request.headers.get("authorization") == expected

    def _trigger(self, request: Request, dag: str) -> Reply:
        if dag not in self.outcomes:
            return Reply(404, {"title": "DAG not found", "status": 404, "detail": f"DAG with dag_id: '{dag}' not found"})
        run_id = f"manual__{len(self.runs)}"
        self.runs[run_id] = {"dag": dag, "reads": 0, "body": request.body}
        return Reply(200, {"dag_id": dag, "dag_run_id": run_id, "state": "queued", "start_date": None,
                           "end_date": None, "conf": (request.body or {}).get("conf", {}), "run_type": "manual"})

    def _get(self, request: Request, dag: str, run: str) -> Reply:
        state = self.runs[run]
        state["reads"] += 1
        now = datetime.now(UTC).isoformat()
        status = "queued" if state["reads"] == 1 else "running" if state["reads"] == 2 else self.outcomes[dag]
        done = status in ("success", "failed")
        return Reply(200, {"dag_id": dag, "dag_run_id": run, "state": status, "start_date": now if state["reads"] > 1 else None,
                           "end_date": now if done else None, "run_type": "manual"})
