"""Kestra's AWS messaging tasks and SQS triggers against moto's server mode with boto3: SQS Publish/Consume and
the polling and realtime triggers (messages deleted only once acknowledged), SNS Publish (checked through an SQS
subscription), EventBridge PutEvents, Kinesis PutRecords (read back from the shard), Lambda Invoke (moto's
`use_docker: false` mode answers without running the function) and ECR GetAuthToken."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from tests.integration.aws.conftest import client
from tests.integration.objectstore_support import Tasks
from tests.integration.triggers.realtime_support import Consumer

from legato.expressions import Renderer
from legato.plugins.aws.sqs_trigger import SqsRealtimeTrigger, SqsTrigger
from legato.plugins.context import TaskFailed
from legato.plugins.triggers.base import TriggerContext
from legato.storage import LocalStorage

_renderer = Renderer()


def _queue(endpoint: str) -> str:
    url: str = client(endpoint, "sqs").create_queue(QueueName=f"q_{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url


def _lines(tasks: Tasks, uri: str) -> list[Any]:
    return [json.loads(line) for line in tasks.read(uri).decode().splitlines() if line.strip()]


def _trigger_context(storage: LocalStorage | None = None) -> TriggerContext:
    return TriggerContext(namespace="company.team", flow_id="f", trigger_id="sqs",
                          render=lambda v: _renderer.render_all(v, {}, typed=True), state={},
                          log=logging.getLogger("tests.aws"), storage=storage)


def test_sqs_publish_then_consume(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    queue = _queue(moto_endpoint)
    published = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Publish\n{aws}queueUrl: {queue}\n"
                          "from:\n  - data: first\n  - data:\n      order: 42\n    delaySeconds: 0\n")
    assert published == {"messagesCount": 2}
    one = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Publish\n{aws}queueUrl: {queue}\nfrom:\n  data: \"{{{{ 40 + 2 }}}}\"\n")
    assert one == {"messagesCount": 1}
    consumed = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Consume\n{aws}queueUrl: {queue}\nmaxRecords: 3\n")
    assert consumed["count"] == 3
    assert sorted(map(str, _lines(tasks, consumed["uri"]))) == sorted(["first", '{"order":42}', "42"])
    # autoDelete: the queue is empty now
    again = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Consume\n{aws}queueUrl: {queue}\nmaxRecords: 1\n")
    assert again["count"] == 0


def test_sqs_consume_json_from_a_stored_file_and_without_deleting(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    queue = _queue(moto_endpoint)
    uri = tasks.put("messages.ion", b'{"data": {"id": 1}}\n{"data": {"id": 2}}\n')
    assert tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Publish\n{aws}queueUrl: {queue}\nfrom: \"{uri}\"\n") == {"messagesCount": 2}
    kept = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Consume\n{aws}queueUrl: {queue}\nmaxRecords: 2\n"
                     "serdeType: JSON\nautoDelete: false\nvisibilityTimeout: 0\n")
    assert sorted(r["id"] for r in _lines(tasks, kept["uri"])) == [1, 2]
    left = client(moto_endpoint, "sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_sqs_consume_needs_a_bound(tasks: Tasks, aws: str) -> None:
    with pytest.raises(Exception, match="maxDuration' or 'maxRecords"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sqs.Consume\n{aws}queueUrl: http://x/q\n")


def test_sqs_polling_trigger_fires_and_deletes_on_commit(moto_endpoint: str, aws: str, tmp_path: Path) -> None:
    queue = _queue(moto_endpoint)
    sqs = client(moto_endpoint, "sqs")
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"n": i}))
    spec = {"id": "sqs", "type": "io.kestra.plugin.aws.sqs.Trigger", **yaml.safe_load(aws), "queueUrl": queue,
            "maxRecords": 5, "serdeType": "JSON", "visibilityTimeout": 1}
    trigger = SqsTrigger.model_validate(spec)
    storage = LocalStorage(tmp_path / "storage")
    ctx = _trigger_context(storage)

    async def scenario() -> None:
        poll = await trigger.source().poll(ctx)
        assert poll is not None and poll.variables["count"] == 3
        assert sorted(json.loads(x)["n"] for x in storage.get(poll.variables["uri"]).decode().splitlines()) == [0, 1, 2]
        # not committed yet: the messages come back after their visibility timeout
        await asyncio.sleep(1.5)
        again = await trigger.source().poll(ctx)
        assert again is not None and again.variables["count"] == 3
        await again.commit()
        await asyncio.sleep(1.5)
        assert await trigger.source().poll(ctx) is None

    asyncio.run(scenario())


def test_sqs_realtime_trigger_one_execution_per_message(moto_endpoint: str, aws: str) -> None:
    queue = _queue(moto_endpoint)
    sqs = client(moto_endpoint, "sqs")
    spec = {"id": "sqs", "type": "io.kestra.plugin.aws.sqs.RealtimeTrigger", **yaml.safe_load(aws), "queueUrl": queue,
            "serdeType": "JSON", "waitTime": "PT1S"}
    trigger = SqsRealtimeTrigger.model_validate(spec)

    async def scenario() -> None:
        consumer = Consumer(trigger.source(), _trigger_context())
        sqs.send_message(QueueUrl=queue, MessageBody='{"order": 1}')
        sqs.send_message(QueueUrl=queue, MessageBody='{"order": 2}')
        messages = await consumer.wait_for(2)
        await consumer.stop()
        assert sorted(m.variables["data"]["order"] for m in messages) == [1, 2]
        assert all(m.key for m in messages)  # the message id: a redelivery creates no second execution

    asyncio.run(scenario())
    left = client(moto_endpoint, "sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"  # acknowledged: deleted


def test_sns_publish_reaches_a_subscribed_queue(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    sns = client(moto_endpoint, "sns")
    topic = sns.create_topic(Name=f"t_{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = _queue(moto_endpoint)
    arn = client(moto_endpoint, "sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    out = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.sns.Publish\n{aws}topicArn: {topic}\n"
                    "from:\n  - data: \"hello {{ inputs.name }}\"\n    subject: greeting\n  - data:\n      level: high\n",
                    inputs={"name": "Ada"})
    assert out == {"messagesCount": 2}
    received = client(moto_endpoint, "sqs").receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == sorted(["hello Ada", '{"level":"high"}'])


def test_eventbridge_put_events(tasks: Tasks, aws: str) -> None:
    out = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.eventbridge.PutEvents\n{aws}"
                    "entries:\n  - eventBusName: default\n    source: kestra\n    detailType: my-custom-app\n"
                    "    detail:\n      message: an event\n  - source: kestra\n    detailType: other\n    detail: '{\"a\": 1}'\n")
    assert out["entryCount"] == 2 and out["failedEntryCount"] == 0
    lines = _lines(tasks, out["uri"])
    assert all(line["eventId"] for line in lines) and lines[0]["entry"]["detail"] == {"message": "an event"}


def test_kinesis_put_records_lands_in_the_shard(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    kinesis = client(moto_endpoint, "kinesis")
    name = f"s_{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    uri = tasks.put("records.ion", b'{"data": "sign-out", "partitionKey": "user1"}\n')
    first = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.kinesis.PutRecords\n{aws}streamName: {name}\n"
                      "records:\n  - data: sign-in\n    partitionKey: user1\n")
    second = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.kinesis.PutRecords\n{aws}streamName: {name}\nrecords: \"{uri}\"\n")
    assert first["recordCount"] == 1 and second["recordCount"] == 1 and first["failedRecordsCount"] == 0
    assert _lines(tasks, first["uri"])[0]["shardId"]
    shard = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data = [r["Data"].decode() for r in kinesis.get_records(ShardIterator=iterator)["Records"]]
    assert data == ["sign-in", "sign-out"]


def test_kinesis_records_need_a_partition_key(tasks: Tasks, aws: str) -> None:
    with pytest.raises(TaskFailed, match="partitionKey"):
        tasks.run(f"id: t\ntype: io.kestra.plugin.aws.kinesis.PutRecords\n{aws}streamName: s\nrecords:\n  - data: x\n")


def test_lambda_invoke_stores_the_response(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    httpx.post(f"{moto_endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}).raise_for_status()
    iam = client(moto_endpoint, "iam")
    role = iam.create_role(RoleName=f"r_{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    name = f"fn_{uuid.uuid4().hex[:8]}"
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    arn = client(moto_endpoint, "lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler", Code={"ZipFile": code.getvalue()})["FunctionArn"]
    out = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.lambda.Invoke\n{aws}functionArn: {arn}\nfunctionPayload:\n  id: 42\n")
    assert out["contentLength"] == len(tasks.read(out["uri"])) and out["contentLength"] > 0
    assert "json" in out["contentType"]


def test_ecr_auth_token_is_the_basic_password(tasks: Tasks, aws: str, moto_endpoint: str) -> None:
    out = tasks.run(f"id: t\ntype: io.kestra.plugin.aws.ecr.GetAuthToken\n{aws}")
    answer = client(moto_endpoint, "ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert out == {"token": base64.b64decode(answer).decode().split(":", 1)[1]}
