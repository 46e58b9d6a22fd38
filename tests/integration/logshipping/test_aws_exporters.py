"""log.LogShipper's AWS exporters against moto's server mode (the emulator of CloudWatch Logs and S3 the AWS
family's tests use, on a 127.0.0.1 port): the stream and its group are created, every line is an event at its
time; the S3 objects hold at most `maxLinesPerFile` lines each."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.integration.aws.conftest import client
from tests.integration.logshipping.conftest import Harness, write_logs

from legato.storage import LocalStorage


def shipper(aws_lines: str) -> str:
    connection = "".join(f"    {line}\n" for line in aws_lines.splitlines())
    return f"""\
id: ship
type: io.kestra.plugin.ee.core.log.LogShipper
logExporters:
  - id: cloudwatch
    type: io.kestra.plugin.ee.aws.cloudwatch.LogExporter
{connection}    logGroupName: legato
    logStreamName: production
  - id: s3
    type: io.kestra.plugin.ee.aws.s3.LogExporter
{connection}    bucket: logs
    format: JSON
    logFilePrefix: shipped
    maxLinesPerFile: 2
"""


def test_cloudwatch_stream_and_s3_objects(harness: Harness, storage: LocalStorage, aws: str, moto_endpoint: str) -> None:
    harness.clock.now = datetime.now(UTC).replace(microsecond=0)  # CloudWatch refuses events over 14 days old
    client(moto_endpoint, "s3").create_bucket(Bucket="logs")
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "one"), ("WARN", "two"), ("ERROR", "three"))
    harness.clock.advance(minutes=1)
    ship = harness.execution(namespace="company.team", flow_id="shipper")
    out = harness.run(shipper(aws), harness.context(storage=storage, execution=ship))
    assert out["size"] == 3 and out["outputs"]["cloudwatch"] == {"events": 3, "rejected": 0}

    events = client(moto_endpoint, "logs").get_log_events(logGroupName="legato", logStreamName="production")["events"]
    assert [json.loads(e["message"])["message"] for e in events] == ["one", "two", "three"]
    assert events[0]["timestamp"] == int((harness.clock.now.timestamp() - 60) * 1000)

    uris = out["outputs"]["s3"]["uris"]
    assert len(uris) == 2 and all(u.startswith("s3://logs/shipped-") and u.endswith(".json") for u in uris)
    s3 = client(moto_endpoint, "s3")
    lines = [json.loads(line) for u in uris
             for line in s3.get_object(Bucket="logs", Key=u.removeprefix("s3://logs/"))["Body"].read().decode().splitlines()]
    assert [x["message"] for x in lines] == ["one", "two", "three"]

    write_logs(harness, team, ("INFO", "four"), start=60)  # the stream exists now: the next run appends to it
    harness.clock.advance(minutes=2)
    harness.run(shipper(aws), harness.context(storage=storage, execution=ship))
    events = client(moto_endpoint, "logs").get_log_events(logGroupName="legato", logStreamName="production")["events"]
    assert [json.loads(e["message"])["message"] for e in events][3:] == ["shipped 3 entries to cloudwatch, s3", "four"]


def test_events_too_old_for_cloudwatch_are_counted_and_warned(harness: Harness, storage: LocalStorage, aws: str,
                                                              moto_endpoint: str) -> None:
    """The harness's clock is in 2024: CloudWatch refuses events older than 14 days."""
    client(moto_endpoint, "s3").create_bucket(Bucket="logs")
    team = harness.execution(namespace="company.team")
    write_logs(harness, team, ("INFO", "one"), ("INFO", "two"))
    harness.clock.advance(minutes=1)
    ship = harness.execution(namespace="company.team", flow_id="shipper")
    ctx = harness.context(storage=storage, execution=ship)
    out = harness.run(shipper(aws).replace("logStreamName: production", "logStreamName: old"), ctx)
    assert out["outputs"]["cloudwatch"] == {"events": 2, "rejected": 2}
    assert ("WARN", "CloudWatch Logs refused 2 of 2 event(s) of legato/old: older than 14 days or the group's "
                    "retention") in harness.messages(ctx)
