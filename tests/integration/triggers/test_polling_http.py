"""http.Trigger against a real HTTP server on 127.0.0.1: each answer meeting responseCondition starts one
execution with the answer in trigger.*; a scheduler stopped and started again loses and repeats nothing."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.integration.triggers.polling_support import Server, all_ended, deploy_flow, executions, wait_until

from legato.model.execution import Execution
from legato.model.state import State
from legato.store.ports import TriggerState
from legato.store.sql import SqlStore


class Queue:
    """An HTTP endpoint handing out one queued item per GET (200), or 204 when empty; /broken answers 500."""

    def __init__(self, port: int = 0) -> None:
        self.items: list[dict[str, int]] = []
        self.lock = threading.Lock()
        self.calls = 0
        queue = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with queue.lock:
                    queue.calls += 1
                    item = queue.items.pop(0) if queue.items and self.path == "/next" else None
                if self.path == "/broken":
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps(item).encode() if item is not None else b""
                self.send_response(200 if item is not None else 204)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Item", str(item["n"]) if item else "none")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def push(self, *numbers: int) -> None:
        with self.lock:
            self.items += [{"n": n} for n in numbers]


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[Queue]:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")  # the SSRF guard lets tests reach it
    q = Queue()
    yield q
    q.server.shutdown()


def flow(url: str, condition: str = "{{ response.statusCode == 200 }}") -> str:
    return f"""id: watch_http
namespace: tests.http
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "item {{{{ json(trigger.body).n }}}}"
triggers:
  - id: http
    type: io.kestra.plugin.core.http.Trigger
    uri: {url}
    responseCondition: "{condition}"
    interval: PT0.1S
"""


def _items(store: SqlStore) -> list[int]:
    return sorted(json.loads(e.trigger["body"])["n"] for e in executions(store, "tests.http"))  # type: ignore[index]


def test_each_answer_meeting_the_condition_fires_once_across_a_restart(sqlite_store: SqlStore, tmp_path: Path,
                                                                       queue: Queue) -> None:
    deploy_flow(sqlite_store, flow(f"{queue.url}/next"))
    queue.push(*range(5))

    async def main() -> None:
        first = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, "tests.http", 5), message="5 executions")
        await first.stop()
        queue.push(*range(5, 8))  # arrive while no scheduler runs
        second = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: all_ended(sqlite_store, "tests.http", 8), message="8 executions")
        await asyncio.sleep(0.4)  # a few more polls of an empty queue fire nothing
        await second.stop()

    asyncio.run(main())
    assert _items(sqlite_store) == list(range(8))
    done = executions(sqlite_store, "tests.http")
    assert {e.state for e in done} == {State.SUCCESS}
    one = done[0]
    assert one.trigger is not None and one.trigger["code"] == 200 and one.trigger["uri"] == f"{queue.url}/next"
    assert one.trigger["headers"]["X-Item"] == [str(json.loads(one.trigger["body"])["n"])]


def test_the_default_condition_ignores_error_answers(sqlite_store: SqlStore, tmp_path: Path, queue: Queue) -> None:
    deploy_flow(sqlite_store, flow(f"{queue.url}/broken", condition="{{ response.statusCode < 400 }}"))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: queue.calls >= 3, message="3 polls")
        await server.stop()

    asyncio.run(main())
    assert executions(sqlite_store, "tests.http") == []


def test_stop_after_disables_the_trigger_once_its_execution_succeeded(sqlite_store: SqlStore, tmp_path: Path,
                                                                       queue: Queue) -> None:
    deploy_flow(sqlite_store, flow(f"{queue.url}/next") + "    stopAfter: [SUCCESS]\n")
    queue.push(*range(5))

    async def main() -> None:
        server = Server(sqlite_store, tmp_path).start()
        await wait_until(lambda: (s := sqlite_store.get_trigger_state("tests.http", "watch_http", "http")) is not None
                         and s.disabled, message="the trigger disabled")
        await asyncio.sleep(0.3)
        await server.stop()

    asyncio.run(main())
    assert _items(sqlite_store) == [0]  # one answer fired, then the watch ended
    assert len(queue.items) == 4


def test_a_failing_poll_is_shown_on_the_trigger_and_fails_an_execution_until_it_works(
        sqlite_store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
    with socket.socket() as probe:  # a port nothing listens on, until the test starts a server there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    deploy_flow(sqlite_store, flow(f"http://127.0.0.1:{port}/next") + "    failOnTriggerError: true\n")

    def state() -> TriggerState | None:
        return sqlite_store.get_trigger_state("tests.http", "watch_http", "http")

    async def main() -> list[Execution]:
        server = Server(sqlite_store, tmp_path).start()
        failed = await wait_until(lambda: all_ended(sqlite_store, "tests.http", 2), message="2 failed executions")
        failing = state()
        assert failing is not None and failing.error is not None and failing.error_date is not None
        assert failing.error.startswith("poll failed: ") and "Connection refused" in failing.error, failing.error
        queue = Queue(port)  # the endpoint comes up (empty: no execution); the next poll clears the error
        await wait_until(lambda: (s := state()) is not None and s.error is None, message="the error cleared")
        await server.stop()
        queue.server.shutdown()
        return failed

    failed = asyncio.run(main())
    assert {e.state for e in failed} == {State.FAILED}
    logs = sqlite_store.logs(failed[0].id)
    assert [r.level for r in logs] == ["ERROR"] and "trigger http failed: poll failed: " in logs[0].message
    assert failed[0].error is not None and "Connection refused" in failed[0].error
