"""A real `legato server local` under hostile previews: each evaluate call is refused with 422 naming its limit,
another client's requests keep answering within 100 ms (p99) meanwhile, and the server's memory stays bounded.
The validate endpoint reports expression findings of a valid flow as warnings."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.local_server import announced_url, wait_healthy

LEGATO = str(Path(sys.executable).with_name("legato"))
API = "/api/v1/main"
FLOW = """id: preview
namespace: test.limits
tasks:
  - id: hello
    type: io.kestra.plugin.core.debug.Return
    format: "hello"
"""
HOSTILE: list[tuple[str, str]] = [
    # One range, built once: an inner `0..99999` would be a new list per outer pass, and that garbage reaches the
    # memory limit near the 2 s mark, so which limit came first would depend on the machine's load.
    ("{% set r = 0..99999 %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", "time"),
    ("{{ {} | jq('def f: f; f') }}", "time"),
    ("{{ 'x" + "a" * 40 + "!' | replace({'(?<=x)(a+)+$': 'y'}, regexp=true) }}", "time"),
    # A list rebuilt again and again: the budget counts each rebuilt list whole (garbage included), so the limit
    # is reached after a few hundredths of a second of work, long before the time limit even on a loaded machine.
    ("{% set s = 'aaaaaaaaaa' %}{% for i in range(1, 18) %}{% set s = s ~ s %}{% endfor %}{% set l = [] %}"
     "{% for i in 0..9999 %}{% set l = l + [s] %}{% endfor %}", "memory"),
    ("{% set m = [1] %}{% for i in range(1, 60) %}{% set m = [m, m] %}{% endfor %}{{ m }}", "size"),
    ("{% for i in 0..99999 %}" + "b" * 1000 + "{% endfor %}", "output"),
    ("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "depth"),
    ("{{ range(0, 1000000000) }}", "items"),
]
PROBES = 200  # requests of another client timed while the hostile previews run
# A plain HTTP server in its own process, probed in turn with Legato's: what the machine itself gives a request
# at that moment (a loaded CI machine delays every process), so that the bound is on what the hostile renders add.
CONTROL = """
import http.server, sys
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@pytest.fixture
def control() -> Iterator[str]:
    process = subprocess.Popen([sys.executable, "-c", CONTROL], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{int(process.stdout.readline())}/"
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, psutil.Process]]:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "preview.yaml").write_text(FLOW)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEGATO_")}
    process = subprocess.Popen([LEGATO, "server", "local", "--data-dir", str(tmp_path / "data"), "--port", "0",
                                "--flows", str(flows)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=env)
    try:
        assert process.stdout is not None
        url = announced_url(process.stdout)
        assert url is not None, "the server never said where it listens"
        wait_healthy(url)
        yield url, psutil.Process(process.pid)
    finally:
        process.kill()
        process.wait()


def _rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def test_hostile_previews_are_refused_while_the_server_keeps_answering(server: tuple[str, psutil.Process],
                                                                       control: str) -> None:
    url, process = server
    client = httpx.Client(base_url=url, timeout=30)
    done = client.post(f"{API}/executions/test.limits/preview", params={"wait": True}).json()
    assert done["state"]["current"] == "SUCCESS"
    eval_url = f"{API}/executions/{done['id']}/eval/{done['taskRunList'][0]['id']}"
    assert client.post(eval_url, content="{{ 1 + 1 }}", headers={"Content-Type": "text/plain"}).json() == \
        {"result": "2", "error": None}

    # A fixed number of probes, all sent while hostile renders run: the attacker goes through the hostile list
    # again and again (at least once) until the last probe has been answered. So the p99 is always over the same
    # number of requests, however fast the limits stop each hostile template.
    answers: list[tuple[str, httpx.Response, float]] = []
    probes_done = threading.Event()

    def hostile() -> None:
        with httpx.Client(base_url=url, timeout=60) as attacker:
            while True:
                for template, limit in HOSTILE:
                    start = time.monotonic()
                    response = attacker.post(eval_url, content=template, headers={"Content-Type": "text/plain"})
                    answers.append((limit, response, time.monotonic() - start))
                if probes_done.is_set():
                    return

    baseline = _rss(process)
    attacker = threading.Thread(target=hostile, name="hostile-previews")
    attacker.start()
    latencies: list[float] = []
    machine: list[float] = []
    peak = baseline
    other, plain = httpx.Client(base_url=url, timeout=30), httpx.Client(timeout=30)
    plain.get(control)
    try:
        while len(latencies) < PROBES:
            start = time.perf_counter()
            response = other.get(f"{API}/flows/test.limits/preview")
            latencies.append(time.perf_counter() - start)
            assert response.status_code == 200
            start = time.perf_counter()
            assert plain.get(control).status_code == 200
            machine.append(time.perf_counter() - start)
            peak = max(peak, _rss(process))
            time.sleep(0.02)
    finally:
        probes_done.set()
        attacker.join()

    for limit, response, elapsed in answers:
        body: dict[str, Any] = response.json()
        assert response.status_code == 422, body
        assert body["details"][0]["message"] == limit, body
        words = {"items": "item limit"}.get(limit, f"{limit} limit")
        assert words in body["message"], body
        assert elapsed < 5.0
    assert len(answers) >= len(HOSTILE)
    p99, machine_p99 = _p99(latencies), _p99(machine)
    print(f"other requests during hostile previews: p99 {p99 * 1000:.0f} ms over {len(latencies)} "
          f"(a plain server meanwhile: {machine_p99 * 1000:.0f} ms)")
    # within 100 ms p99 of what the machine gives a plain server at the same moments (on an idle machine that
    # is a millisecond or two: the bound is then the 100 ms as such)
    assert p99 < 0.100 + machine_p99, (f"p99 {p99 * 1000:.0f} ms (median {statistics.median(latencies) * 1000:.0f} "
                                       f"ms), plain server p99 {machine_p99 * 1000:.0f} ms")
    assert peak - baseline < 700 * 1024 * 1024, f"memory grew by {(peak - baseline) >> 20} MB"


def _p99(latencies: list[float]) -> float:
    return sorted(latencies)[int(len(latencies) * 0.99) - 1]


BROKEN = """id: broken
namespace: test.limits
tasks:
  - id: a
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.nope.value | uper }}"
"""


def test_validate_endpoint_reports_expression_findings_as_warnings(server: tuple[str, psutil.Process]) -> None:
    url, _ = server
    response = httpx.post(f"{url}{API}/flows/validate", content=FLOW + "---\n" + BROKEN,
                          headers={"Content-Type": "application/x-yaml"})
    assert response.status_code == 200
    first, second = response.json()
    assert first["constraints"] is None and first["warnings"] == []
    assert second["constraints"] is None
    assert second["warnings"] == [
        "13:18: tasks[0].message: 'outputs.nope': no task of this flow has the id 'nope'",
        "13:39: tasks[0].message: unknown filter 'uper'",
    ]
    assert second["warningDetails"][0] == {"path": "tasks[0].message", "line": 13, "column": 18,
                                           "message": "'outputs.nope': no task of this flow has the id 'nope'"}
