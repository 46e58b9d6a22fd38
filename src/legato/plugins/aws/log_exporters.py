"""log.LogShipper's AWS destinations (Kestra EE's `io.kestra.plugin.ee.aws.*.LogExporter`): a CloudWatch Logs
stream, and files in an S3 bucket. boto3 comes with the `aws` extra; without it, the run fails saying so."""

from __future__ import annotations

import asyncio
import contextlib
import json
from operator import itemgetter
from typing import Any, ClassVar, Literal

from pydantic import Field

from legato.plugins.aws.connection import AwsConnection, client, failure
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core.log_exporters import Entry, LogExporter, Objects, Shipment, epoch, object_name
from legato.plugins.runnable import Expression, render_as, render_text

_MISSING = "the AWS log exporters need boto3: run pip install 'legato[aws]'"
_CLOUDWATCH_MOST = 10_000  # events in one PutLogEvents call (the service's limit)


def _client(exporter: AwsConnection, ctx: RunContext, service: str) -> Any:
    try:
        return client(exporter, ctx.render, service)
    except ImportError:
        raise TaskFailed(_MISSING) from None


class CloudWatchLogExporter(LogExporter, AwsConnection):
    """A CloudWatch Logs stream (created with its group when missing): each line as a JSON event at the line's
    time, `chunk` events a call. The service refuses events older than 14 days (or the group's retention): those
    are counted in the `rejected` output and a warning is logged."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.aws.cloudwatch.LogExporter"

    logGroupName: str = Field(description="The log group (rendered).")
    logStreamName: str = Field(description="The log stream of the group (rendered).")
    chunk: int | Expression = Field(default=1000, description="Events sent in one call (at most 10,000).")

    def open(self, ctx: RunContext) -> Shipment:
        chunk = render_as(ctx, self.chunk, int, "chunk")
        if not 1 <= chunk <= _CLOUDWATCH_MOST:
            raise TaskFailed(f"logExporters '{self.id}': chunk must be between 1 and {_CLOUDWATCH_MOST}, got {chunk}")
        return _Stream(ctx, _client(self, ctx, "logs"), render_text(ctx, self.logGroupName),
                       render_text(ctx, self.logStreamName), chunk)


class _Stream(Shipment):
    def __init__(self, ctx: RunContext, logs: Any, group: str, stream: str, chunk: int) -> None:
        self._ctx, self._logs, self._group, self._stream, self._chunk = ctx, logs, group, stream, chunk
        self._ready = False
        self._events = self._rejected = 0

    def _create(self) -> None:
        for call, args in ((self._logs.create_log_group, {"logGroupName": self._group}),
                           (self._logs.create_log_stream, {"logGroupName": self._group, "logStreamName": self._stream})):
            with contextlib.suppress(self._logs.exceptions.ResourceAlreadyExistsException):
                call(**args)
        self._ready = True

    def _put(self, entries: list[Entry]) -> None:
        if not self._ready:
            self._create()
        # chronological, as the service requires; lines of the same millisecond keep their order (a stable sort)
        stamped = sorted(((int(epoch(e) * 1000), json.dumps(e, ensure_ascii=False)) for e in entries), key=itemgetter(0))
        events = [{"timestamp": stamp, "message": message} for stamp, message in stamped]
        for start in range(0, len(events), self._chunk):
            batch = events[start:start + self._chunk]
            answer = self._logs.put_log_events(logGroupName=self._group, logStreamName=self._stream, logEvents=batch)
            self._rejected += _rejected(answer.get("rejectedLogEventsInfo"), len(batch))
            self._events += len(batch)

    async def send(self, entries: list[Entry]) -> None:
        try:
            await asyncio.to_thread(self._put, entries)
        except Exception as exc:  # botocore's ClientError and connection errors alike
            raise failure(exc, f"CloudWatch Logs {self._group}/{self._stream}") from None

    async def close(self) -> dict[str, Any]:
        if self._rejected:
            self._ctx.logger.warn(f"CloudWatch Logs refused {self._rejected} of {self._events} event(s) of "
                                  f"{self._group}/{self._stream}: older than 14 days or the group's retention")
        return {"events": self._events, "rejected": self._rejected}


def _rejected(info: dict[str, int] | None, count: int) -> int:
    """How many events of a batch CloudWatch refused: older than its retention or 14 days (the first ones), too
    far in the future (the last ones), or expired."""
    if not info:
        return 0
    old = info.get("tooOldLogEventEndIndex", info.get("expiredLogEventEndIndex", -1)) + 1
    new = count - info["tooNewLogEventStartIndex"] if "tooNewLogEventStartIndex" in info else 0
    return min(count, old + new)


class S3LogExporter(LogExporter, AwsConnection):
    """Files in an S3 bucket, at most `maxLinesPerFile` lines each (one JSON document a line); their
    `s3://bucket/key` addresses are the exporter's `uris` output."""

    TYPE: ClassVar[str] = "io.kestra.plugin.ee.aws.s3.LogExporter"

    bucket: str = Field(description="The bucket (rendered).")
    format: Literal["ION", "JSON"] = Field(default="ION", description="Format of the files: ION or JSON (the extension; one object a line either way).")
    logFilePrefix: str = Field(default="kestra-log-file", description="Start of each object's key, followed by the date and time of the run.")
    maxLinesPerFile: int | Expression = Field(default=100_000, description="Most lines in one object.")

    def open(self, ctx: RunContext) -> Shipment:
        most = render_as(ctx, self.maxLinesPerFile, int, "maxLinesPerFile")
        if most < 1:
            raise TaskFailed(f"logExporters '{self.id}': maxLinesPerFile must be at least 1, got {most}")
        s3, bucket = _client(self, ctx, "s3"), render_text(ctx, self.bucket)

        def upload(key: str, data: bytes) -> str:
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=data)
            except Exception as exc:  # botocore's ClientError and connection errors alike
                raise failure(exc, f"S3 upload of s3://{bucket}/{key}") from None
            return f"s3://{bucket}/{key}"

        return Objects(upload, object_name(ctx, self.logFilePrefix, self.format), most)


AWS_EXPORTERS: list[type[LogExporter]] = [CloudWatchLogExporter, S3LogExporter]
