"""`legato server local` serves the API next to the runtime, refuses unsafe binds, stops on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

LEGATO = str(Path(sys.executable).parent / "legato")
FLOW = """id: quick
namespace: test.cli
tasks:
  - id: one
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.word }}!"
inputs:
  - id: word
    type: STRING
"""


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([LEGATO, "server", "local", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    for _ in range(50):
        line = process.stdout.readline()
        found = re.search(r"API on (http://\S+) ", line)
        if found:
            return found.group(1)
    raise AssertionError("the server never said where it listens")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "quick.yaml").write_text(FLOW)
    process = _start(["--data-dir", str(tmp_path / "data"), "--port", "0", "--flows", str(flows)])
    try:
        yield process, _url(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serves_the_api_runs_flows_and_stops_on_sigterm(running: tuple[subprocess.Popen[str], str]) -> None:
    process, url = running
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert httpx.get(f"{url}/api/v1/main/flows/test.cli/quick").json()["revision"] == 1
    done = httpx.post(f"{url}/api/v1/main/executions/test.cli/quick", params={"wait": True},
                      files={"word": (None, "hey")}, timeout=30)
    assert done.status_code == 200
    assert done.json()["state"]["current"] == "SUCCESS"
    assert done.json()["taskRunList"][0]["outputs"] == {"value": "hey!"}
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0


def test_refuses_a_public_bind_without_auth(tmp_path: Path) -> None:
    process = _start(["--data-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "0"])
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "without authentication" in err


def test_public_bind_with_auth_requires_credentials(tmp_path: Path) -> None:
    process = _start(["--data-dir", str(tmp_path), "--host", "0.0.0.0", "--port", "0"],
                     env={"LEGATO_BASIC_AUTH": "ops:pa55"})
    try:
        url = _url(process).replace("0.0.0.0", "127.0.0.1")
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert httpx.get(f"{url}/api/v1/configs").status_code == 401
        assert httpx.get(f"{url}/api/v1/configs", auth=("ops", "pa55")).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start(["--data-dir", str(tmp_path), "--port", str(port)])
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in err


def test_listening_socket_disables_nagle() -> None:
    """Without TCP_NODELAY on accepted connections, every kept-alive request waits ~40 ms for a delayed ACK."""
    import socket

    from legato.api.server import bind, is_loopback

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY on accepted sockets only then
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4") and not is_loopback("example.com")
