"""examples/pubsub.yaml end to end with `legato flow run` against the Pub/Sub test double (pubsub_double.py), with the
service account key of the OAuth double as the GCP_SERVICE_ACCOUNT secret: the two events are published with their
attributes, then consumed from the subscription and acknowledged."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml
from tests.flow_cli import ALLOW_LOOPBACK, run_flow
from tests.integration.gcp.oauth_double import OAuthDouble
from tests.integration.gcp.pubsub_double import PubSubDouble

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "pubsub.yaml"


def test_the_example_publishes_then_consumes_the_orders(tmp_path: Path) -> None:
    oauth = OAuthDouble()
    with oauth.serve():
        double = PubSubDouble(project="your-gcp-project", topics=("orders",),
                              tokens=lambda: [t["token"] for t in oauth.issued])
        double.subscribe("orders", "kestra-orders")
        with double.serve() as url:
            flow: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
            flow["pluginDefaults"][0]["values"]["endpoint"] = url
            next(t for t in flow["tasks"] if t["id"] == "consume")["maxDuration"] = "PT2S"
            done = run_flow(yaml.safe_dump(flow, sort_keys=False), tmp_path, env=ALLOW_LOOPBACK,
                            secrets={"GCP_SERVICE_ACCOUNT": oauth.key_json()})
    assert done.returncode == 0, done.stdout + done.stderr
    published = [(json.loads(base64.b64decode(m["data"])), m["attributes"]) for m in double.topics["orders"]]
    assert published == [({"order_id": 1001, "customer": "Ada", "amount": 42.5}, {"event_type": "order", "flow": "pubsub_orders"}),
                         ({"order_id": 1002, "customer": "Grace", "amount": 7}, {"event_type": "order"})]
    assert len(double.subscriptions["kestra-orders"].acked) == 2
    assert "Published 2, consumed 2 message(s)" in done.stdout + done.stderr
