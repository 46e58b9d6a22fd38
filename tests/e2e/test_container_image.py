"""Legato's container image (./Dockerfile, built as `make image` builds it) on the local Docker engine: it runs
as a non-root user, refuses to listen without authentication, answers /health and runs a flow; and
docker-compose.yml starts every role (webserver, executor, scheduler, two workers) on PostgreSQL.

No image registry answers here: the image is built FROM the tests' local `python:3.11-slim` stand-in
(tests/docker_images.py), and the compose run swaps the `postgres` service, whose image cannot be pulled, for
the PostgreSQL this machine runs (host network, so the webserver publishes no port): everything else is docker-compose.yml as users run it."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from tests.docker_engine import Engine
from tests.services import pg_database

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))
from image_context import build as build_context  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("container-image")]
IMAGE = f"legato-test/legato:{secrets.token_hex(4)}"
FLOW = """id: hello
namespace: deploy.smoke
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "hello from {{ flow.namespace }}"
  - id: out
    type: io.kestra.plugin.core.output.OutputValues
    values:
      answer: 42
outputs:
  - id: answer
    type: INT
    value: "{{ outputs.out.values.answer }}"
"""


def _docker(host: str, *args: str, timeout: float = 600, check: bool = True, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = ["docker-compose", *args[1:]] if args[0] == "compose" else ["docker", *args]
    result = subprocess.run(command, env={**os.environ, "DOCKER_HOST": host, "DOCKER_BUILDKIT": "0", **(env or {})},
                            capture_output=True, text=True, timeout=timeout, cwd=cwd)
    if check:
        assert result.returncode == 0, f"{' '.join(command)}: {result.stdout}\n{result.stderr}"
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def image(docker_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    context = build_context(tmp_path_factory.mktemp("image") / "context", [])
    started = time.monotonic()
    _docker(docker_engine.host, "build", "-q", "-t", IMAGE, str(context), timeout=1200)
    print(f"image built in {time.monotonic() - started:.0f} s")
    yield IMAGE
    _docker(docker_engine.host, "rmi", "-f", IMAGE, check=False)


def _run_flow(base: str, auth: tuple[str, str]) -> dict:  # type: ignore[type-arg]
    with httpx.Client(base_url=f"{base}/api/v1/main", auth=auth, timeout=30) as client:
        assert client.post("/flows", content=FLOW, headers={"Content-Type": "application/x-yaml"}).status_code == 200
        execution = client.post("/executions/deploy.smoke/hello").json()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            execution = client.get(f"/executions/{execution['id']}").json()
            if execution["state"]["current"] in ("SUCCESS", "FAILED", "KILLED", "WARNING"):
                return execution  # type: ignore[no-any-return]
            time.sleep(0.5)
    raise AssertionError(f"the execution did not end: {execution}")


def _wait_healthy(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{base}/health did not answer within {timeout}s")


def test_the_image_runs_as_non_root_refuses_no_auth_and_runs_a_flow(docker_engine: Engine, image: str) -> None:
    host = docker_engine.host
    refused = _docker(host, "run", "--rm", "--network", "host", image, "server", "local", "--host", "0.0.0.0",
                      "--port", "0", check=False, timeout=120)
    assert refused.returncode != 0 and "without authentication" in refused.stderr
    port = _free_port()
    name = f"legato-smoke-{secrets.token_hex(3)}"
    _docker(host, "run", "-d", "--name", name, "--network", "host", "-e", "LEGATO_BASIC_AUTH=admin:smoke",
            image, "server", "local", "--data-dir", "/var/lib/legato", "--host", "0.0.0.0", "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base)
        assert _docker(host, "exec", name, "id", "-u").stdout.strip() == "10001"
        assert httpx.get(f"{base}/api/v1/main/flows/search", timeout=10).status_code == 401
        done = _run_flow(base, ("admin", "smoke"))
        assert done["state"]["current"] == "SUCCESS" and done["outputs"] == {"answer": 42}
        assert httpx.get(f"{base}/ui/", auth=("admin", "smoke"), timeout=10).status_code == 200  # the UI is in the wheel
    finally:
        _docker(host, "rm", "-f", name, check=False)


@pytest.mark.skipif(shutil.which("docker-compose") is None and os.environ.get("CI") != "true",
                    reason="docker-compose is not installed (make system-deps)")
def test_compose_starts_every_role_on_postgresql(docker_engine: Engine, image: str, tmp_path: Path) -> None:
    for url in pg_database("legato_compose", migrate=False):
        port = _free_port()
        override = tmp_path / "host-postgresql.yml"
        # The roles reach this machine's PostgreSQL (host network); the bundled one is a placeholder that is healthy.
        roles = "".join(f"  {role}:\n    network_mode: host\n" for role in ("webserver", "executor", "scheduler", "worker"))
        override.write_text(
            "services:\n  postgres:\n    image: python:3.11-slim\n    command: [\"sleep\", \"infinity\"]\n"
            "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n" + roles)
        env = {"LEGATO_IMAGE": image, "LEGATO_DATABASE_URL": url, "LEGATO_BASIC_AUTH": "admin:compose",
               "LEGATO_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
               "COMPOSE_PROJECT_NAME": f"legato{secrets.token_hex(3)}"}
        # Host networking cannot publish ports: the same file without the webserver's `ports`.
        spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        del spec["services"]["webserver"]["ports"]
        (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(spec))
        files = ["-f", str(tmp_path / "docker-compose.yml"), "-f", str(override)]
        compose = ["compose", *files]
        # LEGATO_PORT for the webserver on the host network: a free port instead of 8080.
        port_override = tmp_path / "port.yml"
        port_override.write_text(f"services:\n  webserver:\n    environment:\n      LEGATO_PORT: \"{port}\"\n")
        compose += ["-f", str(port_override)]
        try:
            _docker(docker_engine.host, *compose, "up", "-d", "--scale", "worker=2", env=env, cwd=tmp_path, timeout=900)
            base = f"http://127.0.0.1:{port}"
            _wait_healthy(base)
            listed = _docker(docker_engine.host, *compose, "ps", env=env, cwd=tmp_path).stdout
            for role in ("webserver", "executor", "scheduler", "worker_1", "worker_2"):
                assert f"_{role}" in listed and "Up" in listed, listed
            done = _run_flow(base, ("admin", "compose"))
            assert done["state"]["current"] == "SUCCESS", done
        finally:
            logs = _docker(docker_engine.host, *compose, "logs", "--no-color", env=env, cwd=tmp_path, check=False)
            print(logs.stdout[-4000:])
            _docker(docker_engine.host, *compose, "down", "-v", "--remove-orphans", env=env, cwd=tmp_path,
                    check=False, timeout=300)
