"""Kestra's Pub/Sub tasks and triggers against the test double of Pub/Sub's REST API (pubsub_double.py): with a
service account key whose token comes from the OAuth double (every call carries that bearer token), and as against
Google's emulator (PUBSUB_EMULATOR_HOST, no credentials). Triggers are driven as the scheduler's runner drives them."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api_double import loopback_allowed  # noqa: F401 - the doubles on 127.0.0.1 are allowed
from tests.integration.gcp.oauth_double import OAuthDouble
from tests.integration.gcp.pubsub_double import PubSubDouble
from tests.integration.objectstore_support import Tasks
from tests.integration.triggers.realtime_support import Consumer

from legato.expressions import Renderer
from legato.model.errors import FlowValidationError
from legato.plugins.context import TaskFailed
from legato.plugins.gcp.pubsub_trigger import PubSubRealtimeTrigger, PubSubTrigger
from legato.plugins.triggers.base import TriggerContext
from legato.storage import LocalStorage, ion


@pytest.fixture
def oauth() -> Iterator[OAuthDouble]:
    double = OAuthDouble()
    with double.serve():
        yield double


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[PubSubDouble]:
    """The double as Google's emulator: found through PUBSUB_EMULATOR_HOST, no credentials."""
    double = PubSubDouble(topics=("orders",))
    with double.serve() as url:
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", url.removeprefix("http://"))
        yield double


def task(kind: str, **props: Any) -> str:
    return f"id: t\ntype: io.kestra.plugin.gcp.pubsub.{kind}\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in props.items())


def test_publish_with_a_service_account_token(tasks: Tasks, oauth: OAuthDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBSUB_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    double = PubSubDouble(topics=("pipeline-events",), tokens=lambda: [t["token"] for t in oauth.issued])
    with double.serve() as url:
        out = tasks.run(task("Publish", endpoint=url, serviceAccount=oauth.key_json(), topic="pipeline-events",
                             serdeType="JSON", **{"from": [
                                 {"data": {"run_id": "{{ 'r-1' }}", "rows": 42}, "attributes": {"source": "legato", "n": 1}},
                                 {"data": "plain text, sent as it is", "orderingKey": "k1"},
                                 {"attributes": {"only": "attributes"}}]}))
    assert out == {"messagesCount": 3}
    assert double.published("pipeline-events") == [
        (b'{"run_id":"r-1","rows":42}', {"source": "legato", "n": "1"}),
        (b"plain text, sent as it is", {}), (b"", {"only": "attributes"})]
    assert double.topics["pipeline-events"][1]["orderingKey"] == "k1"
    assert oauth.issued and oauth.issued[0]["scope"] == "https://www.googleapis.com/auth/cloud-platform"
    assert [r.path for r in double.requests] == ["/v1/projects/test-project/topics/pipeline-events:publish"]


def test_publish_from_a_stored_file_and_to_a_missing_topic(tasks: Tasks, emulated: PubSubDouble) -> None:
    source = tasks.put("messages.ion", b'{data: "one", attributes: {k: "v"}}\n{data: "two"}\n')
    assert tasks.run(task("Publish", projectId="test-project", topic="orders", **{"from": source})) == {"messagesCount": 2}
    assert emulated.published("orders") == [(b"one", {"k": "v"}), (b"two", {})]
    with pytest.raises(TaskFailed, match=r"Pub/Sub: POST projects/test-project/topics/nope:publish answered HTTP 404: NOT_FOUND"):
        tasks.run(task("Publish", projectId="test-project", topic="nope", **{"from": {"data": "x"}}))
    assert "authorization" not in emulated.requests[0].headers  # the emulator takes no credentials


def test_consume_creates_the_subscription_then_reads_and_acknowledges(tasks: Tasks, emulated: PubSubDouble) -> None:
    first = tasks.run(task("Consume", projectId="test-project", topic="orders", subscription="kestra-orders",
                           maxDuration="PT0.3S"))
    assert first["count"] == 0 and "kestra-orders" in emulated.subscriptions  # created on the topic (PUT)
    tasks.run(task("Publish", projectId="test-project", topic="orders", serdeType="JSON",
                   **{"from": [{"data": {"order_id": i}} for i in range(3)]}))
    out = tasks.run(task("Consume", projectId="test-project", topic="orders", subscription="kestra-orders",
                         maxRecords=2, serdeType="JSON"))
    assert out["count"] == 2
    rows = ion.loads(tasks.read(out["uri"]).decode())
    assert [r["data"] for r in rows] == [{"order_id": 0}, {"order_id": 1}]
    assert rows[0]["messageId"] and rows[0]["attributes"] == {}
    assert len(emulated.subscriptions["kestra-orders"].acked) == 2 and len(emulated.subscriptions["kestra-orders"].pending) == 1
    with pytest.raises(TaskFailed, match="HTTP 404"):
        tasks.run(task("Consume", projectId="test-project", topic="orders", subscription="other",
                       autoCreateSubscription=False, maxRecords=1))
    with pytest.raises((FlowValidationError, ValueError), match="'maxDuration' or 'maxRecords'"):
        tasks.run(task("Consume", projectId="test-project", topic="orders", subscription="kestra-orders"))


def _context(storage: LocalStorage | None = None) -> TriggerContext:
    renderer = Renderer()
    return TriggerContext(namespace="company.team", flow_id="f", trigger_id="pubsub",
                          render=lambda v: renderer.render_all(v, {}, typed=True), state={},
                          log=logging.getLogger("tests.pubsub"), storage=storage)


def test_polling_trigger_fires_for_a_batch_and_acknowledges_on_commit(emulated: PubSubDouble, tmp_path: Path) -> None:
    emulated.subscribe("orders", "kestra-events-sub")
    storage = LocalStorage(tmp_path / "storage")
    trigger = PubSubTrigger.model_validate({"id": "pubsub", "type": "io.kestra.plugin.gcp.pubsub.Trigger",
                                            "projectId": "test-project", "topic": "orders",
                                            "subscription": "kestra-events-sub", "serdeType": "JSON",
                                            "interval": "PT1M", "maxRecords": 1000})
    for n in range(3):
        emulated._publish(_body([{"n": n}]), "test-project", "orders")

    async def scenario() -> None:
        ctx = _context(storage)
        poll = await trigger.source().poll(ctx)
        assert poll is not None
        assert poll.variables["count"] == 3
        assert [m["data"] for m in ion.loads(storage.get(poll.variables["uri"]).decode())] == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert await trigger.source().poll(ctx) is None  # pulled and held until the execution is recorded
        assert emulated.subscriptions["kestra-events-sub"].acked == []
        await poll.commit()
        assert len(emulated.subscriptions["kestra-events-sub"].acked) == 3
        assert await trigger.source().poll(ctx) is None

    asyncio.run(scenario())


def test_realtime_trigger_one_execution_per_message(emulated: PubSubDouble) -> None:
    emulated.subscribe("orders", "kestra-orders-sub", deadline=1)
    trigger = PubSubRealtimeTrigger.model_validate({"id": "pubsub", "type": "io.kestra.plugin.gcp.pubsub.RealtimeTrigger",
                                                    "projectId": "test-project", "topic": "orders",
                                                    "subscription": "kestra-orders-sub", "serdeType": "JSON"})

    async def scenario() -> None:
        consumer = Consumer(trigger.source(), _context(), ack_first=1)
        emulated._publish(_body([{"event_type": "order", "order_id": 7}, "not json", {"event_type": "refund"}],
                                attributes={"source": "shop"}), "test-project", "orders")
        received = await consumer.wait_for(3)
        assert [m.variables["data"] for m in received[:2]] == [{"event_type": "order", "order_id": 7}, {"event_type": "refund"}]
        assert received[0].variables["attributes"] == {"source": "shop"} and received[0].key == received[0].variables["messageId"]
        # the second was not acknowledged: Pub/Sub delivers it again after its deadline, with the same fire key (one
        # execution)
        assert received[2].key == received[1].key and received[2].variables == received[1].variables
        await consumer.stop()

    asyncio.run(scenario())
    sub = emulated.subscriptions["kestra-orders-sub"]
    assert len(sub.acked) == 2 and len(sub.pending) == 1  # the first execution and the undecodable one, skipped


def _body(values: list[Any], attributes: dict[str, str] | None = None) -> Any:
    from tests.api_double import Request

    messages = [{"data": base64.b64encode((v if isinstance(v, str) else json.dumps(v)).encode()).decode(),
                 **({"attributes": attributes} if attributes else {})} for v in values]
    return Request("POST", "", {}, {}, {"messages": messages})
