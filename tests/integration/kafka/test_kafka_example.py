"""examples/kafka.yaml end to end with `legato flow run` against the Kafka broker double (broker_double.py): the two
orders are produced with their keys, JSON values and header, then read back by the consumer group, which commits
its offsets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from tests.flow_cli import run_flow
from tests.integration.kafka.broker_double import BrokerDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "kafka.yaml"


def test_the_example_produces_then_consumes_the_orders(broker: BrokerDouble, tmp_path: Path) -> None:
    flow: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    for task in flow["tasks"]:
        if "properties" in task:
            task["properties"]["bootstrap.servers"] = broker.bootstrap
        if task["id"] == "consume":
            task["pollDuration"] = "PT1S"  # the last, empty poll ends the task
    done = run_flow(yaml.safe_dump(flow, sort_keys=False), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    stored = broker.topic("orders")[0].records()
    assert [(r.key, json.loads(r.value or b""), r.headers) for r in stored] == [
        (b"1", {"id": 1, "region": "eu", "total": 42}, [("source", b"legato")]),
        (b"2", {"id": 2, "region": "us", "total": 7}, [("source", b"legato")])]
    assert broker.groups["order-reports"].offsets == {("orders", 0): 2}
    assert "2 orders sent, 2 read into kestra:///" in done.stdout + done.stderr
