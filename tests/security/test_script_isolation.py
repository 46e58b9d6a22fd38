"""What a flow author's script must not reach, and what it must still do, under every runner (issue 22,
findings 1 and 2). A real `legato server local` runs with basic auth on the command line, a SECRET_ variable
and SQLite in WAL mode; a victim execution of another namespace holds a file in its working dir; then one
probe execution per runner tries everything at once and reports, and each check below is its own case.

The unisolated process runner (LEGATO_UNSAFE_PROCESS_RUNNER) is run too: it is expected to fail the checks,
which is why it is the operator's explicit, labelled choice.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from legato.runners import isolation

LEGATO = str(Path(sys.executable).with_name("legato"))
PASSWORD = "s3cret-pw-canary"
SECRET = "secret-canary-value"
FILE_SECRET = "other namespace's file canary"
WORKDIR_SECRET = f"victim workdir canary {os.getpid()}"  # of this process: parallel runs probe beside each other
OUTSIDE = "outside http canary"

# One server and one probe per runner (a module fixture): kept on one xdist worker, so each is built once.
pytestmark = pytest.mark.xdist_group("script-isolation")
NEEDS_SANDBOX = pytest.mark.skipif(isolation.probe() is not None, reason=f"no sandbox here: {isolation.probe()}")
UNSAFE = pytest.mark.xfail(reason="the unisolated process runner, the operator's explicit unsafe choice", strict=False)
RUNNERS = {
    "default": None,
    "python-warm": {"type": "python-warm"},
    "process": {"type": "io.kestra.plugin.core.runner.Process"},
    "sandbox": {"type": "sandbox"},
    "docker": {"type": "docker", "pullPolicy": "IF_NOT_PRESENT"},
    "unsafe-process": {"type": "process"},
}


def _outside_address() -> str | None:
    """A non-loopback address of this host (where an 'outside' server listens), None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def outside() -> Iterator[str | None]:
    address = _outside_address()
    if address is None:
        yield None
        return

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(OUTSIDE.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((address, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://{address}:{server.server_address[1]}/"
    server.shutdown()


class Server:
    def __init__(self, data: Path, unsafe: bool, docker_host: str | None = None) -> None:
        self.data = data
        env = {**os.environ, "SECRET_CANARY": base64.b64encode(SECRET.encode()).decode()}
        env.pop("LEGATO_UNSAFE_PROCESS_RUNNER", None)
        if docker_host is not None:
            env["DOCKER_HOST"] = docker_host
        if unsafe:
            env["LEGATO_UNSAFE_PROCESS_RUNNER"] = "true"
        self.proc = subprocess.Popen(
            [LEGATO, "server", "local", "--data-dir", str(data), "--port", "0", "--basic-auth", f"admin:{PASSWORD}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "API on http://" in line, f"the server did not start: {line}{self.proc.stderr.read() if self.proc.stderr else ''}"
        self.url = line.split("API on ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])
        self.client = httpx.Client(base_url=self.url + "/api/v1/main", auth=("admin", PASSWORD), timeout=30)

    def run(self, namespace: str, flow: str, wait: bool = True) -> dict[str, Any]:
        response = self.client.post("/flows", content=flow, headers={"Content-Type": "application/x-yaml"})
        assert response.status_code == 200, response.text
        flow_id = response.json()["id"]
        execution = self.client.post(f"/executions/{namespace}/{flow_id}").json()
        return self.wait(execution["id"]) if wait else execution

    def wait(self, execution_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            execution = self.client.get(f"/executions/{execution_id}").json()
            if execution["state"]["current"] in ("SUCCESS", "FAILED", "WARNING", "KILLED"):
                return execution
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} did not end in {timeout} s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


VICTIM = f"""
id: victim
namespace: other
tasks:
  - id: hold
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import time
      open("marker.txt", "w").write("{WORKDIR_SECRET}")
      time.sleep(6)
"""

PROBE = r'''
import json, os, signal, socket, urllib.request
from kestra import Kestra

def attempt(action):
    try:
        result = action()
        return "reached" if result is not False else "refused"
    except Exception as exc:
        return type(exc).__name__

def read(path, needle=None):
    def action():
        data = open(path, "rb").read()
        return needle is None or needle.encode() in data
    return action

def write(path):
    def action():
        open(path, "w").write("planted")
    return action

def connect():
    with socket.create_connection(("127.0.0.1", API_PORT), timeout=3):
        pass

def signal_server():
    os.kill(SERVER_PID, 0)

def cmdline():
    return PASSWORD.encode() in open(f"/proc/{SERVER_PID}/cmdline", "rb").read()

def outside():
    if OUTSIDE_URL is None:
        return False
    return urllib.request.urlopen(OUTSIDE_URL, timeout=10).read().decode() == OUTSIDE_TEXT

def own_workdir():
    open("mine.txt", "w").write("ok")
    return open("mine.txt").read() == "ok"

open("out.txt", "w").write("output file")
results = {
    "db_file": attempt(read(DATA + "/legato.db")),
    "db_wal": attempt(read(DATA + "/legato.db-wal")),
    "data_dir_write": attempt(write(DATA + "/storage/other/_files/planted.txt")),
    "other_namespace_file": attempt(read(DATA + "/storage/other/_files/secret.txt", FILE_SECRET)),
    "other_execution_workdir": attempt(read(VICTIM_FILE, WORKDIR_SECRET)),
    "server_environ": attempt(read(f"/proc/{SERVER_PID}/environ", SECRET_B64)),
    "server_cmdline": attempt(cmdline),
    "signal_server": attempt(signal_server),
    "server_api_port": attempt(connect),
    "env_secrets": "reached" if [k for k in os.environ if k.startswith(("SECRET_", "LEGATO_"))] else "refused",
    "outside_network": attempt(outside),
    "own_workdir": attempt(own_workdir),
}
Kestra.outputs({"results": results})
'''


def _probe_flow(runner: str, server: Server, victim_file: str, outside_url: str | None) -> str:
    constants = {
        "DATA": str(server.data.resolve()), "API_PORT": server.port, "SERVER_PID": server.proc.pid,
        "PASSWORD": PASSWORD, "SECRET_B64": SECRET, "FILE_SECRET": FILE_SECRET, "VICTIM_FILE": victim_file,
        "WORKDIR_SECRET": WORKDIR_SECRET, "OUTSIDE_URL": outside_url, "OUTSIDE_TEXT": OUTSIDE,
    }
    header = "".join(f"{name} = {value!r}\n" for name, value in constants.items())
    script = "".join(f"      {line}\n" for line in (header + PROBE).splitlines())
    spec = RUNNERS[runner]
    runner_yaml = f"    taskRunner: {json.dumps(spec)}\n" if spec else ""
    return (f"id: probe_{runner.replace('-', '_')}\nnamespace: attacker\ntasks:\n  - id: probe\n"
            f"    type: io.kestra.plugin.scripts.python.Script\n{runner_yaml}    outputFiles: [out.txt]\n"
            f"    script: |\n{script}")


def _victim_file(timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in Path("/tmp").glob("legato-run-*"):
            marker = folder / "marker.txt"
            try:
                if marker.read_text() == WORKDIR_SECRET:
                    return str(marker)
            except OSError:
                continue
        time.sleep(0.05)
    raise AssertionError("the victim execution never wrote its marker")


@pytest.fixture(scope="module", params=list(RUNNERS))
def probed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           outside: str | None) -> Iterator[tuple[str, dict[str, Any], Server]]:
    runner = request.param
    if runner != "unsafe-process" and isolation.probe() is not None:
        pytest.skip(f"no sandbox on this host: {isolation.probe()}")
    # the tests' own Docker engine (started once per session; in CI a missing engine fails, never skips)
    docker_host = request.getfixturevalue("docker_engine").host if runner == "docker" else None
    data = tmp_path_factory.mktemp(f"isolation-{runner}") / "data"
    server = Server(data, unsafe=runner == "unsafe-process", docker_host=docker_host)
    try:
        files = data / "storage" / "other" / "_files"
        files.mkdir(parents=True, exist_ok=True)
        (files / "secret.txt").write_text(FILE_SECRET)
        victim = server.run("other", VICTIM, wait=False)
        victim_file = _victim_file()
        execution = server.run("attacker", _probe_flow(runner, server, victim_file, outside))
        server.wait(victim["id"])
        yield runner, execution, server
    finally:
        server.stop()


def _results(probed: tuple[str, dict[str, Any], Server]) -> dict[str, str]:
    runner, execution, _ = probed
    assert execution["state"]["current"] == "SUCCESS", f"the probe under {runner} ended {execution['state']['current']}"
    outputs = execution["taskRunList"][0]["outputs"]
    return dict(outputs["vars"]["results"])


MUST_NOT_REACH = ["db_file", "db_wal", "data_dir_write", "other_namespace_file", "other_execution_workdir",
                  "server_environ", "server_cmdline", "signal_server", "server_api_port", "env_secrets"]


@pytest.mark.parametrize("what", MUST_NOT_REACH)
def test_a_script_cannot_reach(probed: tuple[str, dict[str, Any], Server], what: str, request: pytest.FixtureRequest) -> None:
    if probed[0] == "unsafe-process":
        request.applymarker(UNSAFE)
    assert _results(probed)[what] != "reached", f"under {probed[0]} a script reached {what}"
    if what == "data_dir_write":
        assert not (probed[2].data / "storage" / "other" / "_files" / "planted.txt").exists()


def test_a_script_still_uses_its_working_dir_outputs_and_output_files(probed: tuple[str, dict[str, Any], Server]) -> None:
    results = _results(probed)
    assert results["own_workdir"] == "reached"
    outputs = probed[1]["taskRunList"][0]["outputs"]
    assert list(outputs["outputFiles"]) == ["out.txt"]


def test_a_script_still_reaches_outside_servers(probed: tuple[str, dict[str, Any], Server], outside: str | None) -> None:
    if outside is None:
        pytest.skip("this host has no non-loopback address to serve from")
    if probed[0] == "sandbox":
        pytest.skip("the sandbox runner has no network unless the task asks for it")
    if probed[0] == "docker":
        pytest.skip("the tests' Docker engine runs with --bridge=none (no iptables here): containers have a loopback only")
    if probed[0] != "unsafe-process" and isolation.effective_network(isolation.Policy.from_env(os.environ)) != "outbound":
        pytest.skip(f"scripts have no network here: {isolation.SLIRP_HINT}")
    assert _results(probed)["outside_network"] == "reached"
