"""`legato server local` with a Docker engine answering: the blueprints and the example that need one run green,
their script tasks in real containers (not the sandbox fallback), each attempt naming its runner in the API (what
the execution's Gantt shows), and no Legato container is left once the server has stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.ui.test_web_ui import LEGATO, ROOT, _wait_ready

from legato.api.blueprints import all_blueprints

API = "/api/v1/main"


@pytest.fixture
def server(tmp_path: Path, docker_host: str) -> Iterator[str]:
    flows = tmp_path / "flows"
    flows.mkdir()
    for blueprint in all_blueprints():
        if "docker" in blueprint.requires:
            (flows / f"{blueprint.id}.yaml").write_text(blueprint.source)
    shutil.copy(ROOT / "examples" / "containers.yaml", flows)
    log_path = tmp_path / "server.log"
    env = {**os.environ, "DOCKER_HOST": docker_host, "LEGATO_DOCKER_FALLBACK": "fail"}
    with log_path.open("w") as log:
        process = subprocess.Popen([LEGATO, "server", "local", "--flows", str(flows), "--port", "0",
                                    "--data-dir", str(tmp_path / "data")], stdout=log, stderr=subprocess.STDOUT,
                                   cwd=tmp_path, env=env)
    try:
        yield _wait_ready(process, log_path)
    finally:
        process.terminate()
        process.wait(timeout=30)
        _remove_images(docker_host, "legato-blueprints/greeter")


def _remove_images(host: str, repository: str) -> None:
    """The images the build blueprint made (one per execution)."""
    transport = httpx.HTTPTransport(uds=host.removeprefix("unix://"))
    with httpx.Client(transport=transport, base_url="http://docker", timeout=60) as engine:
        for image in engine.get("/images/json", params={"filters": f'{{"reference": ["{repository}"]}}'}).json():
            engine.delete(f"/images/{image['Id']}", params={"force": "1"})


def _run(client: httpx.Client, namespace: str, flow_id: str) -> dict[str, Any]:
    started = client.post(f"{API}/executions/{namespace}/{flow_id}", files={"_": ("", b"")})
    assert started.status_code == 200, started.text
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(f"{API}/executions/{started.json()['id']}").json()
        if body["state"]["current"] in ("SUCCESS", "WARNING", "FAILED", "KILLED"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{namespace}.{flow_id} did not end in 180 s")


def test_docker_blueprints_and_example_run_in_containers(server: str, docker_host: str) -> None:
    flows = [("blueprints", b.id) for b in all_blueprints() if "docker" in b.requires] + [("tutorial", "containers")]
    assert len(flows) >= 3
    with httpx.Client(base_url=server, timeout=30) as client:
        for namespace, flow_id in flows:
            body = _run(client, namespace, flow_id)
            logs = client.get(f"{API}/logs/{body['id']}").json()
            assert body["state"]["current"] == "SUCCESS", (flow_id, [m["message"] for m in logs][-5:])
            runners = {run["taskId"]: run["attempts"][-1].get("runner") for run in body["taskRunList"]}
            assert {r for r in runners.values() if r} == {"docker"}, (flow_id, runners)
            messages = "\n".join(m["message"] for m in logs)
            expected = {"docker_build_and_run": "hello from the image, Legato", "containers": "the sum of squares is 50",
                        "docker_python_script": "Total 50.0 (Python 3.11"}
            assert expected.get(flow_id, "") in messages, (flow_id, messages[-2000:])
