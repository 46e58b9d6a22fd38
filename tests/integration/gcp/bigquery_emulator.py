"""A BigQuery emulator for the tests: a local server speaking the BigQuery REST API v2 (the resources and
methods of cloud.google.com/bigquery/docs/reference/rest: datasets.insert/get/patch/delete, tables.insert/get/patch/delete,
tabledata.list, jobs.insert/get/getQueryResults/query (query, load, extract and copy jobs), and the media upload of load jobs at
/upload/bigquery/v2/projects/{p}/jobs, multipart and resumable) that executes the SQL on DuckDB: a query's
GoogleSQL is transpiled to DuckDB's dialect with sqlglot, datasets are DuckDB schemas of a catalog named
after the project, and a SELECT's result is kept in a table of the hidden dataset `_results` (the job's
anonymous destination table, as BigQuery does), read back page by page.

Cloud Storage URIs of load and extract jobs (`gs://bucket/path`, `*` wildcards) are files under the
emulator's `gcs_root` folder (`gcs_root/bucket/path`): a stand-in for the bucket, not a GCS emulator.

The real google-cloud-bigquery client talks to it (Legato's tasks read BIGQUERY_EMULATOR_HOST). What it
does not do: scripting (several statements), legacy SQL, partitioning (accepted, not applied), nested
RECORD columns."""

from __future__ import annotations

import base64
import datetime as dt
import glob
import gzip
import json
import re
import secrets
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from tests.api_double import ApiDouble, Reply, Request

RESULTS = "_results"
_P = r"/bigquery/v2/projects/(?P<project>[^/]+)"
_TO_DUCK = {"INT64": "BIGINT", "INTEGER": "BIGINT", "FLOAT64": "DOUBLE", "FLOAT": "DOUBLE", "NUMERIC": "DECIMAL(38,9)",
            "BIGNUMERIC": "DECIMAL(38,9)", "STRING": "VARCHAR", "BOOL": "BOOLEAN", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
            "DATETIME": "TIMESTAMP", "TIMESTAMP": "TIMESTAMPTZ", "TIME": "TIME", "BYTES": "BLOB", "JSON": "JSON"}


def _bq_type(duck: str) -> str:
    duck = duck.upper()
    if duck in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return "INTEGER"
    if duck in ("DOUBLE", "FLOAT", "REAL"):
        return "FLOAT"
    if duck.startswith("DECIMAL"):
        return "NUMERIC"
    if duck == "BOOLEAN":
        return "BOOLEAN"
    if duck == "DATE":
        return "DATE"
    if duck in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "TIMESTAMP"
    if duck.startswith("TIMESTAMP"):
        return "DATETIME"
    if duck == "TIME":
        return "TIME"
    if duck == "BLOB":
        return "BYTES"
    if duck == "JSON":
        return "JSON"
    return "STRING"


def _error(status: int, reason: str, message: str) -> Reply:
    names = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 409: "ALREADY_EXISTS"}
    return Reply(status, {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN"),
                                    "errors": [{"reason": reason, "message": message, "domain": "global"}]}})


class QueryError(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class BigQueryEmulator(ApiDouble):
    def __init__(self, gcs_root: Path, project: str = "test-project") -> None:
        super().__init__()
        self.gcs_root = gcs_root
        self.project = project
        self.db = duckdb.connect()
        self.db.execute("SET TimeZone = 'UTC'")
        self.db.execute(f'ATTACH \':memory:\' AS "{project}"')
        self.db.execute(f'USE "{project}"')
        self.db.execute(f'CREATE SCHEMA "{RESULTS}"')
        self.datasets: dict[str, dict[str, Any]] = {}
        self.tables: dict[tuple[str, str], dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self.statements: list[str] = []  # the DuckDB SQL each query ran, for the tests to read
        self.route("POST", _P + r"/datasets", self._dataset_insert)
        self.route("GET", _P + r"/datasets/(?P<dataset>[^/]+)", self._dataset_get)
        self.route("PATCH", _P + r"/datasets/(?P<dataset>[^/]+)", self._dataset_patch)
        self.route("DELETE", _P + r"/datasets/(?P<dataset>[^/]+)", self._dataset_delete)
        self.route("DELETE", _P + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", self._table_delete)
        self.route("PATCH", _P + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", self._table_patch)
        self.route("POST", _P + r"/datasets/(?P<dataset>[^/]+)/tables", self._table_insert)
        self.route("GET", _P + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", self._table_get)
        self.route("GET", _P + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)/data", self._table_data)
        self.route("POST", _P + r"/jobs", self._job_insert)
        self.route("GET", _P + r"/jobs/(?P<job>[^/]+)", self._job_get)
        self.route("GET", _P + r"/queries/(?P<job>[^/]+)", self._query_results)
        self.route("POST", _P + r"/queries", self._query)
        self.route("POST", r"/upload/bigquery/v2/projects/(?P<project>[^/]+)/jobs", self._upload_start)
        self.route("PUT", r"/upload/bigquery/v2/projects/(?P<project>[^/]+)/jobs", self._upload_chunk)

    # -- datasets and tables ------------------------------------------------------------------------------

    def _dataset_resource(self, dataset: str) -> dict[str, Any]:
        meta = self.datasets[dataset]
        return {"kind": "bigquery#dataset", "id": f"{self.project}:{dataset}", "etag": meta["etag"],
                "datasetReference": {"projectId": self.project, "datasetId": dataset},
                "location": meta.get("location") or "US", "friendlyName": meta.get("friendlyName"),
                "description": meta.get("description"), "labels": meta.get("labels") or {},
                "creationTime": meta["created"], "lastModifiedTime": meta["created"]}

    def _dataset_insert(self, request: Request, project: str) -> Reply:
        body = request.body or {}
        dataset = ((body.get("datasetReference") or {}).get("datasetId")) or ""
        if not re.fullmatch(r"[A-Za-z0-9_]{1,1024}", dataset):
            return _error(400, "invalid", f"Invalid dataset ID \"{dataset}\"")
        if dataset in self.datasets:
            return _error(409, "duplicate", f"Already Exists: Dataset {project}:{dataset}")
        self.db.execute(f'CREATE SCHEMA "{dataset}"')
        self.datasets[dataset] = {**{k: body.get(k) for k in ("location", "friendlyName", "description", "labels")},
                                  "etag": secrets.token_hex(8), "created": str(int(time.time() * 1000))}
        return Reply(200, self._dataset_resource(dataset))

    def _dataset_get(self, request: Request, project: str, dataset: str) -> Reply:
        if dataset not in self.datasets:
            return _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        return Reply(200, self._dataset_resource(dataset))

    def _dataset_patch(self, request: Request, project: str, dataset: str) -> Reply:
        if dataset not in self.datasets:
            return _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        for key in ("friendlyName", "description", "labels"):
            if key in (request.body or {}):
                self.datasets[dataset][key] = request.body[key]
        return Reply(200, self._dataset_resource(dataset))

    def _dataset_delete(self, request: Request, project: str, dataset: str) -> Reply:
        if dataset not in self.datasets:
            return _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        tables = [t for (d, t) in list(self.tables) if d == dataset and self._exists(d, t)]
        if tables and (request.query.get("deleteContents") or ["false"])[0].lower() != "true":
            return _error(400, "resourceInUse", f"Dataset {project}:{dataset} is still in use")
        self.db.execute(f'DROP SCHEMA "{dataset}" CASCADE')
        del self.datasets[dataset]
        return Reply(204, None)

    def _table_patch(self, request: Request, project: str, dataset: str, table: str) -> Reply:
        if not self._exists(dataset, table):
            return _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        meta = self.tables.setdefault((dataset, table), {"created": str(int(time.time() * 1000)), "etag": secrets.token_hex(8)})
        for key in ("description", "friendlyName", "labels", "expirationTime", "requirePartitionFilter"):
            if key in (request.body or {}):
                meta[key] = request.body[key]
        meta["etag"] = secrets.token_hex(8)
        return Reply(200, self._table_resource(dataset, table))

    def _table_delete(self, request: Request, project: str, dataset: str, table: str) -> Reply:
        if not self._exists(dataset, table):
            return _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        view = (self.tables.get((dataset, table)) or {}).get("view")
        self.db.execute(f'DROP {"VIEW" if view else "TABLE"} "{dataset}"."{table}"')
        self.tables.pop((dataset, table), None)
        return Reply(204, None)

    def _schema(self, dataset: str, table: str) -> list[dict[str, Any]]:
        rows = self.db.execute(f'DESCRIBE "{dataset}"."{table}"').fetchall()
        declared = {f["name"]: f for f in (self.tables.get((dataset, table), {}).get("fields") or [])}
        fields = []
        for name, duck_type, nullable, *_ in rows:
            known = declared.get(name)
            kind = str((known or {}).get("type") or _bq_type(duck_type)).upper()
            fields.append({"name": name, "type": {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN"}.get(kind, kind),
                           "mode": (known or {}).get("mode") or ("NULLABLE" if nullable == "YES" else "REQUIRED")})
        return fields

    def _exists(self, dataset: str, table: str) -> bool:
        found = self.db.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? AND "
                                "table_schema = ? AND table_name = ?", [self.project, dataset, table]).fetchone()
        return bool(found and found[0])

    def _table_resource(self, dataset: str, table: str) -> dict[str, Any]:
        meta = self.tables.setdefault((dataset, table), {"created": str(int(time.time() * 1000)), "etag": secrets.token_hex(8)})
        count = self.db.execute(f'SELECT count(*) FROM "{dataset}"."{table}"').fetchone()
        resource = {"kind": "bigquery#table", "id": f"{self.project}:{dataset}.{table}", "etag": meta["etag"],
                    "selfLink": f"{self.base_url}/bigquery/v2/projects/{self.project}/datasets/{dataset}/tables/{table}",
                    "tableReference": {"projectId": self.project, "datasetId": dataset, "tableId": table},
                    "schema": {"fields": self._schema(dataset, table)}, "numRows": str(count[0] if count else 0),
                    "numBytes": "0", "creationTime": meta["created"], "lastModifiedTime": meta["created"],
                    "type": "VIEW" if meta.get("view") else "TABLE", "location": "US",
                    "labels": meta.get("labels") or {}}
        for key in ("description", "friendlyName", "expirationTime", "clustering", "timePartitioning", "requirePartitionFilter"):
            if meta.get(key) is not None:
                resource[key] = meta[key]
        if meta.get("view"):
            resource["view"] = {"query": meta["view"], "useLegacySql": False}
        return resource

    def _table_insert(self, request: Request, project: str, dataset: str) -> Reply:
        body = request.body or {}
        table = (body.get("tableReference") or {}).get("tableId") or ""
        if dataset not in self.datasets:
            return _error(404, "notFound", f"Not found: Dataset {project}:{dataset}")
        if self._exists(dataset, table):
            return _error(409, "duplicate", f"Already Exists: Table {project}:{dataset}.{table}")
        view = (body.get("view") or body.get("materializedView") or {}).get("query")
        try:
            if view:
                self.db.execute(f'CREATE VIEW "{dataset}"."{table}" AS {self._duck(view)}')
            else:
                fields = (body.get("schema") or {}).get("fields") or []
                if not fields:
                    return _error(400, "invalid", "A table needs a schema with at least one field")
                self.db.execute(f'CREATE TABLE "{dataset}"."{table}" ({self._columns(fields)})')
        except (duckdb.Error, QueryError) as exc:
            return _error(400, "invalid", str(exc))
        self.tables[(dataset, table)] = {
            "created": str(int(time.time() * 1000)), "etag": secrets.token_hex(8), "view": view,
            "fields": (body.get("schema") or {}).get("fields"),
            **{k: body.get(k) for k in ("description", "friendlyName", "labels", "expirationTime", "clustering",
                                        "timePartitioning", "requirePartitionFilter")}}
        return Reply(200, self._table_resource(dataset, table))

    def _columns(self, fields: list[dict[str, Any]]) -> str:
        parts = []
        for f in fields:
            kind = str(f.get("type", "STRING")).upper()
            if kind not in _TO_DUCK:
                raise QueryError("invalid", f"type {kind} of field {f.get('name')} is not supported by the emulator")
            parts.append(f'"{f["name"]}" {_TO_DUCK[kind]}' + (" NOT NULL" if f.get("mode") == "REQUIRED" else ""))
        return ", ".join(parts)

    def _table_get(self, request: Request, project: str, dataset: str, table: str) -> Reply:
        if not self._exists(dataset, table):
            return _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        return Reply(200, self._table_resource(dataset, table))

    def _table_data(self, request: Request, project: str, dataset: str, table: str) -> Reply:
        if not self._exists(dataset, table):
            return _error(404, "notFound", f"Not found: Table {project}:{dataset}.{table}")
        rows, token, total = self._page(dataset, table, request)
        return Reply(200, {"kind": "bigquery#tableDataList", "totalRows": str(total), "rows": rows,
                           **({"pageToken": token} if token else {})})

    def _page(self, dataset: str, table: str, request: Request) -> tuple[list[dict[str, Any]], str | None, int]:
        start = int((request.query.get("pageToken") or request.query.get("startIndex") or ["0"])[0])
        size = int((request.query.get("maxResults") or ["1000"])[0])
        micros = (request.query.get("formatOptions.useInt64Timestamp") or ["false"])[0].lower() == "true"
        schema = self._schema(dataset, table)
        total_row = self.db.execute(f'SELECT count(*) FROM "{dataset}"."{table}"').fetchone()
        total = int(total_row[0]) if total_row else 0
        values = self.db.execute(f'SELECT * FROM "{dataset}"."{table}" LIMIT {size} OFFSET {start}').fetchall()
        rows = [{"f": [{"v": _cell(v, f["type"], micros)} for v, f in zip(row, schema, strict=True)]} for row in values]
        token = str(start + size) if start + size < total else None
        return rows, token, total

    # -- jobs ------------------------------------------------------------------------------------------------

    def _job_insert(self, request: Request, project: str) -> Reply:
        return self._start(request.body or {}, None)

    def _start(self, body: dict[str, Any], data: bytes | None) -> Reply:
        reference = body.get("jobReference") or {}
        job_id = reference.get("jobId") or f"job_{secrets.token_hex(8)}"
        if job_id in self.jobs:
            return _error(409, "duplicate", f"Already Exists: Job {self.project}:US.{job_id}")
        config = body.get("configuration") or {}
        job: dict[str, Any] = {"kind": "bigquery#job", "id": f"{self.project}:US.{job_id}", "configuration": config,
                               "jobReference": {"projectId": self.project, "jobId": job_id, "location": reference.get("location") or "US"},
                               "statistics": {"creationTime": str(int(time.time() * 1000)), "startTime": str(int(time.time() * 1000))},
                               "status": {"state": "DONE"}, "user_email": "emulator@localhost"}
        try:
            if "query" in config:
                self._run_query(job, config["query"], bool(config.get("dryRun")))
            elif "load" in config:
                self._run_load(job, config["load"], data)
            elif "extract" in config:
                self._run_extract(job, config["extract"])
            elif "copy" in config:
                copy = config["copy"]
                sources = copy.get("sourceTables") or [copy["sourceTable"]]
                select = " UNION ALL ".join(f'SELECT * FROM "{s["datasetId"]}"."{s["tableId"]}"' for s in sources)
                self._write(copy["destinationTable"], select, copy.get("writeDisposition") or "WRITE_EMPTY",
                            copy.get("createDisposition") or "CREATE_IF_NEEDED")
                job["statistics"]["copy"] = {}
            else:
                return _error(400, "invalid", "the emulator runs query, load, extract and copy jobs")
        except (QueryError, duckdb.Error, sqlglot.errors.SqlglotError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", "invalidQuery" if "query" in config else "invalid")
            job["status"] = {"state": "DONE", "errorResult": {"reason": reason, "message": str(exc)},
                             "errors": [{"reason": reason, "message": str(exc)}]}
        job["statistics"]["endTime"] = str(int(time.time() * 1000))
        self.jobs[job_id] = job
        return Reply(200, job)

    def _job_get(self, request: Request, project: str, job: str) -> Reply:
        if job not in self.jobs:
            return _error(404, "notFound", f"Not found: Job {project}:{job}")
        return Reply(200, self.jobs[job])

    def _duck(self, sql: str) -> str:
        statements = [s for s in sqlglot.transpile(sql, read="bigquery", write="duckdb", identify=True) if s.strip()]
        if len(statements) != 1:
            raise QueryError("invalidQuery", f"the emulator runs one statement per query, not {len(statements)}")
        return statements[0]

    def _run_query(self, job: dict[str, Any], query: dict[str, Any], dry_run: bool) -> None:
        if query.get("useLegacySql"):
            raise QueryError("invalidQuery", "the emulator speaks GoogleSQL only (useLegacySql: false)")
        parsed = sqlglot.parse_one(query["query"], read="bigquery")
        kind = {"Select": "SELECT", "Union": "SELECT", "Insert": "INSERT", "Update": "UPDATE", "Delete": "DELETE",
                "Merge": "MERGE", "Create": "CREATE_TABLE", "Drop": "DROP_TABLE"}.get(type(parsed).__name__, "SCRIPT")
        sql = self._duck(query["query"])
        self.statements.append(sql)
        stats: dict[str, Any] = {"statementType": kind, "totalBytesProcessed": "0", "totalBytesBilled": "0", "cacheHit": False}
        job["statistics"]["query"] = stats
        if dry_run:
            self.db.execute(f"EXPLAIN {sql}")
            return
        default = query.get("defaultDataset") or {}
        if default.get("datasetId"):
            self.db.execute(f'USE "{self.project}"."{default["datasetId"]}"')
        try:
            if kind == "SELECT":
                anon = f"anon_{job['jobReference']['jobId']}".replace("-", "_")
                self.db.execute(f'CREATE TABLE "{RESULTS}"."{anon}" AS {sql}')
                result_ref = {"projectId": self.project, "datasetId": RESULTS, "tableId": anon}
                destination = query.get("destinationTable")
                if destination:
                    self._write(destination, f'SELECT * FROM "{RESULTS}"."{anon}"', query.get("writeDisposition") or "WRITE_EMPTY",
                                query.get("createDisposition") or "CREATE_IF_NEEDED")
                else:
                    query["destinationTable"] = result_ref
                job["_results"] = result_ref
                count = self.db.execute(f'SELECT count(*) FROM "{RESULTS}"."{anon}"').fetchone()
                stats["totalBytesProcessed"] = str(8 * int(count[0] if count else 0))
            else:
                found = self.db.execute(sql).fetchall()
                if kind in ("INSERT", "UPDATE", "DELETE", "MERGE"):
                    stats["numDmlAffectedRows"] = str(found[0][0] if found else 0)
        finally:
            self.db.execute(f'USE "{self.project}"')

    def _write(self, ref: dict[str, Any], select: str, write: str, create: str) -> int:
        dataset, table = ref["datasetId"], ref["tableId"]
        if dataset not in self.datasets:
            raise QueryError("notFound", f"Not found: Dataset {self.project}:{dataset}")
        target = f'"{dataset}"."{table}"'
        if not self._exists(dataset, table):
            if create == "CREATE_NEVER":
                raise QueryError("notFound", f"Not found: Table {self.project}:{dataset}.{table}")
            self.db.execute(f"CREATE TABLE {target} AS {select}")
        else:
            existing = self.db.execute(f"SELECT count(*) FROM {target}").fetchone()
            if write == "WRITE_EMPTY" and existing and existing[0]:
                raise QueryError("duplicate", f"Already Exists: Table {self.project}:{dataset}.{table} is not empty (WRITE_EMPTY)")
            if write in ("WRITE_TRUNCATE", "WRITE_TRUNCATE_DATA"):
                self.db.execute(f"DELETE FROM {target}")
            self.db.execute(f"INSERT INTO {target} BY NAME {select}")
        count = self.db.execute(f"SELECT count(*) FROM ({select})").fetchone()
        return int(count[0]) if count else 0

    def _query_results(self, request: Request, project: str, job: str) -> Reply:
        found = self.jobs.get(job)
        if found is None:
            return _error(404, "notFound", f"Not found: Job {project}:{job}")
        body: dict[str, Any] = {"kind": "bigquery#getQueryResultsResponse", "jobReference": found["jobReference"],
                                "jobComplete": True, "cacheHit": False}
        if "errorResult" in found["status"]:
            error = found["status"]["errorResult"]
            return _error(400, error["reason"], error["message"])
        result = found.get("_results")
        if result is None:
            stats = found["statistics"].get("query") or {}
            body.update(totalRows="0", schema={"fields": []}, rows=[])
            if "numDmlAffectedRows" in stats:
                body["numDmlAffectedRows"] = stats["numDmlAffectedRows"]
            return Reply(200, body)
        rows, token, total = self._page(result["datasetId"], result["tableId"], request)
        body.update(totalRows=str(total), schema={"fields": self._schema(result["datasetId"], result["tableId"])}, rows=rows)
        if token:
            body["pageToken"] = token
        return Reply(200, body)

    def _query(self, request: Request, project: str) -> Reply:
        body = request.body or {}
        job_id = f"job_{secrets.token_hex(8)}"
        started = self._start({"jobReference": {"jobId": job_id}, "configuration": {"query": {
            k: body.get(k) for k in ("query", "useLegacySql", "defaultDataset") if k in body}}}, None)
        if started.status != 200:
            return started
        return self._query_results(request, project, job_id)

    # -- load and extract ------------------------------------------------------------------------------------

    def _gcs(self, uri: str) -> Path:
        if not uri.startswith("gs://"):
            raise QueryError("invalid", f"{uri} is not a gs:// URI")
        return self.gcs_root / uri.removeprefix("gs://")

    def _run_load(self, job: dict[str, Any], load: dict[str, Any], data: bytes | None) -> None:
        paths: list[Path] = []
        if data is not None:
            upload = self.gcs_root / "_uploads" / job["jobReference"]["jobId"]
            upload.parent.mkdir(parents=True, exist_ok=True)
            upload.write_bytes(data)
            paths.append(upload)
        for uri in load.get("sourceUris") or []:
            matched = sorted(Path(p) for p in glob.glob(str(self._gcs(uri))))
            if not matched:
                raise QueryError("notFound", f"Not found: URI {uri}")
            paths.extend(matched)
        fmt = load.get("sourceFormat") or "CSV"
        files = "[" + ", ".join(f"'{p}'" for p in paths) + "]"
        fields = (load.get("schema") or {}).get("fields")
        columns = "{" + ", ".join(f"'{f['name']}': '{_TO_DUCK[str(f['type']).upper()]}'" for f in fields) + "}" if fields else None
        if fmt == "CSV":
            options = [f"header = {'true' if int(load.get('skipLeadingRows') or 0) > 0 else 'false'}",
                       f"delim = '{load.get('fieldDelimiter') or ','}'", f"quote = '{load.get('quote') or chr(34)}'"]
            if columns:
                options.append(f"columns = {columns}")
            else:
                options.append("auto_detect = true")
            select = f"SELECT * FROM read_csv({files}, {', '.join(options)})"
        elif fmt == "NEWLINE_DELIMITED_JSON":
            select = f"SELECT * FROM read_json({files}, format = 'newline_delimited'" + (f", columns = {columns})" if columns else ")")
        elif fmt == "PARQUET":
            select = f"SELECT * FROM read_parquet({files})"
        else:
            raise QueryError("invalid", f"the emulator loads CSV, NEWLINE_DELIMITED_JSON and PARQUET, not {fmt}")
        destination = load["destinationTable"]
        if fields and not self._exists(destination["datasetId"], destination["tableId"]) and destination["datasetId"] in self.datasets:
            self.db.execute(f'CREATE TABLE "{destination["datasetId"]}"."{destination["tableId"]}" ({self._columns(fields)})')
            self.tables[(destination["datasetId"], destination["tableId"])] = {
                "created": str(int(time.time() * 1000)), "etag": secrets.token_hex(8), "fields": fields}
        rows = self._write(destination, select, load.get("writeDisposition") or "WRITE_APPEND",
                           load.get("createDisposition") or "CREATE_IF_NEEDED")
        size = sum(p.stat().st_size for p in paths)
        job["statistics"]["load"] = {"inputFiles": str(len(paths)), "inputFileBytes": str(size),
                                     "outputRows": str(rows), "outputBytes": str(size), "badRecords": "0"}

    def _run_extract(self, job: dict[str, Any], extract: dict[str, Any]) -> None:
        source = extract["sourceTable"]
        if not self._exists(source["datasetId"], source["tableId"]):
            raise QueryError("notFound", f"Not found: Table {self.project}:{source['datasetId']}.{source['tableId']}")
        fmt = extract.get("destinationFormat") or "CSV"
        counts = []
        for uri in extract.get("destinationUris") or []:
            target = self._gcs(uri.replace("*", "000000000000"))
            target.parent.mkdir(parents=True, exist_ok=True)
            table = f'"{source["datasetId"]}"."{source["tableId"]}"'
            if fmt == "CSV":
                header = "true" if extract.get("printHeader", True) is not False else "false"
                delim = extract.get("fieldDelimiter") or ","
                self.db.execute(f"COPY {table} TO '{target}' (FORMAT csv, HEADER {header}, DELIMITER '{delim}', COMPRESSION 'none')")
            elif fmt == "NEWLINE_DELIMITED_JSON":
                self.db.execute(f"COPY {table} TO '{target}' (FORMAT json, COMPRESSION 'none')")
            elif fmt == "PARQUET":
                self.db.execute(f"COPY {table} TO '{target}' (FORMAT parquet)")
            else:
                raise QueryError("invalid", f"the emulator extracts CSV, NEWLINE_DELIMITED_JSON and PARQUET, not {fmt}")
            if (extract.get("compression") or "NONE") == "GZIP" and fmt != "PARQUET":
                target.write_bytes(gzip.compress(target.read_bytes()))
            counts.append("1")
        job["statistics"]["extract"] = {"destinationUriFileCounts": counts}

    # -- media upload of load jobs ---------------------------------------------------------------------------

    def _upload_start(self, request: Request, project: str) -> Reply:
        kind = (request.query.get("uploadType") or [""])[0]
        if kind == "multipart":
            boundary = re.search(r'boundary="?([^";]+)"?', request.headers.get("content-type", ""))
            if boundary is None:
                return _error(400, "invalid", "multipart upload without a boundary")
            parts = request.raw.split(b"--" + boundary.group(1).encode())
            payloads = [p.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for p in parts if b"\r\n\r\n" in p]
            return self._start(json.loads(payloads[0]), payloads[1])
        if kind == "resumable":
            upload_id = secrets.token_hex(8)
            self.uploads[upload_id] = {"job": request.body or {}, "data": bytearray()}
            location = f"{self.base_url}/upload/bigquery/v2/projects/{project}/jobs?uploadType=resumable&upload_id={upload_id}"
            return Reply(200, None, {"Location": location})
        return _error(400, "invalid", f"uploadType {kind!r} is not supported")

    def _upload_chunk(self, request: Request, project: str) -> Reply:
        upload = self.uploads.get((request.query.get("upload_id") or [""])[0])
        if upload is None:
            return _error(404, "notFound", "no such upload session")
        upload["data"].extend(request.raw)
        span = re.match(r"bytes (\*|(\d+)-(\d+))/(\*|\d+)", request.headers.get("content-range", ""))
        total = span.group(4) if span else "*"
        if total != "*" and len(upload["data"]) >= int(total):
            return self._start(upload["job"], bytes(upload["data"]))
        return Reply(308, None, {"Range": f"bytes=0-{len(upload['data']) - 1}"})


def _cell(value: Any, kind: str, micros: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if kind == "TIMESTAMP":
            moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
            stamp = int(moment.timestamp() * 1_000_000)
            return str(stamp) if micros else f"{stamp / 1_000_000:.6f}"
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)
