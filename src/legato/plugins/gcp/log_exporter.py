"""log.LogShipper's Cloud Storage destination (Kestra EE's `io.kestra.plugin.ee.gcp.gcs.LogExporter`): objects of at
most `maxLinesPerFile` lines (one JSON document a line) in a bucket. google-cloud-storage comes with the `gcp`
extra; without it, the run fails saying so."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.log_exporters import LogExporter, Objects, Shipment, object_name
from legato.plugins.gcp.connection import GcpConnection, failure, storage_client
from legato.plugins.runnable import Expression, render_as, render_text


class GcsLogExporter(LogExporter, GcpConnection):
    """Objects `<logFilePrefix>-<run date>-<n>.<ext>` in `bucket`; their `gs://` addresses are the `uris` output."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.gcp.gcs.LogExporter"

    bucket: str = Field(description="The bucket (rendered).")
    format: Literal["ION", "JSON"] = Field(default="ION", description="Format of the objects: ION or JSON (the extension; one object a line either way).")
    logFilePrefix: str = Field(default="kestra-log-file", description="Start of each object's name, followed by the date and time of the run.")
    maxLinesPerFile: int | Expression = Field(default=100_000, description="Most lines in one object.")
    chunk: int | Expression | None = Field(default=None, description="Accepted for Kestra's flows; objects are cut by maxLinesPerFile.")

    def open(self, ctx: RunContext) -> Shipment:
        most = render_as(ctx, self.maxLinesPerFile, int, "maxLinesPerFile")
        if most < 1:
            raise TaskFailed(f"logExporters '{self.id}': maxLinesPerFile must be at least 1, got {most}")
        try:
            bucket_name = render_text(ctx, self.bucket)
            bucket = storage_client(self, ctx.render).bucket(bucket_name)
        except ImportError:
            raise TaskFailed("the Cloud Storage log exporter needs google-cloud-storage: run pip install 'legato[gcp]'") from None

        def upload(name: str, data: bytes) -> str:
            try:
                bucket.blob(name).upload_from_string(data, content_type="application/json")
            except Exception as exc:  # google.api_core's errors and connection errors alike
                raise failure(exc, f"Cloud Storage upload of gs://{bucket_name}/{name}") from None
            return f"gs://{bucket_name}/{name}"

        return Objects(upload, object_name(ctx, self.logFilePrefix, self.format), most)


GCP_EXPORTERS: list[type[LogExporter]] = [GcsLogExporter]
