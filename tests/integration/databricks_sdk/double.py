"""A test double of the Databricks REST API (the shapes of docs.databricks.com/api/workspace: Clusters create /
get / permanent-delete, Jobs create / run-now / runs submit / runs get, SQL Statement Execution), enough for
databricks-sdk's WorkspaceClient and the databricks tasks:

- POST /api/2.x/clusters/create answers `{"cluster_id"}`; GET .../clusters/get?cluster_id= answers the
  cluster, PENDING at the first read and RUNNING after; POST .../clusters/permanent-delete forgets it;
- POST /api/2.x/jobs/create answers `{"job_id"}`, POST .../jobs/run-now `{"run_id", "number_in_job"}`,
  POST .../jobs/runs/submit `{"run_id"}`; GET .../jobs/runs/get?run_id= answers the run, its `state` moving
  PENDING -> RUNNING -> TERMINATED with `result_state` SUCCESS (FAILED when a task's python file is named
  `fail.py`);
- DBFS: POST /api/2.0/dbfs/create, add-block (base64 data), close; GET get-status and read (base64
  chunks), files kept in memory;
- POST /api/2.0/sql/statements runs the statement on DuckDB (Databricks SQL transpiled with sqlglot) and
  answers `{"statement_id", "status": {"state": "SUCCEEDED"}, "manifest": {"schema": {"columns"}},
  "result": {"data_array"}}` (values as strings, as the JSON_ARRAY format gives them), or FAILED with an error.

Requests need `Authorization: Bearer <TOKEN>`."""

from __future__ import annotations

import base64
from typing import Any

import duckdb
import sqlglot
from tests.api_double import ApiDouble, Reply, Request

TOKEN = "dapi-test-token"
_API = r"/api/2\.\d"


class DatabricksDouble(ApiDouble):
    def __init__(self) -> None:
        super().__init__()
        self.clusters: dict[str, dict[str, Any]] = {}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.runs: dict[int, dict[str, Any]] = {}
        self.db = duckdb.connect()
        self.route("POST", _API + r"/clusters/create", self._cluster_create)
        self.route("GET", _API + r"/clusters/get", self._cluster_get)
        self.route("POST", _API + r"/clusters/permanent-delete", self._cluster_delete)
        self.route("POST", _API + r"/jobs/create", self._job_create)
        self.route("POST", _API + r"/jobs/run-now", self._run_now)
        self.route("POST", _API + r"/jobs/runs/submit", self._submit)
        self.route("GET", _API + r"/jobs/runs/get", self._run_get)
        self.route("POST", _API + r"/sql/statements", self._statement)
        self.files: dict[str, bytes] = {}
        self.handles: dict[int, tuple[str, bytearray]] = {}
        self.route("POST", _API + r"/dbfs/create", self._dbfs_create)
        self.route("POST", _API + r"/dbfs/add-block", self._dbfs_add_block)
        self.route("POST", _API + r"/dbfs/close", self._dbfs_close)
        self.route("GET", _API + r"/dbfs/get-status", self._dbfs_status)
        self.route("GET", _API + r"/dbfs/read", self._dbfs_read)

    def authorized(self, request: Request) -> bool:
        if request.path.startswith("/.well-known/"):
            return True  # the SDK's host metadata probe: answered 404, as a workspace without it does
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    def _cluster_create(self, request: Request) -> Reply:
        cluster_id = f"0101-{len(self.clusters):06d}-abc"
        self.clusters[cluster_id] = {**(request.body or {}), "cluster_id": cluster_id, "state": "PENDING", "reads": 0}
        return Reply(200, {"cluster_id": cluster_id})

    def _cluster_get(self, request: Request) -> Reply:
        cluster = self.clusters.get((request.query.get("cluster_id") or [""])[0])
        if cluster is None:
            return Reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster does not exist"})
        cluster["reads"] += 1
        if cluster["reads"] > 1:
            cluster["state"] = "RUNNING"
        return Reply(200, {k: v for k, v in cluster.items() if k != "reads"})

    def _cluster_delete(self, request: Request) -> Reply:
        if self.clusters.pop((request.body or {}).get("cluster_id", ""), None) is None:
            return Reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Cluster does not exist"})
        return Reply(200, {})

    def _job_create(self, request: Request) -> Reply:
        job_id = 500 + len(self.jobs)
        self.jobs[job_id] = {"job_id": job_id, "settings": request.body or {}}
        return Reply(200, {"job_id": job_id})

    def _new_run(self, job_id: int | None, tasks: list[dict[str, Any]]) -> int:
        run_id = 9000 + len(self.runs)
        failing = any((t.get("spark_python_task") or {}).get("python_file", "").endswith("fail.py") for t in tasks)
        self.runs[run_id] = {"run_id": run_id, "job_id": job_id, "tasks": tasks, "reads": 0, "failing": failing}
        return run_id

    def _run_now(self, request: Request) -> Reply:
        job = self.jobs.get((request.body or {}).get("job_id", -1))
        if job is None:
            return Reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Job does not exist"})
        run_id = self._new_run(job["job_id"], job["settings"].get("tasks") or [])
        return Reply(200, {"run_id": run_id, "number_in_job": run_id})

    def _submit(self, request: Request) -> Reply:
        run_id = self._new_run(None, (request.body or {}).get("tasks") or [])
        self.runs[run_id]["job_id"] = 700 + run_id  # a one-time run gets a job of its own
        return Reply(200, {"run_id": run_id})

    def _run_get(self, request: Request) -> Reply:
        run = self.runs.get(int((request.query.get("run_id") or ["0"])[0]))
        if run is None:
            return Reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Run does not exist"})
        run["reads"] += 1
        if run["reads"] == 1:
            state: dict[str, Any] = {"life_cycle_state": "PENDING", "state_message": "Waiting for cluster"}
        elif run["reads"] == 2:
            state = {"life_cycle_state": "RUNNING", "state_message": ""}
        else:
            state = {"life_cycle_state": "TERMINATED", "result_state": "FAILED" if run["failing"] else "SUCCESS",
                     "state_message": "Task failed with an exception" if run["failing"] else ""}
        return Reply(200, {"run_id": run["run_id"], "job_id": run["job_id"], "state": state,
                           "tasks": [{"task_key": t.get("task_key"), "state": state} for t in run["tasks"]]})

    def _dbfs_create(self, request: Request) -> Reply:
        body = request.body or {}
        if body.get("path") in self.files and not body.get("overwrite"):
            return Reply(400, {"error_code": "RESOURCE_ALREADY_EXISTS", "message": f"{body.get('path')} already exists"})
        handle = len(self.handles) + 1
        self.handles[handle] = (str(body.get("path")), bytearray())
        return Reply(200, {"handle": handle})

    def _dbfs_add_block(self, request: Request) -> Reply:
        body = request.body or {}
        self.handles[body["handle"]][1].extend(base64.b64decode(body.get("data", "")))
        return Reply(200, {})

    def _dbfs_close(self, request: Request) -> Reply:
        path, data = self.handles.pop((request.body or {})["handle"])
        self.files[path] = bytes(data)
        return Reply(200, {})

    def _dbfs_status(self, request: Request) -> Reply:
        path = (request.query.get("path") or [""])[0]
        if path not in self.files:
            return Reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"No file or directory exists on path {path}."})
        return Reply(200, {"path": path, "is_dir": False, "file_size": len(self.files[path])})

    def _dbfs_read(self, request: Request) -> Reply:
        path = (request.query.get("path") or [""])[0]
        if path not in self.files:
            return Reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"No file or directory exists on path {path}."})
        offset = int((request.query.get("offset") or ["0"])[0])
        length = int((request.query.get("length") or ["1048576"])[0])
        chunk = self.files[path][offset:offset + length]
        return Reply(200, {"bytes_read": len(chunk), "data": base64.b64encode(chunk).decode()})

    def _statement(self, request: Request) -> Reply:
        body = request.body or {}
        statement_id = f"stmt-{len(self.runs)}-{id(body)}"
        try:
            sql = sqlglot.transpile(body.get("statement", ""), read="databricks", write="duckdb")[0]
            cursor = self.db.execute(sql)
            names = [d[0] for d in cursor.description or []]
            types = [str(d[1]) for d in cursor.description or []]
            rows = cursor.fetchall() if cursor.description else []
        except (duckdb.Error, sqlglot.errors.SqlglotError) as exc:
            return Reply(200, {"statement_id": statement_id, "status": {"state": "FAILED", "error": {
                "error_code": "BAD_REQUEST", "message": str(exc)}}})
        columns = [{"name": n, "type_name": t.upper(), "type_text": t, "position": i} for i, (n, t) in enumerate(zip(names, types, strict=True))]
        data = [[None if v is None else str(v) for v in row] for row in rows]
        return Reply(200, {"statement_id": statement_id, "status": {"state": "SUCCEEDED"},
                           "manifest": {"format": "JSON_ARRAY", "schema": {"column_count": len(columns), "columns": columns},
                                        "total_row_count": len(data), "total_chunk_count": 1,
                                        "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": len(data)}]},
                           "result": {"chunk_index": 0, "row_offset": 0, "row_count": len(data), "data_array": data}})
