"""BigQuery datasets and tables: CreateDataset (ifExists ERROR, UPDATE or SKIP) and CreateTable (a table with
its schema, partitioning and clustering, or a view)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.model.durations import Duration
from legato.model.task import TASKS, Frozen
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.gcp.bigquery.base import PREFIX, BigQueryTask, raise_for
from legato.plugins.gcp.bigquery.jobs import schema_fields
from legato.plugins.runnable import Expression, render_bool, render_optional, render_optional_text


@TASKS.register
class CreateDataset(BigQueryTask):
    """Create a BigQuery dataset. Outputs: dataset, project, friendlyName, description, location."""

    TYPE: ClassVar[str] = "gcp.bigquery.CreateDataset"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.CreateDataset",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_dataset
type: io.kestra.plugin.gcp.bigquery.CreateDataset
name: shop
location: EU
ifExists: SKIP
""",
    )

    name: str = Field(description="The dataset's id.")
    acl: list[dict[str, Any]] | None = Field(default=None, description="Access entries: `{role, entity: {type, value}}`.")
    defaultTableLifetime: int | Expression | None = Field(default=None, description="Default lifetime of new tables (ms).")
    description: str | None = Field(default=None, description="Description of the dataset.")
    friendlyName: str | None = Field(default=None, description="Display name.")
    defaultEncryptionConfiguration: dict[str, Any] | None = Field(default=None, description="`{kmsKeyName}` for new tables.")
    defaultPartitionExpirationMs: int | Expression | None = Field(default=None, description="Default partition expiration (ms).")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the dataset.")
    ifExists: Literal["ERROR", "UPDATE", "SKIP"] = Field(default="ERROR", description="When the dataset exists: fail, update it, or leave it.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def build(self, ctx: RunContext, client: Any) -> Any:
        """The dataset the properties describe."""
        from google.cloud import bigquery

        name = ctx.render_string(self.name)
        dataset = bigquery.Dataset(f"{client.project}.{name}")
        dataset.location = render_optional_text(ctx, self.location)
        dataset.friendly_name = render_optional_text(ctx, self.friendlyName)
        dataset.description = render_optional_text(ctx, self.description)
        if self.labels:
            dataset.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        if (v := render_optional(ctx, self.defaultTableLifetime, int, "defaultTableLifetime")) is not None:
            dataset.default_table_expiration_ms = v
        if (v := render_optional(ctx, self.defaultPartitionExpirationMs, int, "defaultPartitionExpirationMs")) is not None:
            dataset.default_partition_expiration_ms = v
        if self.defaultEncryptionConfiguration and self.defaultEncryptionConfiguration.get("kmsKeyName"):
            dataset.default_encryption_configuration = bigquery.EncryptionConfiguration(
                kms_key_name=ctx.render_string(self.defaultEncryptionConfiguration["kmsKeyName"]))
        if self.acl:
            dataset.access_entries = [_access(ctx, a, i) for i, a in enumerate(self.acl)]
        return dataset

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import Conflict

        client = self.client(ctx)
        name = ctx.render_string(self.name)
        dataset = self.build(ctx, client)
        try:
            created = client.create_dataset(dataset)
        except Conflict:
            if self.ifExists == "ERROR":
                raise TaskFailed(f"BigQuery dataset {client.project}.{name} already exists (ifExists: ERROR)") from None
            if self.ifExists == "SKIP":
                ctx.logger.info(f"dataset {client.project}.{name} exists: left as it is (ifExists: SKIP)")
                created = client.get_dataset(dataset.reference)
            else:
                created = client.update_dataset(dataset, _changed(dataset))
        except Exception as exc:
            raise raise_for(exc, f"create dataset {name}") from None
        return dataset_outputs(created)


_DATASET_FIELDS = ["friendly_name", "description", "labels", "default_table_expiration_ms", "default_partition_expiration_ms",
                   "access_entries", "default_encryption_configuration"]


def _changed(dataset: Any) -> list[str]:
    return [f for f in _DATASET_FIELDS if getattr(dataset, f) not in (None, {}, [])]


def dataset_outputs(dataset: Any) -> dict[str, Any]:
    return {"dataset": dataset.dataset_id, "project": dataset.project, "friendlyName": dataset.friendly_name,
            "description": dataset.description, "location": dataset.location}


@TASKS.register
class UpdateDataset(CreateDataset):
    """Update a BigQuery dataset's description, friendly name, labels, access and defaults. Outputs: dataset,
    project, friendlyName, description, location."""

    TYPE: ClassVar[str] = "gcp.bigquery.UpdateDataset"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.UpdateDataset",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: update_dataset\ntype: io.kestra.plugin.gcp.bigquery.UpdateDataset\nname: shop\nfriendlyName: Shop (prod)\n",)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import NotFound

        client = self.client(ctx)
        dataset = self.build(ctx, client)
        try:
            return dataset_outputs(client.update_dataset(dataset, _changed(dataset)))
        except NotFound:
            raise TaskFailed(f"Unable to find dataset '{dataset.project}.{dataset.dataset_id}'") from None
        except Exception as exc:
            raise raise_for(exc, f"update dataset {dataset.dataset_id}") from None


def _access(ctx: RunContext, entry: dict[str, Any], index: int) -> Any:
    from google.cloud.bigquery import AccessEntry

    entity = entry.get("entity") or {}
    if not entry.get("role") or not entity.get("type") or not entity.get("value"):
        raise TaskFailed(f"acl[{index}] must have a role and an entity with a type and a value")
    kinds = {"USER": "userByEmail", "GROUP": "groupByEmail", "DOMAIN": "domain", "IAM_MEMBER": "iamMember"}
    kind = kinds.get(str(entity["type"]).upper())
    if kind is None:
        raise TaskFailed(f"acl[{index}].entity.type must be one of {', '.join(kinds)}")
    return AccessEntry(role=str(entry["role"]), entity_type=kind, entity_id=ctx.render_string(entity["value"]))


class TableDefinition(Frozen):
    type: Literal["TABLE", "VIEW", "MATERIALIZED_VIEW", "EXTERNAL", "SNAPSHOT", "MODEL"] | None = Field(default=None, description="Kind of table.")
    schema_: dict[str, Any] | None = Field(default=None, alias="schema", description="`{fields: [{name, type, mode, description}]}`.")
    standardTableDefinition: dict[str, Any] | None = Field(default=None, description="`{clustering: [...], timePartitioning: {field, type}, rangePartitioning: {field, range: {start, end, interval}}}`.")
    viewDefinition: dict[str, Any] | None = Field(default=None, description="`{query}` of a view.")
    materializedViewDefinition: dict[str, Any] | None = Field(default=None, description="`{query}` of a materialized view.")
    externalTableDefinition: dict[str, Any] | None = Field(default=None, description="External data (accepted; created as a table definition).")


@TASKS.register
class CreateTable(BigQueryTask):
    """Create a BigQuery table or view. Outputs: projectId, datasetId, table, etag, creationTime, numRows,
    definition, ..."""

    TYPE: ClassVar[str] = "gcp.bigquery.CreateTable"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.CreateTable",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        """\
id: create_table
type: io.kestra.plugin.gcp.bigquery.CreateTable
dataset: shop
table: orders
tableDefinition:
  type: TABLE
  schema:
    fields:
      - name: id
        type: INT64
      - name: amount
        type: NUMERIC
""",
    )

    dataset: str = Field(description="The table's dataset.")
    table: str = Field(description="The table's id.")
    tableDefinition: TableDefinition | None = Field(default=None, description="Schema, partitioning, view query.")
    friendlyName: str | None = Field(default=None, description="Display name.")
    description: str | None = Field(default=None, description="Description of the table.")
    labels: dict[str, str] | None = Field(default=None, description="Labels of the table.")
    requirePartitionFilter: bool | Expression | None = Field(default=None, description="Queries must filter on the partitioning column.")
    encryptionConfiguration: dict[str, Any] | None = Field(default=None, description="`{kmsKeyName}`.")
    expirationDuration: Duration | Expression | None = Field(default=None, description="The table expires this long after creation.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def build(self, ctx: RunContext, client: Any) -> Any:
        """The table the properties describe."""
        from google.cloud import bigquery

        project = render_optional_text(ctx, self.projectId) or client.project
        table = bigquery.Table(f"{project}.{ctx.render_string(self.dataset)}.{ctx.render_string(self.table)}")
        definition = self.tableDefinition
        if definition is not None:
            if definition.schema_ is not None:
                table.schema = schema_fields(ctx.render(definition.schema_), "tableDefinition.schema")
            standard = ctx.render(definition.standardTableDefinition or {})
            if standard.get("clustering"):
                table.clustering_fields = list(standard["clustering"])
            if (tp := standard.get("timePartitioning")) is not None:
                table.time_partitioning = bigquery.TimePartitioning(type_=tp.get("type", "DAY"), field=tp.get("field"))
            if (rp := standard.get("rangePartitioning")) is not None:
                span = rp.get("range") or {}
                table.range_partitioning = bigquery.RangePartitioning(field=rp.get("field"), range_=bigquery.PartitionRange(
                    start=span.get("start"), end=span.get("end"), interval=span.get("interval")))
            if definition.viewDefinition is not None:
                table.view_query = ctx.render_string(definition.viewDefinition.get("query", ""))
            if definition.materializedViewDefinition is not None:
                table.mview_query = ctx.render_string(definition.materializedViewDefinition.get("query", ""))
        table.friendly_name = render_optional_text(ctx, self.friendlyName)
        table.description = render_optional_text(ctx, self.description)
        if self.labels:
            table.labels = {k: ctx.render_string(v) for k, v in self.labels.items()}
        if (v := render_optional(ctx, self.requirePartitionFilter, bool, "requirePartitionFilter")) is not None:
            table.require_partition_filter = v
        if self.encryptionConfiguration and self.encryptionConfiguration.get("kmsKeyName"):
            table.encryption_configuration = bigquery.EncryptionConfiguration(kms_key_name=self.encryptionConfiguration["kmsKeyName"])
        if (expiry := render_optional(ctx, self.expirationDuration, Duration, "expirationDuration")) is not None:
            table.expires = datetime.now(UTC) + expiry
        return table

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        client = self.client(ctx)
        table = self.build(ctx, client)
        ref = f"{table.project}.{table.dataset_id}.{table.table_id}"
        try:
            created = client.create_table(table)
        except Exception as exc:
            raise raise_for(exc, f"create table {ref}") from None
        return table_outputs(created)


@TASKS.register
class UpdateTable(CreateTable):
    """Update a BigQuery table's schema, description, labels, expiry... (the properties given). Outputs as
    CreateTable's."""

    TYPE: ClassVar[str] = "gcp.bigquery.UpdateTable"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.UpdateTable",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: update_table\ntype: io.kestra.plugin.gcp.bigquery.UpdateTable\ndataset: shop\ntable: orders\nexpirationDuration: PT48H\n",)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import NotFound

        client = self.client(ctx)
        table = self.build(ctx, client)
        fields = [f for f in ("schema", "friendly_name", "description", "labels", "expires", "require_partition_filter",
                              "clustering_fields", "view_query", "encryption_configuration")
                  if getattr(table, f) not in (None, {}, [])]
        ref = f"{table.project}.{table.dataset_id}.{table.table_id}"
        try:
            return table_outputs(client.update_table(table, fields))
        except NotFound:
            raise TaskFailed(f"Unable to find table '{ref}'") from None
        except Exception as exc:
            raise raise_for(exc, f"update table {ref}") from None


def table_outputs(table: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    schema = [{"name": f.name, "type": f.field_type, "mode": f.mode, "description": f.description} for f in table.schema or []]
    return {
        "projectId": table.project, "datasetId": table.dataset_id, "table": table.table_id, "etag": table.etag,
        "generatedId": table.full_table_id, "selfLink": table.self_link, "friendlyName": table.friendly_name,
        "description": table.description, "creationTime": iso(table.created), "expirationTime": iso(table.expires),
        "lastModifiedTime": iso(table.modified), "numBytes": table.num_bytes, "numRows": table.num_rows,
        "definition": {"type": table.table_type, "schema": {"fields": schema},
                       "viewDefinition": {"query": table.view_query} if table.view_query else None},
        "labels": table.labels or {}, "requirePartitionFilter": table.require_partition_filter,
    }


@TASKS.register
class DeleteDataset(BigQueryTask):
    """Delete a BigQuery dataset (with its tables when deleteContents). Output: dataset."""

    TYPE: ClassVar[str] = "gcp.bigquery.DeleteDataset"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.DeleteDataset",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete_dataset\ntype: io.kestra.plugin.gcp.bigquery.DeleteDataset\nname: staging\ndeleteContents: true\n",)

    name: str = Field(description="The dataset's id.")
    deleteContents: bool | Expression = Field(default=False, description="Delete its tables too (else a dataset holding tables is not deleted).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import NotFound

        client = self.client(ctx)
        name = ctx.render_string(self.name)
        try:
            client.delete_dataset(f"{client.project}.{name}", delete_contents=render_bool(ctx, self.deleteContents, "deleteContents"))
        except NotFound:
            raise TaskFailed(f"Couldn't find dataset '{client.project}.{name}'") from None
        except Exception as exc:
            raise raise_for(exc, f"delete dataset {name}") from None
        return {"dataset": name}


class TableTask(BigQueryTask):
    dataset: str = Field(description="The table's dataset.")
    table: str = Field(description="The table's id.")

    def ref(self, ctx: RunContext, client: Any) -> str:
        project = render_optional_text(ctx, self.projectId) or client.project
        return f"{project}.{ctx.render_string(self.dataset)}.{ctx.render_string(self.table)}"


@TASKS.register
class DeleteTable(TableTask):
    """Delete a BigQuery table. Outputs: projectId, datasetId, table."""

    TYPE: ClassVar[str] = "gcp.bigquery.DeleteTable"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.DeleteTable",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: delete_table\ntype: io.kestra.plugin.gcp.bigquery.DeleteTable\ndataset: shop\ntable: orders_tmp\n",)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import NotFound

        client = self.client(ctx)
        ref = self.ref(ctx, client)
        try:
            client.delete_table(ref)
        except NotFound:
            raise TaskFailed(f"Couldn't find table '{ref}'") from None
        except Exception as exc:
            raise raise_for(exc, f"delete table {ref}") from None
        project, dataset, table = ref.split(".")
        return {"projectId": project, "datasetId": dataset, "table": table}


@TASKS.register
class TableMetadata(TableTask):
    """Read a BigQuery table's metadata (schema, row count, dates...); ifNotExists ERROR (default) or SKIP."""

    TYPE: ClassVar[str] = "gcp.bigquery.TableMetadata"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{PREFIX}.TableMetadata",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: metadata\ntype: io.kestra.plugin.gcp.bigquery.TableMetadata\ndataset: shop\ntable: orders\n",)

    ifNotExists: Literal["ERROR", "SKIP"] = Field(default="ERROR", description="When the table does not exist: fail, or end with no outputs.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        return await asyncio.to_thread(self._run, ctx)

    def _run(self, ctx: RunContext) -> dict[str, Any]:
        from google.api_core.exceptions import NotFound

        client = self.client(ctx)
        ref = self.ref(ctx, client)
        try:
            return table_outputs(client.get_table(ref))
        except NotFound:
            if self.ifNotExists == "SKIP":
                return {}
            raise TaskFailed(f"Unable to find table '{ref}'") from None
        except Exception as exc:
            raise raise_for(exc, f"read table {ref}") from None
