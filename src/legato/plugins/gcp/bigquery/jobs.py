"""BigQuery jobs: Query (a SQL job, its rows fetched into outputs or stored as a file, or written to a
destination table), Load (a file of internal storage into a table), LoadFromGcs (files in Cloud Storage into
a table) and ExtractToGcs (a table into Cloud Storage files)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.core.storage_files import output_uri, source_uri
from legato.plugins.gcp.bigquery.base import (
    PREFIX,
    BigQueryTask,
    CreateDisposition,
    WriteDisposition,
    job_id,
    raise_for,
    row_values,
    seconds,
    table_ref,
)
from legato.plugins.runnable import (
    Expression,
    render_as,
    render_bool,
    render_optional,
    render_optional_text,
)
from legato.storage import ion

FetchType = Literal["NONE", "FETCH", "FETCH_ONE", "STORE"]


class QueryOptions(BigQueryTask):
    """The SQL and result handling shared by Query and the BigQuery Trigger."""

    sql: str = Field(description="The SQL to run (rendered), standard SQL unless legacySql.")
    legacySql: bool | Expression = Field(default=False, description="Use BigQuery's legacy SQL dialect.")
    fetchType: FetchType | Expression = Field(default="NONE", description="NONE; FETCH: rows in outputs.rows; FETCH_ONE: the first row in outputs.row; STORE: rows in an Ion file at outputs.uri.")
    fetch: bool = Field(default=False, description="Deprecated: fetchType FETCH.")
    store: bool = Field(default=False, description="Deprecated: fetchType STORE.")
    fetchOne: bool = Field(default=False, description="Deprecated: fetchType FETCH_ONE.")

    def mode(self, ctx: RunContext) -> str:
        if self.fetchOne:
            return "FETCH_ONE"
        if self.store:
            return "STORE"
        if self.fetch:
            return "FETCH"
        return str(render_as(ctx, self.fetchType, str, "fetchType")).upper()


def run_query(task: QueryOptions, ctx: RunContext, config: Any) -> tuple[Any, Any]:
    """Start the query job and wait for it: (client, job)."""
    client = task.client(ctx)
    sql = ctx.render_string(task.sql)
    ctx.logger.debug(f"Starting query: {sql}")
    try:
        job = client.query(sql, job_config=config, job_id=job_id(ctx), job_retry=None)
        if not config.dry_run:
            job.result()
    except Exception as exc:
        if isinstance(exc, TaskFailed):
            raise
        raise raise_for(exc, "query") from None
    return client, job


def query_outputs(task: QueryOptions, ctx: RunContext, job: Any, mode: str) -> dict[str, Any]:
    """jobId, and rows / row / uri with size as fetchType asks; metrics as Kestra's."""
    out: dict[str, Any] = {"jobId": job.job_id}
    tags = {"statement_type": str(job.statement_type or "unknown"), "fetch_type": mode}
    metrics: list[dict[str, Any]] = ctx.effects.extra.setdefault("metrics", [])
    for name, value in (("total.bytes.processed", job.total_bytes_processed), ("total.bytes.billed", job.total_bytes_billed),
                        ("num.dml.affected.rows", job.num_dml_affected_rows), ("cache.hit", job.cache_hit)):
        if value is not None:
            metrics.append({"name": name, "type": "counter", "value": int(value), "tags": tags})
    if mode != "NONE" and not job.dry_run:
        try:
            result = job.result()
        except Exception as exc:
            raise raise_for(exc, "query results") from None
        metrics.append({"name": "total.rows", "type": "counter", "value": int(result.total_rows or 0), "tags": tags})
        if mode == "STORE":
            with tempfile.NamedTemporaryFile("w", suffix=".ion", delete=False, encoding="utf-8") as handle:
                count = 0
                for row in result:
                    handle.write(ion.dumps(row_values(row)) + "\n")
                    count += 1
            path = Path(handle.name)
            try:
                out["uri"] = ctx.storage.put_file(output_uri(ctx, f"{job.job_id}.ion"), path)
            finally:
                path.unlink(missing_ok=True)
            out["size"] = count
        else:
            rows = [row_values(r) for r in result]
            out["size"] = len(rows)
            if mode == "FETCH":
                out["rows"] = rows
            else:
                out["row"] = rows[0] if rows else {}
        metrics.append({"name": "fetch.rows", "type": "counter", "value": out["size"], "tags": tags})
    destination = job.destination
    if destination is not None:
        out["destinationTable"] = {"project": destination.project, "dataset": destination.dataset_id,
                                   "table": destination.table_id}
    return out


@TASKS.register
class Query(QueryOptions):
    """Run a BigQuery SQL job, optionally into a destination table; fetchType makes its rows outputs."""

    TYPE: ClassVar[str] = "gcp.bigquery.Query"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Query",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: query
type: io.kestra.plugin.gcp.bigquery.Query
projectId: my-project
serviceAccount: "{{ secret('GCP_SERVICE_ACCOUNT_JSON') }}"
sql: |
  SELECT country, COUNT(*) AS orders FROM shop.orders GROUP BY country
fetchType: FETCH
""",
    )

    destinationTable: str | None = Field(default=None, description="Write the result to this table (dataset.table or project.dataset.table).")
    writeDisposition: WriteDisposition | Expression | None = Field(default=None, description="With a destination table: WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY.")
    createDisposition: CreateDisposition | Expression | None = Field(default=None, description="With a destination table: CREATE_IF_NEEDED or CREATE_NEVER.")
    jobTimeout: Duration | Expression | None = Field(default=None, description="Fail the job when it runs longer.")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the job.")
    dryRun: bool | Expression = Field(default=False, description="Validate and estimate the query without running it.")
    clusteringFields: list[str] | Expression | None = Field(default=None, description="Clustering of the destination table.")
    schemaUpdateOptions: list[Literal["ALLOW_FIELD_ADDITION", "ALLOW_FIELD_RELAXATION"]] | None = Field(default=None, description="Schema changes the query may make to the destination table.")
    timePartitioningField: str | None = Field(default=None, description="Time partitioning column of the destination table.")
    timePartitioningType: Literal["DAY", "HOUR", "MONTH", "YEAR"] | Expression = Field(default="DAY", description="Time partitioning granularity.")
    rangePartitioningField: str | None = Field(default=None, description="Range partitioning column of the destination table.")
    rangePartitioningStart: int | Expression | None = Field(default=None, description="Range partitioning start (inclusive).")
    rangePartitioningEnd: int | Expression | None = Field(default=None, description="Range partitioning end (inclusive).")
    rangePartitioningInterval: int | Expression | None = Field(default=None, description="Range partitioning interval.")
    defaultDataset: str | None = Field(default=None, description="Dataset of unqualified table names.")
    priority: Literal["INTERACTIVE", "BATCH"] | Expression = Field(default="INTERACTIVE", description="INTERACTIVE or BATCH.")
    allowLargeResults: bool | Expression | None = Field(default=None, description="Legacy SQL: allow large results.")
    useQueryCache: bool | Expression | None = Field(default=None, description="Use the query cache.")
    flattenResults: bool | Expression = Field(default=True, description="Legacy SQL: flatten nested fields.")
    useLegacySql: bool | Expression = Field(default=False, description="Same as legacySql.")
    maximumBillingTier: int | Expression | None = Field(default=None, description="Kestra compatibility: accepted.")
    maximumBytesBilled: int | Expression | None = Field(default=None, description="Fail the job when it would bill more bytes.")
    maxResults: int | Expression | None = Field(default=None, description="Rows per page of results.")

    def config(self, ctx: RunContext, client: Any) -> Any:
        from google.cloud import bigquery

        legacy = render_bool(ctx, self.legacySql, "legacySql") or render_bool(ctx, self.useLegacySql, "useLegacySql")
        config = bigquery.QueryJobConfig(use_legacy_sql=legacy, dry_run=render_bool(ctx, self.dryRun, "dryRun"),
                                         priority=str(render_as(ctx, self.priority, str, "priority")))
        if self.labels:
            config.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        if (dataset := render_optional_text(ctx, self.defaultDataset)) is not None:
            config.default_dataset = dataset if "." in dataset else f"{client.project}.{dataset}"
        if (destination := render_optional_text(ctx, self.destinationTable)) is not None:
            config.destination = table_ref(client, destination, "destinationTable")
        if (write := render_optional(ctx, self.writeDisposition, str, "writeDisposition")) is not None:
            config.write_disposition = write
        if (create := render_optional(ctx, self.createDisposition, str, "createDisposition")) is not None:
            config.create_disposition = create
        for attr, value, tp, prop in (("use_query_cache", self.useQueryCache, bool, "useQueryCache"),
                                      ("allow_large_results", self.allowLargeResults, bool, "allowLargeResults"),
                                      ("maximum_bytes_billed", self.maximumBytesBilled, int, "maximumBytesBilled")):
            if (v := render_optional(ctx, value, tp, prop)) is not None:
                setattr(config, attr, v)
        if legacy:
            config.flatten_results = render_bool(ctx, self.flattenResults, "flattenResults")
        if self.clusteringFields is not None:
            config.clustering_fields = [str(f) for f in render_as(ctx, ctx.render(self.clusteringFields), list[str], "clusteringFields")]
        if self.schemaUpdateOptions:
            config.schema_update_options = list(self.schemaUpdateOptions)
        if (field := render_optional_text(ctx, self.timePartitioningField)) is not None:
            config.time_partitioning = bigquery.TimePartitioning(type_=str(render_as(ctx, self.timePartitioningType, str, "timePartitioningType")), field=field)
        if (field := render_optional_text(ctx, self.rangePartitioningField)) is not None:
            config.range_partitioning = bigquery.RangePartitioning(field=field, range_=bigquery.PartitionRange(
                start=render_optional(ctx, self.rangePartitioningStart, int, "rangePartitioningStart"),
                end=render_optional(ctx, self.rangePartitioningEnd, int, "rangePartitioningEnd"),
                interval=render_optional(ctx, self.rangePartitioningInterval, int, "rangePartitioningInterval")))
        if (timeout := render_optional(ctx, self.jobTimeout, timedelta, "jobTimeout")) is not None:
            config.job_timeout_ms = int(seconds(timeout) * 1000)  # type: ignore[operator]
        return config

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        mode = self.mode(ctx)
        if mode not in ("NONE", "FETCH", "FETCH_ONE", "STORE"):
            raise TaskFailed(f"property 'fetchType' must be NONE, FETCH, FETCH_ONE or STORE, not {mode!r}")
        client = self.client(ctx)
        _, job = run_query(self, ctx, self.config(ctx, client))
        if job.destination is not None and self.destinationTable is not None:
            d = job.destination
            ctx.logger.debug(f"Query loaded in: {d.dataset_id}.{d.table_id}")
        return query_outputs(self, ctx, job, mode)


class CsvOptions(Frozen):
    allowJaggedRows: bool | Expression | None = Field(default=None, description="Accept rows missing trailing optional columns.")
    allowQuotedNewLines: bool | Expression | None = Field(default=None, description="Accept newlines inside quoted values.")
    encoding: str | None = Field(default=None, description="UTF-8 or ISO-8859-1.")
    fieldDelimiter: str | None = Field(default=None, description="Field separator (default ,).")
    quote: str | None = Field(default=None, description="Quote character (default \").")
    skipLeadingRows: int | Expression | None = Field(default=None, description="Header rows to skip.")


class AvroOptions(Frozen):
    useAvroLogicalTypes: bool | Expression | None = Field(default=None, description="Read Avro logical types as BigQuery types.")


_FORMATS = {"CSV": "CSV", "JSON": "NEWLINE_DELIMITED_JSON", "AVRO": "AVRO", "PARQUET": "PARQUET", "ORC": "ORC"}


class LoadBase(BigQueryTask):
    destinationTable: str = Field(description="The table to load into (dataset.table or project.dataset.table).")
    clusteringFields: list[str] | Expression | None = Field(default=None, description="Clustering of the table.")
    schemaUpdateOptions: list[Literal["ALLOW_FIELD_ADDITION", "ALLOW_FIELD_RELAXATION"]] | None = Field(default=None, description="Schema changes the load may make.")
    timePartitioningField: str | None = Field(default=None, description="Time partitioning column.")
    timePartitioningType: Literal["DAY", "HOUR", "MONTH", "YEAR"] | Expression = Field(default="DAY", description="Time partitioning granularity.")
    writeDisposition: WriteDisposition | Expression | None = Field(default=None, description="WRITE_TRUNCATE, WRITE_APPEND (BigQuery's default for loads) or WRITE_EMPTY.")
    autodetect: bool | Expression | None = Field(default=None, description="Infer the schema and options from the data (CSV, JSON).")
    createDisposition: CreateDisposition | Expression | None = Field(default=None, description="CREATE_IF_NEEDED or CREATE_NEVER.")
    ignoreUnknownValues: bool | Expression | None = Field(default=None, description="Ignore values not in the schema.")
    maxBadRecords: int | Expression | None = Field(default=None, description="Bad records tolerated before the job fails.")
    schema_: dict[str, Any] | None = Field(default=None, alias="schema", description="The table's schema: `{fields: [{name, type, mode, description}]}`.")
    format: Literal["CSV", "JSON", "AVRO", "PARQUET", "ORC"] | None = Field(default=None, description="Format of the data.")
    csvOptions: CsvOptions | None = Field(default=None, description="CSV options.")
    avroOptions: AvroOptions | None = Field(default=None, description="Avro options.")

    def config(self, ctx: RunContext) -> Any:
        from google.cloud import bigquery

        config = bigquery.LoadJobConfig()
        if self.format is not None:
            config.source_format = _FORMATS[self.format]
        for attr, value, tp, prop in (("autodetect", self.autodetect, bool, "autodetect"),
                                      ("ignore_unknown_values", self.ignoreUnknownValues, bool, "ignoreUnknownValues"),
                                      ("max_bad_records", self.maxBadRecords, int, "maxBadRecords"),
                                      ("write_disposition", self.writeDisposition, str, "writeDisposition"),
                                      ("create_disposition", self.createDisposition, str, "createDisposition")):
            if (v := render_optional(ctx, value, tp, prop)) is not None:
                setattr(config, attr, v)
        if self.schema_ is not None:
            config.schema = schema_fields(ctx.render(self.schema_), "schema")
        if self.clusteringFields is not None:
            config.clustering_fields = [str(f) for f in render_as(ctx, ctx.render(self.clusteringFields), list[str], "clusteringFields")]
        if self.schemaUpdateOptions:
            config.schema_update_options = list(self.schemaUpdateOptions)
        if (field := render_optional_text(ctx, self.timePartitioningField)) is not None:
            config.time_partitioning = bigquery.TimePartitioning(type_=str(render_as(ctx, self.timePartitioningType, str, "timePartitioningType")), field=field)
        if (csv := self.csvOptions) is not None:
            if (v := render_optional(ctx, csv.allowJaggedRows, bool, "csvOptions.allowJaggedRows")) is not None:
                config.allow_jagged_rows = v
            if (v := render_optional(ctx, csv.allowQuotedNewLines, bool, "csvOptions.allowQuotedNewLines")) is not None:
                config.allow_quoted_newlines = v
            if (v := render_optional(ctx, csv.skipLeadingRows, int, "csvOptions.skipLeadingRows")) is not None:
                config.skip_leading_rows = v
            for attr, text in (("encoding", csv.encoding), ("field_delimiter", csv.fieldDelimiter), ("quote_character", csv.quote)):
                if (t := render_optional_text(ctx, text)) is not None:
                    setattr(config, attr, t)
        if self.avroOptions is not None and (v := render_optional(ctx, self.avroOptions.useAvroLogicalTypes, bool, "avroOptions.useAvroLogicalTypes")) is not None:
            config.use_avro_logical_types = v
        return config

    def outputs(self, ctx: RunContext, job: Any) -> dict[str, Any]:
        d = job.destination
        rows = job.output_rows
        metrics: list[dict[str, Any]] = ctx.effects.extra.setdefault("metrics", [])
        for name, value in (("output.rows", rows), ("output.bytes", job.output_bytes), ("input.files", job.input_files),
                            ("input.file.bytes", job.input_file_bytes), ("bad.records", job.errors and len(job.errors))):
            if value is not None:
                metrics.append({"name": name, "type": "counter", "value": int(value)})
        return {"jobId": job.job_id, "destinationTable": f"{d.project}.{d.dataset_id}.{d.table_id}", "rows": rows}


def schema_fields(schema: Any, prop: str) -> list[Any]:
    """Kestra's `{fields: [...]}` map as the client's SchemaField list."""
    from google.cloud.bigquery import SchemaField

    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise TaskFailed(f"property '{prop}' must be a map with a 'fields' list, not {str(schema)[:100]!r}")

    def one(field: Any, where: str) -> Any:
        if not isinstance(field, dict) or not field.get("name") or not field.get("type"):
            raise TaskFailed(f"{where} must have a name and a type")
        subs = [one(f, f"{where}.subFields[{i}]") for i, f in enumerate(field.get("subFields") or field.get("fields") or [])]
        extra: dict[str, Any] = {"description": str(field["description"])} if field.get("description") else {}
        return SchemaField(str(field["name"]), str(field["type"]).upper(), mode=str(field.get("mode") or "NULLABLE").upper(),
                           fields=subs, **extra)

    return [one(f, f"{prop}.fields[{i}]") for i, f in enumerate(schema["fields"])]


@TASKS.register
class Load(LoadBase):
    """Load a file of internal storage (CSV, JSON lines, Avro, Parquet, ORC) into a BigQuery table. Outputs:
    jobId, destinationTable, rows."""

    TYPE: ClassVar[str] = "gcp.bigquery.Load"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Load",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: load_csv
type: io.kestra.plugin.gcp.bigquery.Load
from: "{{ outputs.extract.uri }}"
destinationTable: my-project.shop.orders
format: CSV
csvOptions:
  fieldDelimiter: ","
  skipLeadingRows: 1
autodetect: true
""",
    )

    from_: str = Field(alias="from", description="The file to load (kestra:/// URI).")
    failedOnEmpty: bool | Expression = Field(default=True, description="Fail when the file is empty (else end with rows 0).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        uri = source_uri(ctx, self.from_)
        client = self.client(ctx)
        destination = table_ref(client, ctx.render_string(self.destinationTable), "destinationTable")
        config = self.config(ctx)
        with stream.opened(ctx, uri) as handle:
            head = handle.read(1)
            if not head:
                if render_bool(ctx, self.failedOnEmpty, "failedOnEmpty"):
                    raise TaskFailed(f"cannot load an empty file: {uri} has no data")
                return {"rows": 0}
            handle.seek(0)
            try:
                job = client.load_table_from_file(handle, destination, job_config=config, job_id=job_id(ctx), rewind=True)
                job.result()
            except Exception as exc:
                raise raise_for(exc, "load") from None
        return self.outputs(ctx, job)


@TASKS.register
class LoadFromGcs(LoadBase):
    """Load files from Cloud Storage (`gs://bucket/path`, wildcards allowed) into a BigQuery table. Outputs:
    jobId, destinationTable, rows."""

    TYPE: ClassVar[str] = "gcp.bigquery.LoadFromGcs"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.LoadFromGcs",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: load_from_gcs
type: io.kestra.plugin.gcp.bigquery.LoadFromGcs
from:
  - gs://my-bucket/exports/orders-*.parquet
destinationTable: shop.orders
format: PARQUET
writeDisposition: WRITE_TRUNCATE
""",
    )

    from_: list[str] | Expression = Field(alias="from", description="gs:// URIs of the files to load.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        uris = [str(u) for u in render_as(ctx, ctx.render(self.from_), list[str], "from")]
        bad = [u for u in uris if not u.startswith("gs://")]
        if not uris or bad:
            raise TaskFailed(f"property 'from' must list gs:// URIs{': not ' + repr(bad[0]) if bad else ''}")
        client = self.client(ctx)
        destination = table_ref(client, ctx.render_string(self.destinationTable), "destinationTable")
        try:
            job = client.load_table_from_uri(uris, destination, job_config=self.config(ctx), job_id=job_id(ctx))
            job.result()
        except Exception as exc:
            raise raise_for(exc, "load from GCS") from None
        return self.outputs(ctx, job)


@TASKS.register
class ExtractToGcs(BigQueryTask):
    """Export a BigQuery table to Cloud Storage files (CSV, JSON lines, Avro, Parquet). Outputs: jobId,
    sourceTable, destinationUris, fileCounts."""

    TYPE: ClassVar[str] = "gcp.bigquery.ExtractToGcs"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.ExtractToGcs",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: extract
type: io.kestra.plugin.gcp.bigquery.ExtractToGcs
sourceTable: my-project.shop.orders
destinationUris:
  - gs://my-bucket/exports/orders-*.csv
format: CSV
printHeader: true
""",
    )

    sourceTable: str = Field(description="The table to export (dataset.table or project.dataset.table).")
    destinationUris: list[str] | Expression = Field(description="gs:// URIs to write (a `*` is numbered when the export is split).")
    compression: str | None = Field(default=None, description="GZIP, DEFLATE, SNAPPY or NONE.")
    fieldDelimiter: str | None = Field(default=None, description="CSV field separator.")
    format: str | None = Field(default=None, description="CSV (default), NEWLINE_DELIMITED_JSON, AVRO or PARQUET.")
    useAvroLogicalTypes: bool | Expression | None = Field(default=None, description="Write Avro logical types.")
    jobTimeoutMs: int | Expression | None = Field(default=None, description="Fail the job when it runs longer (ms).")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the job.")
    printHeader: bool | Expression | None = Field(default=None, description="CSV: write a header line (BigQuery's default: true).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.cloud import bigquery

        uris = [str(u) for u in render_as(ctx, ctx.render(self.destinationUris), list[str], "destinationUris")]
        if not uris or any(not u.startswith("gs://") for u in uris):
            raise TaskFailed("property 'destinationUris' must list gs:// URIs")
        client = self.client(ctx)
        source = table_ref(client, ctx.render_string(self.sourceTable), "sourceTable")
        config = bigquery.ExtractJobConfig()  # type: ignore[no-untyped-call]
        for attr, text in (("compression", self.compression), ("field_delimiter", self.fieldDelimiter),
                           ("destination_format", self.format)):
            if (t := render_optional_text(ctx, text)) is not None:
                setattr(config, attr, t.upper() if attr != "field_delimiter" else t)
        if (v := render_optional(ctx, self.printHeader, bool, "printHeader")) is not None:
            config.print_header = v
        if (v := render_optional(ctx, self.useAvroLogicalTypes, bool, "useAvroLogicalTypes")) is not None:
            config.use_avro_logical_types = v
        if (v := render_optional(ctx, self.jobTimeoutMs, int, "jobTimeoutMs")) is not None:
            config.job_timeout_ms = v
        if self.labels:
            config.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        try:
            job = client.extract_table(source, uris, job_config=config, job_id=job_id(ctx))
            job.result()
        except Exception as exc:
            raise raise_for(exc, "extract") from None
        counts = [int(c) for c in (job.destination_uri_file_counts or [])]
        ctx.effects.extra.setdefault("metrics", []).extend(
            {"name": "file.count", "type": "counter", "value": c, "tags": {"uri": u}} for u, c in zip(uris, counts, strict=False))
        return {"jobId": job.job_id, "sourceTable": f"{source.project}.{source.dataset_id}.{source.table_id}",
                "destinationUris": uris, "fileCounts": counts}


@TASKS.register
class Copy(BigQueryTask):
    """Copy BigQuery tables into another (operationType COPY, SNAPSHOT, RESTORE or CLONE). Output: jobId."""

    TYPE: ClassVar[str] = "gcp.bigquery.Copy"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.Copy",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: copy\ntype: io.kestra.plugin.gcp.bigquery.Copy\nsourceTables:\n  - shop.orders\n"
        "destinationTable: backup.orders\nwriteDisposition: WRITE_TRUNCATE\n",
    )

    sourceTables: list[str] | Expression = Field(description="The tables to copy (dataset.table or project.dataset.table).")
    destinationTable: str = Field(description="The table to copy into.")
    operationType: Literal["COPY", "SNAPSHOT", "RESTORE", "CLONE"] | None = Field(default=None, description="What kind of copy (default COPY).")
    writeDisposition: WriteDisposition | Expression | None = Field(default=None, description="WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY.")
    createDisposition: CreateDisposition | Expression | None = Field(default=None, description="CREATE_IF_NEEDED or CREATE_NEVER.")
    jobTimeout: Duration | Expression | None = Field(default=None, description="Fail the job when it runs longer.")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the job.")
    dryRun: bool | Expression = Field(default=False, description="Kestra compatibility: accepted.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.cloud import bigquery

        client = self.client(ctx)
        sources = [table_ref(client, str(s), "sourceTables") for s in render_as(ctx, ctx.render(self.sourceTables), list[str], "sourceTables")]
        if not sources:
            raise TaskFailed("property 'sourceTables' must name at least one table")
        destination = table_ref(client, ctx.render_string(self.destinationTable), "destinationTable")
        config = bigquery.CopyJobConfig()
        if self.operationType is not None:
            config.operation_type = self.operationType
        if (write := render_optional(ctx, self.writeDisposition, str, "writeDisposition")) is not None:
            config.write_disposition = write
        if (create := render_optional(ctx, self.createDisposition, str, "createDisposition")) is not None:
            config.create_disposition = create
        if (timeout := render_optional(ctx, self.jobTimeout, timedelta, "jobTimeout")) is not None:
            config.job_timeout_ms = int(timeout.total_seconds() * 1000)
        if self.labels:
            config.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        try:
            job = client.copy_table(sources, destination, job_config=config, job_id=job_id(ctx))
            job.result()
        except Exception as exc:
            raise raise_for(exc, "copy") from None
        return {"jobId": job.job_id}
