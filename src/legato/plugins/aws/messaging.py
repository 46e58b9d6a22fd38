"""Kestra's AWS messaging tasks: SQS `Publish` and `Consume`, SNS `Publish`, EventBridge `PutEvents`, Kinesis
`PutRecords`, Lambda `Invoke` and ECR `GetAuthToken` (boto3, the `aws` extra).

- `sqs.Publish` / `sns.Publish`: `from` is one message map, a list of them or a storage URI of one per line;
  a message is `{data, groupId, deduplicationId, delaySeconds}` (SNS: `subject`, `phoneNumber`, `structure`
  instead of `delaySeconds`); data that is not text is sent as JSON. Output `messagesCount`.
- `sqs.Consume`: receives until `maxRecords` messages or `maxDuration` (one is required), writes them (as text, or
  parsed with `serdeType: JSON`) one per line to a storage file, deletes them when `autoDelete`. Outputs `uri`,
  `count`.
- `eventbridge.PutEvents` / `kinesis.PutRecords`: entries/records from a list or a storage URI; outputs `uri` (one
  line per entry with the service's answer), the counts, and WARNING or failure when some were refused.
- `lambda.Invoke`: the response body stored as a file (`uri`, `contentLength`, `contentType`); a function error
  fails the task with the function's error payload.
- `ecr.GetAuthToken`: `token`, the password of the registry's Basic credentials (user `AWS`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from legato.model import durations
from legato.model.durations import Duration
from legato.model.task import TASKS
from legato.plugins.aws import connection, records
from legato.plugins.aws.connection import KESTRA, AwsTask
from legato.plugins.context import RunContext, TaskFailed
from legato.plugins.core import storage_stream as stream
from legato.plugins.runnable import Expression, render_bool, render_optional

CREDENTIALS = """accessKeyId: "{{ secret('AWS_ACCESS_KEY_ID') }}"
secretKeyId: "{{ secret('AWS_SECRET_KEY_ID') }}"
region: eu-central-1
"""
SerdeType = Literal["STRING", "JSON"]
_SQS_BATCH = 10


def _call(what: str, call: Any) -> Any:
    try:
        return call()
    except TaskFailed:
        raise
    except Exception as exc:
        raise connection.failure(exc, what) from None


def decode(body: str, serde: str) -> Any:
    if serde == "JSON":
        try:
            return json.loads(body)
        except ValueError:
            raise TaskFailed(f"serdeType JSON: a message is not JSON: {body[:100]!r}") from None
    return body


class SqsTask(AwsTask):
    queueUrl: str = Field(description="URL of the queue (rendered).")
    maxConcurrency: int | Expression = Field(default=50, description="Kestra compatibility (its async client's pool): accepted.")
    connectionAcquisitionTimeout: str | None = Field(default=None, description="Kestra compatibility: accepted.")


@TASKS.register
class SqsPublish(SqsTask):
    """Send messages to an SQS queue (in batches of 10). Output `messagesCount`."""

    TYPE: ClassVar[str] = "aws.sqs.Publish"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.sqs.Publish",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: publish\ntype: io.kestra.plugin.aws.sqs.Publish\n" + CREDENTIALS
        + "queueUrl: https://sqs.eu-central-1.amazonaws.com/000000000000/orders\nfrom:\n  - data: first message\n"
          "  - data:\n      order: 42\n    delaySeconds: 5\n",
    )

    from_: Any = Field(alias="from", description="One message map ({data, groupId, deduplicationId, delaySeconds}), a list of them, or the internal-storage URI of a file of one per line.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        url = ctx.render_string(self.queueUrl)
        messages = [records.mapping(m, "from") for m in records.items(ctx, self.from_, "from")]
        entries = []
        for i, message in enumerate(messages):
            entry: dict[str, Any] = {"Id": str(i), "MessageBody": records.text(message.get("data", ""))}
            for key, name in (("groupId", "MessageGroupId"), ("deduplicationId", "MessageDeduplicationId")):
                if message.get(key):
                    entry[name] = str(message[key])
            if message.get("delaySeconds") is not None:
                entry["DelaySeconds"] = int(message["delaySeconds"])
            entries.append(entry)

        def send() -> int:
            client = connection.client(self, ctx.render, "sqs")
            sent = 0
            for start in range(0, len(entries), _SQS_BATCH):
                batch = [{**e, "Id": str(n)} for n, e in enumerate(entries[start:start + _SQS_BATCH])]
                answer = _call(f"cannot send to {url}", lambda b=batch: client.send_message_batch(QueueUrl=url, Entries=b))
                failed = answer.get("Failed") or []
                if failed:
                    details = "; ".join(f"entry {f.get('Id')}: {f.get('Code')} {f.get('Message', '')}".strip() for f in failed)
                    raise TaskFailed(f"{len(failed)} message(s) refused by {url}: {details}")
                sent += len(answer.get("Successful") or [])
            return sent

        count = await asyncio.to_thread(send)
        records.counter(ctx, "sqs.publish.messages", count)
        return {"messagesCount": count}


@TASKS.register
class SqsConsume(SqsTask):
    """Receive messages from an SQS queue until `maxRecords` or `maxDuration`; outputs `uri` (one message per
    line) and `count`. Messages are deleted from the queue when `autoDelete` (default)."""

    TYPE: ClassVar[str] = "aws.sqs.Consume"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.sqs.Consume",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: consume\ntype: io.kestra.plugin.aws.sqs.Consume\n" + CREDENTIALS
        + "queueUrl: https://sqs.eu-central-1.amazonaws.com/000000000000/orders\nmaxRecords: 10\nserdeType: JSON\n",
    )

    maxRecords: int | Expression | None = Field(default=None, description="Stop after this many messages (without maxDuration, also when a receive finds the queue empty).")
    maxDuration: Duration | Expression | None = Field(default=None, description="Stop after this long (ISO-8601 duration).")
    serdeType: SerdeType | Expression = Field(default="STRING", description="How message bodies are read: STRING (text) or JSON.")
    autoDelete: bool | Expression = Field(default=True, description="Delete the messages from the queue once read.")
    visibilityTimeout: int | Expression = Field(default=30, description="Seconds a received message stays hidden from other consumers.")

    @model_validator(mode="after")
    def _bounded(self) -> SqsConsume:
        if self.maxRecords is None and self.maxDuration is None:
            raise ValueError("'maxDuration' or 'maxRecords' must be set to avoid an infinite loop")
        return self

    def receive(self, render: Any) -> tuple[list[Any], list[str], Any, str]:
        """(decoded messages, receipt handles, client, queue URL); blocking."""
        return receive(self, render, self.queueUrl, self.maxRecords, self.maxDuration, self.serdeType, self.visibilityTimeout)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        values, handles, client, url = await asyncio.to_thread(self.receive, ctx.render)
        uri = await asyncio.to_thread(records.store_lines, ctx, "messages.ion", values)
        if render_bool(ctx, self.autoDelete, "autoDelete"):
            await asyncio.to_thread(delete_messages, client, url, handles)
        records.counter(ctx, "sqs.consume.messages", len(values))
        return {"uri": uri, "count": len(values)}


def receive(conn: connection.AwsConnection, render: Any, queue: str, max_records: Any, max_duration: Any,
            serde_type: Any, visibility: Any) -> tuple[list[Any], list[str], Any, str]:
    """Receive from `queue` until `max_records` messages or `max_duration`: (decoded messages, receipt handles,
    client, queue URL). Blocking."""
    url = str(render(queue))
    limit = None if max_records is None else int(render(max_records))
    duration = durations.resolve(max_duration, lambda v: str(render(v)))
    serde = str(render(serde_type))
    hidden = int(render(visibility))
    client = connection.client(conn, render, "sqs")
    deadline = None if duration is None else time.monotonic() + duration.total_seconds()
    values: list[Any] = []
    handles: list[str] = []
    while (limit is None or len(values) < limit) and (deadline is None or time.monotonic() < deadline):
        wanted = _SQS_BATCH if limit is None else min(_SQS_BATCH, limit - len(values))
        answer = _call(f"cannot receive from {url}", lambda w=wanted: client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=w, WaitTimeSeconds=1, VisibilityTimeout=hidden))
        received = answer.get("Messages") or []
        for message in received:
            values.append(decode(message.get("Body", ""), serde))
            handles.append(message["ReceiptHandle"])
        if not received and deadline is None:
            break  # an empty queue ends a poll bounded by a count only
    return values, handles, client, url


def delete_messages(client: Any, url: str, handles: list[str]) -> None:
    for start in range(0, len(handles), _SQS_BATCH):
        batch = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start:start + _SQS_BATCH])]
        _call(f"cannot delete messages from {url}", lambda b=batch: client.delete_message_batch(QueueUrl=url, Entries=b))


@TASKS.register
class SnsPublish(AwsTask):
    """Publish messages to an SNS topic. Output `messagesCount`."""

    TYPE: ClassVar[str] = "aws.sns.Publish"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.sns.Publish",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: publish\ntype: io.kestra.plugin.aws.sns.Publish\n" + CREDENTIALS
        + "topicArn: arn:aws:sns:eu-central-1:000000000000:alerts\nfrom:\n  data: \"{{ inputs.text }}\"\n  subject: Alert\n",
    )

    topicArn: str = Field(description="ARN of the topic (rendered).")
    from_: Any = Field(alias="from", description="One message map ({data, subject, groupId, deduplicationId, phoneNumber, structure}), a list of them, or the internal-storage URI of a file of one per line.")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        topic = ctx.render_string(self.topicArn)
        messages = [records.mapping(m, "from") for m in records.items(ctx, self.from_, "from")]

        def publish() -> int:
            client = connection.client(self, ctx.render, "sns")
            for message in messages:
                request: dict[str, Any] = {"TopicArn": topic, "Message": records.text(message.get("data", ""))}
                for key, name in (("subject", "Subject"), ("groupId", "MessageGroupId"),
                                  ("deduplicationId", "MessageDeduplicationId"), ("phoneNumber", "PhoneNumber"),
                                  ("structure", "MessageStructure")):
                    if message.get(key):
                        request[name] = str(message[key])
                if "PhoneNumber" in request:  # a direct SMS goes to the number, not the topic
                    del request["TopicArn"]
                _call(f"cannot publish to {topic}", lambda r=request: client.publish(**r))
            return len(messages)

        count = await asyncio.to_thread(publish)
        records.counter(ctx, "sns.publish.messages", count)
        return {"messagesCount": count}


@TASKS.register
class PutEvents(AwsTask):
    """Send events to EventBridge event buses. Outputs `uri` (one line per entry: eventId or errorCode and
    errorMessage, with the entry), `entryCount` and `failedEntryCount`; failed entries fail the task unless
    `failOnUnsuccessfulEvents: false` (then it ends in WARNING)."""

    TYPE: ClassVar[str] = "aws.eventbridge.PutEvents"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.eventbridge.PutEvents",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: put_events\ntype: io.kestra.plugin.aws.eventbridge.PutEvents\n" + CREDENTIALS
        + "entries:\n  - eventBusName: default\n    source: kestra\n    detailType: my-custom-app\n    detail:\n      message: an event\n",
    )

    entries: Any = Field(description="The entries ({eventBusName, source, detailType, detail, resources}): a list, or the internal-storage URI of a file of one per line.")
    failOnUnsuccessfulEvents: bool | Expression = Field(default=True, description="Fail the task when an entry is refused (else end in WARNING).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        entries = [records.mapping(e, "entries") for e in records.items(ctx, self.entries, "entries")]
        request = []
        for entry in entries:
            item: dict[str, Any] = {}
            for key, name in (("eventBusName", "EventBusName"), ("source", "Source"), ("detailType", "DetailType")):
                if entry.get(key) is not None:
                    item[name] = str(entry[key])
            if entry.get("detail") is not None:
                item["Detail"] = records.text(entry["detail"])
            if entry.get("resources"):
                item["Resources"] = [str(r) for r in entry["resources"]]
            request.append(item)

        def put() -> list[dict[str, Any]]:
            client = connection.client(self, ctx.render, "events")
            answers: list[dict[str, Any]] = []
            for start in range(0, len(request), 10):  # PutEvents takes 10 entries per call
                batch = request[start:start + 10]
                answers += _call("cannot put the events", lambda b=batch: client.put_events(Entries=b)).get("Entries") or []
            return answers

        answers = await asyncio.to_thread(put)
        lines = [{"eventId": a.get("EventId"), "errorCode": a.get("ErrorCode"), "errorMessage": a.get("ErrorMessage"),
                  "entry": e} for a, e in zip(answers, entries, strict=False)]
        failed = sum(1 for a in answers if a.get("ErrorCode"))
        uri = await asyncio.to_thread(records.store_lines, ctx, "events.ion", lines)
        records.counter(ctx, "eventbridge.put.events.total", len(entries))
        records.counter(ctx, "eventbridge.put.events.failed", failed)
        outputs = {"uri": uri, "entryCount": len(entries), "failedEntryCount": failed}
        _partial(ctx, failed, "event", self.failOnUnsuccessfulEvents, "failOnUnsuccessfulEvents", outputs)
        return outputs


def _partial(ctx: RunContext, failed: int, what: str, fail: bool | str, prop: str, outputs: dict[str, Any]) -> None:
    if not failed:
        return
    if render_bool(ctx, fail, prop):
        raise TaskFailed(f"{failed} {what}(s) refused (see the output file for each one's error)", outputs=outputs)
    ctx.logger.warn(f"{failed} {what}(s) refused")
    ctx.effects.warning = True


@TASKS.register
class PutRecords(AwsTask):
    """Send records to a Kinesis data stream. Outputs `uri` (one line per record: sequenceNumber and shardId, or
    errorCode and errorMessage, with the record), `recordCount` and `failedRecordsCount`."""

    TYPE: ClassVar[str] = "aws.kinesis.PutRecords"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.kinesis.PutRecords",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: put_records\ntype: io.kestra.plugin.aws.kinesis.PutRecords\n" + CREDENTIALS
        + "streamName: kestra\nrecords:\n  - data: sign-in\n    partitionKey: user1\n  - data: sign-out\n    partitionKey: user1\n",
    )

    streamName: str | None = Field(default=None, description="Name of the stream (rendered); this or streamArn.")
    streamArn: str | None = Field(default=None, description="ARN of the stream (rendered).")
    records_: Any = Field(alias="records", description="The records ({data, partitionKey, explicitHashKey}): a list, or the internal-storage URI of a file of one per line.")
    failOnUnsuccessfulRecords: bool | Expression = Field(default=True, description="Fail the task when a record is refused (else end in WARNING).")

    @model_validator(mode="after")
    def _stream(self) -> PutRecords:
        if self.streamName is None and self.streamArn is None:
            raise ValueError("streamName or streamArn is required")
        return self

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        given = [records.mapping(r, "records") for r in records.items(ctx, self.records_, "records")]
        request = []
        for record in given:
            if record.get("partitionKey") in (None, ""):
                raise TaskFailed("property 'records': each record needs a partitionKey")
            item: dict[str, Any] = {"Data": records.text(record.get("data", "")).encode(), "PartitionKey": str(record["partitionKey"])}
            if record.get("explicitHashKey"):
                item["ExplicitHashKey"] = str(record["explicitHashKey"])
            request.append(item)
        target: dict[str, str] = {}
        name, arn = render_optional(ctx, self.streamName, str, "streamName"), render_optional(ctx, self.streamArn, str, "streamArn")
        if name:
            target["StreamName"] = name
        if arn:
            target["StreamARN"] = arn

        def put() -> list[dict[str, Any]]:
            client = connection.client(self, ctx.render, "kinesis")
            answers: list[dict[str, Any]] = []
            for start in range(0, len(request), 500):  # PutRecords takes 500 records per call
                batch = request[start:start + 500]
                answers += _call("cannot put the records", lambda b=batch: client.put_records(Records=b, **target)).get("Records") or []
            return answers

        answers = await asyncio.to_thread(put)
        lines = [{"sequenceNumber": a.get("SequenceNumber"), "shardId": a.get("ShardId"), "errorCode": a.get("ErrorCode"),
                  "errorMessage": a.get("ErrorMessage"), "record": r} for a, r in zip(answers, given, strict=False)]
        failed = sum(1 for a in answers if a.get("ErrorCode"))
        uri = await asyncio.to_thread(records.store_lines, ctx, "records.ion", lines)
        records.counter(ctx, "record.count", len(given))
        records.counter(ctx, "record.failed", failed)
        outputs = {"uri": uri, "recordCount": len(given), "failedRecordsCount": failed}
        _partial(ctx, failed, "record", self.failOnUnsuccessfulRecords, "failOnUnsuccessfulRecords", outputs)
        return outputs


@TASKS.register
class Invoke(AwsTask):
    """Invoke a Lambda function synchronously. Outputs `uri` (the response body as a file), `contentLength` and
    `contentType`; a function error fails the task with the function's error payload."""

    TYPE: ClassVar[str] = "aws.lambda.Invoke"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.lambda.Invoke",)
    EXAMPLES: ClassVar[tuple[str, ...]] = (
        "id: invoke\ntype: io.kestra.plugin.aws.lambda.Invoke\n" + CREDENTIALS
        + "functionArn: arn:aws:lambda:eu-central-1:000000000000:function:demo\nfunctionPayload:\n  id: 42\n",
    )

    functionArn: str = Field(description="ARN or name of the function, optionally with a version or alias (rendered).")
    functionPayload: dict[str, Any] | Expression | None = Field(default=None, description="The event given to the function: a map (sent as JSON).")

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        function = ctx.render_string(self.functionArn)
        payload = None if self.functionPayload is None else ctx.render(self.functionPayload)
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                raise TaskFailed("property 'functionPayload' must be a map (or JSON text of one)") from None

        def invoke() -> tuple[bytes, str, str | None]:
            client = connection.client(self, ctx.render, "lambda")
            request: dict[str, Any] = {"FunctionName": function, "InvocationType": "RequestResponse"}
            if payload is not None:
                request["Payload"] = json.dumps(payload).encode()
            answer = _call(f"cannot invoke {function}", lambda: client.invoke(**request))
            body = answer["Payload"].read()
            headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return body, headers.get("content-type", "application/json"), answer.get("FunctionError")

        started = time.monotonic()
        body, content_type, error = await asyncio.to_thread(invoke)
        if error:
            raise TaskFailed(f"Lambda function {function} failed ({error}): {body.decode('utf-8', 'replace')[:2000]}")
        extension = ".json" if "json" in content_type else ".bin"
        with stream.Output(ctx, f"response{extension}") as out:
            out.write(body)
            uri = out.save()
        ctx.effects.extra.setdefault("metrics", []).append(
            {"name": "duration", "type": "timer", "value": time.monotonic() - started, "tags": {}})
        records.counter(ctx, "file.size", len(body))
        return {"uri": uri, "contentLength": len(body), "contentType": content_type}


@TASKS.register
class GetAuthToken(AwsTask):
    """Get a password for the account's ECR registry (Docker login with user `AWS`). Output `token`."""

    TYPE: ClassVar[str] = "aws.ecr.GetAuthToken"
    ALIASES: ClassVar[tuple[str, ...]] = (f"{KESTRA}.ecr.GetAuthToken",)
    EXAMPLES: ClassVar[tuple[str, ...]] = ("id: ecr\ntype: io.kestra.plugin.aws.ecr.GetAuthToken\n" + CREDENTIALS,)

    async def run(self, ctx: RunContext) -> dict[str, Any]:
        answer = await asyncio.to_thread(
            lambda: _call("cannot get an ECR authorization token",
                          lambda: connection.client(self, ctx.render, "ecr").get_authorization_token()))
        data = answer.get("authorizationData") or []
        if not data:
            raise TaskFailed("ECR returned no authorization data")
        decoded = base64.b64decode(data[0]["authorizationToken"]).decode()
        return {"token": decoded.split(":", 1)[1] if ":" in decoded else decoded}


__all__ = ["GetAuthToken", "Invoke", "PutEvents", "PutRecords", "SnsPublish", "SqsConsume", "SqsPublish"]
