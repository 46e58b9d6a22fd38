"""amqp.Publish against the RabbitMQ on 127.0.0.1:5672 (guest/guest): messages from a list, one map or a stored
file reach the queue bound to the exchange, with their AMQP properties; connection forms; errors."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import aio_pika
import pytest
from tests.integration.objectstore_support import Tasks
from tests.services import require
from tests.unit.plugins.conftest import Harness

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage

URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(autouse=True)
def _rabbitmq() -> None:
    require("rabbitmq")


def _bound() -> tuple[str, str]:
    """A fresh direct exchange with a queue bound by routing key `eu`."""
    name = f"legato_{secrets.token_hex(4)}"

    async def declare() -> None:
        connection = await aio_pika.connect(URL)
        channel = await connection.channel()
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.DIRECT, auto_delete=False)
        queue = await channel.declare_queue(name, durable=False)
        await queue.bind(exchange, routing_key="eu")
        await connection.close()

    asyncio.run(declare())
    return name, name


def _drain(queue: str) -> list[Any]:
    async def read() -> list[Any]:
        connection = await aio_pika.connect(URL)
        channel = await connection.channel()
        q = await channel.get_queue(queue)
        got = []
        while (message := await q.get(no_ack=True, fail=False)) is not None:
            got.append(message)
        await q.delete(if_unused=False, if_empty=False)
        await connection.close()
        return got

    return asyncio.run(read())


def test_publish_a_list_with_properties(harness: Harness) -> None:
    exchange, queue = _bound()
    out = harness.run(f"""
id: publish
type: io.kestra.plugin.amqp.Publish
host: 127.0.0.1
port: 5672
username: guest
password: guest
exchange: {exchange}
routingKey: eu
from:
  - data: "order {{{{ 40 + 2 }}}}"
    contentType: text/plain
    headers:
      source: legato
    messageId: m1
    priority: 5
    expiration: PT1H
  - data:
      id: 7
      total: 12.5
""")
    assert out == {"messagesCount": 2}
    got = _drain(queue)
    assert [m.body for m in got] == [b"order 42", b'{"id":7,"total":12.5}']
    first = got[0]
    assert first.content_type == "text/plain" and first.headers == {"source": "legato"} and first.message_id == "m1"
    assert first.priority == 5 and first.expiration == 3600.0


def test_publish_from_a_stored_file_with_the_url_in_host(harness: Harness, tmp_path: Path) -> None:
    exchange, queue = _bound()
    tasks = Tasks(harness, LocalStorage(tmp_path / "storage"))
    uri = tasks.put("orders.ion", b'{"data": {"id": 1}}\n{"data": {"id": 2}}\n')
    out = tasks.run(f"id: publish\ntype: io.kestra.plugin.amqp.Publish\nhost: {URL}\nexchange: {exchange}\n"
                    f"routingKey: eu\nserdeType: JSON\nfrom: \"{uri}\"\n")
    assert out == {"messagesCount": 2}
    assert [json.loads(m.body) for m in _drain(queue)] == [{"id": 1}, {"id": 2}]


def test_default_exchange_routes_by_queue_name(harness: Harness) -> None:
    _, queue = _bound()
    harness.run(f"id: p\ntype: io.kestra.plugin.amqp.Publish\nurl: {URL}\nexchange: ''\nroutingKey: {queue}\nfrom:\n  data: hello\n")
    assert [m.body for m in _drain(queue)] == [b"hello"]


def test_errors(harness: Harness) -> None:
    with pytest.raises(Exception, match="Cannot define both"):
        harness.run(f"id: p\ntype: io.kestra.plugin.amqp.Publish\nurl: {URL}\nhost: 127.0.0.1\nexchange: x\nfrom:\n  data: a\n")
    with pytest.raises(TaskFailed, match="cannot publish to exchange 'no_such_exchange_xyz'"):
        harness.run(f"id: p\ntype: io.kestra.plugin.amqp.Publish\nurl: {URL}\nexchange: no_such_exchange_xyz\nfrom:\n  data: a\n")
