"""A realtime source through the whole scheduler (runner, executions, executor): messages pushed to a Redis list
on 127.0.0.1:6379 become one execution each with the message in trigger.value; a scheduler stopped and started
again loses none and repeats none."""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path

import redis
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until
from tests.services import require

from legato.model.state import State
from legato.store.sql import SqlStore

URL = "redis://127.0.0.1:6379/0"


def test_list_messages_fire_once_each_across_a_restart(sqlite_store: SqlStore, tmp_path: Path) -> None:
    require("redis")
    key = f"legato_runner_{secrets.token_hex(5)}"
    deploy_flow(sqlite_store, f"""id: orders
namespace: tests.redis
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "order {{{{ trigger.value.n }}}}"
triggers:
  - id: queue
    type: io.kestra.plugin.redis.list.RealtimeTrigger
    url: {URL}
    key: {key}
    serdeType: JSON
""")
    client = redis.Redis.from_url(URL)

    def numbers() -> list[int]:
        return sorted(e.trigger["value"]["n"] for e in executions(sqlite_store, "tests.redis"))  # type: ignore[index]

    async def main() -> None:
        client.rpush(key, *[json.dumps({"n": n}) for n in range(10)])
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: numbers() == list(range(10)), message="10 messages")
        await first.stop()
        client.rpush(key, *[json.dumps({"n": n}) for n in range(10, 15)])  # while no scheduler runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: numbers() == list(range(15)) and all_ended(sqlite_store, "tests.redis", 15),
                         message="15 messages")
        await asyncio.sleep(0.3)
        await second.stop()

    try:
        asyncio.run(main())
        assert numbers() == list(range(15))  # none lost, none twice
        assert {e.state for e in executions(sqlite_store, "tests.redis")} == {State.SUCCESS}
        assert client.llen(key) == 0
    finally:
        client.delete(key)
        client.close()
