"""The destinations of log.LogShipper (Kestra EE's `logExporters`): a file of internal storage, and the HTTP log
intakes of Datadog, Splunk (HTTP Event Collector), New Relic, Graylog (GELF over HTTP) and any OpenTelemetry
collector (OTLP/HTTP, JSON encoding). The AWS ones (CloudWatch Logs, S3) are in legato.plugins.aws.log_exporters,
Elasticsearch's and OpenSearch's in legato.plugins.elasticsearch.log_exporter.

Each exporter opens a `Shipment` for one run of the shipper: the shipper hands it the log entries page by page
(Kestra's LogEntry JSON: namespace, flowId, taskId, executionId, taskRunId, attemptNumber, timestamp, level,
message), it sends them in chunks of `chunk` entries, and `close` returns its outputs. The endpoints are the flow's
to name, so every request goes through the SSRF guard of legato.plugins.core.httpclient."""

from __future__ import annotations

import asyncio
import json
import socket
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field

from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import httpclient
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, render_as, render_text
from legato.plugins.subplugins import SubPlugin

Entry = dict[str, Any]
ID_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"
SOURCE = "legato"  # the `source`/`service` the intakes file the lines under
_SEVERITY = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}  # OpenTelemetry's severity numbers
_SYSLOG = {"TRACE": 7, "DEBUG": 7, "INFO": 6, "WARN": 4, "ERROR": 3}  # GELF's levels are syslog's


class Shipment(ABC):
    """One run's sending to one destination."""

    @abstractmethod
    async def send(self, entries: list[Entry]) -> None:
        """Ship these entries (in the order written)."""

    @abstractmethod
    async def close(self) -> dict[str, Any]:
        """Ship what is left and say what was done (the exporter's outputs)."""

    async def abort(self) -> None:  # noqa: B027 - most shipments hold nothing to release
        """The run failed: release what the shipment holds, ship nothing more."""


class LogExporter(SubPlugin):
    """What every exporter has: an id, unique in the shipper."""

    id: str = Field(pattern=ID_PATTERN, description="Identifier of the exporter, unique among the shipper's exporters.")

    @abstractmethod
    def open(self, ctx: RunContext) -> Shipment:
        """A shipment for this run (properties rendered now: a wrong one fails before any line is read)."""


def epoch(entry: Entry) -> float:
    return datetime.fromisoformat(entry["timestamp"]).timestamp()


def line(entry: Entry) -> bytes:
    return (json.dumps(entry, ensure_ascii=False) + "\n").encode()


# --- internal storage -------------------------------------------------------------------------------------------


class FileLogExporter(LogExporter):
    """Write the lines to files of internal storage (one JSON document a line, which is also ION text), at most
    `maxLinesPerFile` lines each; their URIs are the exporter's `uris` output, for another task to send on."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.core.log.FileLogExporter"

    format: Literal["ION", "JSON"] = Field(default="ION", description="Format of the files: ION or JSON (the extension; one object a line either way).")
    logFilePrefix: str = Field(default="kestra-log-file", description="Start of each file's name, followed by the date and time of the run.")
    maxLinesPerFile: int | Expression | None = Field(default=None, description="Most lines in one file (unset: one file).")

    def open(self, ctx: RunContext) -> Shipment:
        most = render_as(ctx, self.maxLinesPerFile, int, "maxLinesPerFile") if self.maxLinesPerFile is not None else None
        if most is not None and most < 1:
            raise TaskFailed(f"logExporters '{self.id}': maxLinesPerFile must be at least 1, got {most}")
        return _Files(ctx, *object_name(ctx, self.logFilePrefix, self.format), most)


class _Files(Shipment):
    def __init__(self, ctx: RunContext, name: str, extension: str, most: int | None) -> None:
        self._ctx, self._name, self._extension, self._most = ctx, name, extension, most
        self._out: stream.Output | None = None
        self._lines = 0
        self.uris: list[str] = []

    async def send(self, entries: list[Entry]) -> None:
        for entry in entries:
            if self._out is None:
                suffix = f"-{len(self.uris) + 1}" if self._most is not None else ""
                self._out = stream.Output(self._ctx, f"{self._name}{suffix}.{self._extension}")
            self._out.write(line(entry))
            self._lines += 1
            if self._most is not None and self._lines == self._most:
                self._save()

    def _save(self) -> None:
        if self._out is not None:
            self.uris.append(self._out.save())
            self._out, self._lines = None, 0

    async def abort(self) -> None:
        if self._out is not None:
            self._out.discard()

    async def close(self) -> dict[str, Any]:
        self._save()
        return {"uris": self.uris}


class Objects(Shipment):
    """Lines gathered into objects of at most `most` lines, each handed to `upload(name, data)` (run in a thread;
    it returns the object's address) as `<name>-<n>`; the addresses are the `uris` output."""

    def __init__(self, upload: Callable[[str, bytes], str], name: tuple[str, str], most: int) -> None:
        self._upload, self._name, self._most = upload, name, most
        self._pending: list[bytes] = []
        self.uris: list[str] = []

    async def send(self, entries: list[Entry]) -> None:
        self._pending += [line(e) for e in entries]
        while len(self._pending) >= self._most:
            await self._put(self._pending[:self._most])
            self._pending = self._pending[self._most:]

    async def _put(self, lines: list[bytes]) -> None:
        stem, extension = self._name
        self.uris.append(await asyncio.to_thread(self._upload, f"{stem}-{len(self.uris) + 1}.{extension}", b"".join(lines)))

    async def close(self) -> dict[str, Any]:
        if self._pending:
            await self._put(self._pending)
            self._pending = []
        return {"uris": self.uris}


def object_name(ctx: RunContext, prefix: str, file_format: str) -> tuple[str, str]:
    """The stem (`<prefix>-<run date>`) and extension of the files an exporter writes."""
    return f"{render_text(ctx, prefix)}-{ctx.now():%Y-%m-%dT%H-%M-%S}", file_format.lower()


# --- HTTP intakes -----------------------------------------------------------------------------------------------


class HttpExporter(LogExporter):
    """An exporter that posts chunks of lines to an HTTP intake."""

    SERVICE: ClassVar[str]

    chunk: int | Expression = Field(default=1000, description="Lines sent in one request.")
    options: dict[str, Any] | None = Field(default=None, description="Kestra's HTTP client options (accepted; timeouts are 30 s to connect, 60 s to read).")

    def open(self, ctx: RunContext) -> Shipment:
        chunk = render_as(ctx, self.chunk, int, "chunk")
        if chunk < 1:
            raise TaskFailed(f"logExporters '{self.id}': chunk must be at least 1, got {chunk}")
        return _Posts(self.SERVICE, self.id, chunk, self.poster(ctx))

    @abstractmethod
    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        """The request that sends one chunk."""


class _Posts(Shipment):
    def __init__(self, service: str, exporter: str, chunk: int,
                 post: Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]) -> None:
        self._service, self._exporter, self._chunk, self._post = service, exporter, chunk, post
        self._pending: list[Entry] = []
        self._requests = 0
        self._client = httpclient.client(timeout=httpx.Timeout(60.0, connect=30.0))

    async def send(self, entries: list[Entry]) -> None:
        self._pending += entries
        while len(self._pending) >= self._chunk:
            await self._flush(self._pending[:self._chunk])
            self._pending = self._pending[self._chunk:]

    async def _flush(self, entries: list[Entry]) -> None:
        try:
            response = await self._post(self._client, entries)
        except httpx.HTTPError as exc:
            raise TaskFailed(f"logExporters '{self._exporter}': {self._service} could not be reached: {exc}") from None
        self._requests += 1
        if response.status_code >= 300:
            text = response.text.strip().replace("\n", " ")[:300]
            raise TaskFailed(f"logExporters '{self._exporter}': {self._service} answered HTTP {response.status_code}: {text}")

    async def abort(self) -> None:
        await self._client.aclose()

    async def close(self) -> dict[str, Any]:
        try:
            if self._pending:
                await self._flush(self._pending)
                self._pending = []
        finally:
            await self._client.aclose()
        return {"requests": self._requests}


class DatadogLogExporter(HttpExporter):
    """Datadog's log intake (`POST {basePath}/api/v2/logs`, the key in `DD-API-KEY`): each line with its level as
    `status`, its flow and execution as tags and attributes."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.datadog.LogExporter"
    SERVICE: ClassVar[str] = "Datadog"

    basePath: str = Field(description="The intake's base URL, e.g. https://http-intake.logs.datadoghq.eu.")
    apiKey: str = Field(description="Datadog API key (use a secret).")

    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        url = render_text(ctx, self.basePath).rstrip("/") + "/api/v2/logs"
        headers = {"DD-API-KEY": render_text(ctx, self.apiKey), "Content-Type": "application/json"}
        host = socket.gethostname()

        def body(entries: list[Entry]) -> list[Entry]:
            return [{
                **entry, "ddsource": SOURCE, "service": SOURCE, "hostname": host, "status": entry["level"].lower(),
                "ddtags": ",".join(f"{k}:{entry[k]}" for k in ("namespace", "flowId", "executionId", "taskId") if k in entry),
            } for entry in entries]

        return lambda client, entries: client.post(url, headers=headers, json=body(entries))


class SplunkLogExporter(HttpExporter):
    """Splunk's HTTP Event Collector (`POST {host}/services/collector`, `Authorization: Splunk <token>`): one JSON
    event a line, its time the line's."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.splunk.LogExporter"
    SERVICE: ClassVar[str] = "Splunk"

    host: str = Field(description="Base URL of the HTTP Event Collector, e.g. https://splunk.example.com:8088.")
    token: str = Field(description="HTTP Event Collector token (use a secret).")

    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        url = render_text(ctx, self.host).rstrip("/") + "/services/collector"
        headers = {"Authorization": f"Splunk {render_text(ctx, self.token)}", "Content-Type": "application/json"}

        def body(entries: list[Entry]) -> bytes:
            return b"".join(line({"time": epoch(e), "source": SOURCE, "sourcetype": "_json", "event": e}) for e in entries)

        return lambda client, entries: client.post(url, headers=headers, content=body(entries))


class NewRelicLogExporter(HttpExporter):
    """New Relic's Log API (`POST {basePath}/log/v1`, the key in `Api-Key`): the lines of a chunk in one block."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.newrelic.LogExporter"
    SERVICE: ClassVar[str] = "New Relic"

    basePath: str = Field(description="The Log API's base URL, e.g. https://log-api.newrelic.com (https://log-api.eu.newrelic.com in the EU).")
    apiKey: str = Field(description="License or API key (use a secret).")

    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        url = render_text(ctx, self.basePath).rstrip("/") + "/log/v1"
        headers = {"Api-Key": render_text(ctx, self.apiKey), "Content-Type": "application/json"}

        def body(entries: list[Entry]) -> list[Entry]:
            logs = [{"timestamp": int(epoch(e) * 1000), "message": e["message"],
                     "attributes": {k: v for k, v in e.items() if k not in ("message", "timestamp")}} for e in entries]
            return [{"common": {"attributes": {"service": SOURCE}}, "logs": logs}]

        return lambda client, entries: client.post(url, headers=headers, json=body(entries))


class GraylogLogExporter(HttpExporter):
    """A Graylog GELF HTTP input (`POST {endpoint}`): one GELF 1.1 message a request (the input's default; bulk
    receiving need not be enabled), the line's fields as additional `_` fields."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.graylog.LogExporter"
    SERVICE: ClassVar[str] = "Graylog"

    endpoint: str = Field(description="URL of the GELF HTTP input, e.g. http://graylog:12201/gelf.")
    graylogHost: str = Field(default="Kestra", description="The `host` field of every message.")

    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        url = render_text(ctx, self.endpoint)
        host = render_text(ctx, self.graylogHost)

        async def post(client: httpx.AsyncClient, entries: list[Entry]) -> httpx.Response:
            response = None
            for e in entries:
                extra = {f"_{k}": v for k, v in e.items() if k not in ("message", "timestamp", "level")}
                message = {"version": "1.1", "host": host, "short_message": e["message"] or "-",
                           "timestamp": epoch(e), "level": _SYSLOG.get(e["level"], 6), **extra}
                response = await client.post(url, json=message)
                if response.status_code >= 300:
                    return response
            assert response is not None  # a chunk is never empty
            return response

        return post


class OpenTelemetryLogExporter(HttpExporter):
    """An OpenTelemetry collector's OTLP/HTTP logs endpoint (JSON encoding): the lines of a chunk as log records
    of one resource (`service.name` legato), with their severity and the line's fields as attributes."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.opentelemetry.LogExporter"
    SERVICE: ClassVar[str] = "the OpenTelemetry collector"

    otlpEndpoint: str = Field(description="The collector's logs URL, e.g. http://collector:4318/v1/logs.")
    authorizationHeaderName: str | None = Field(default=None, description="Name of a header sent for authentication (e.g. Authorization).")
    authorizationHeaderValue: str | None = Field(default=None, description="Its value (use a secret).")

    def poster(self, ctx: RunContext) -> Callable[[httpx.AsyncClient, list[Entry]], Awaitable[httpx.Response]]:
        url = render_text(ctx, self.otlpEndpoint)
        headers = {"Content-Type": "application/json"}
        if self.authorizationHeaderName:
            headers[render_text(ctx, self.authorizationHeaderName)] = render_text(ctx, self.authorizationHeaderValue or "")

        def record(e: Entry) -> Entry:
            attributes = [{"key": k, "value": {"intValue": str(v)} if isinstance(v, int) else {"stringValue": str(v)}}
                          for k, v in e.items() if k not in ("message", "timestamp", "level")]
            return {"timeUnixNano": str(int(epoch(e) * 1e9)), "severityNumber": _SEVERITY.get(e["level"], 9),
                    "severityText": e["level"], "body": {"stringValue": e["message"]}, "attributes": attributes}

        def body(entries: list[Entry]) -> Entry:
            resource = {"attributes": [{"key": "service.name", "value": {"stringValue": SOURCE}}]}
            return {"resourceLogs": [{"resource": resource, "scopeLogs": [
                {"scope": {"name": SOURCE}, "logRecords": [record(e) for e in entries]}]}]}

        return lambda client, entries: client.post(url, headers=headers, json=body(entries))


HTTP_EXPORTERS: list[type[LogExporter]] = [DatadogLogExporter, SplunkLogExporter, NewRelicLogExporter,
                                           GraylogLogExporter, OpenTelemetryLogExporter]
