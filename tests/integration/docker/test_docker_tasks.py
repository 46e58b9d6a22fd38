"""Kestra's Docker tasks against the real engine: Run, Build (Dockerfile inline, from input files or namespace
files), Tag and Push to a local registry (Debian's docker-registry), and Compose (Debian's docker-compose)."""

from __future__ import annotations

import shutil
import uuid

import httpx
import pytest
from tests.integration.docker.conftest import Engine, Tasks

from legato.plugins.context import TaskFailed
from legato.storage import namespace_files


def test_run_with_files_env_and_outputs(tasks: Tasks, engine: Engine) -> None:
    outputs, ctx = tasks.run("""
id: task
type: io.kestra.plugin.docker.cli.Run
containerImage: python:3.11-slim
env:
  WHO: "{{ 'world' }}"
inputFiles:
  main.py: |
    import os
    open("greeting.txt", "w").write("hello " + os.environ["WHO"])
    print('::{"outputs": {"done": true}}::')
commands: [python, main.py]
outputFiles: [greeting.txt]
""")
    assert outputs["exitCode"] == 0 and outputs["vars"] == {"done": True}
    assert tasks.storage.get(outputs["outputFiles"]["greeting.txt"]) == b"hello world"
    assert ctx.effects.extra["runner"] == "docker"
    with pytest.raises(TaskFailed, match="exit code 2"):
        tasks.run("""
id: task
type: io.kestra.plugin.docker.Run
containerImage: ubuntu:22.04
commands: ["/bin/sh", "-c", "exit 2"]
""")


def test_run_without_waiting_leaves_the_container_running(tasks: Tasks, engine: Engine) -> None:
    _, ctx = tasks.run("""
id: task
type: io.kestra.plugin.docker.Run
containerImage: ubuntu:22.04
commands: ["sleep", "60"]
wait: false
""")
    running = [c for c in engine.containers(io_legato_execution=ctx.execution.id) if c["State"] == "running"]
    try:
        assert len(running) == 1 and running[0]["Labels"]["io.legato.keep"] == "true"
    finally:
        for container in running:
            engine.remove(container["Id"])


def test_build_from_input_files_then_run_the_image(tasks: Tasks, engine: Engine) -> None:
    image = f"legato-test/app-{uuid.uuid4().hex[:8]}:1"
    outputs, ctx = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.cli.Build
dockerfile: |
  FROM python:3.11-slim
  ARG GREETING
  COPY main.py /app/main.py
  RUN echo "$GREETING" > /app/greeting.txt
  CMD ["python", "/app/main.py"]
inputFiles:
  main.py: print(open("/app/greeting.txt").read().strip())
buildArgs:
  GREETING: "{{{{ 'bonjour' }}}}"
labels:
  team: data
tags: ["{image}"]
""")
    try:
        assert outputs["imageId"].startswith("sha256:")
        messages = tasks.messages(ctx)
        assert any(level == "WARN" and "Pulling image python:3.11-slim failed" in m for level, m in messages)
        with engine.client() as client:
            labels = client.get(f"/images/{image}/json").json()["Config"]["Labels"]
        assert labels["team"] == "data"
        ran, _ = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Run
containerImage: "{outputs['imageId']}"
pullPolicy: NEVER
""")
        assert ran["exitCode"] == 0
        _, ctx = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Run
containerImage: {image}
""")
        assert ("INFO", "bonjour") in tasks.messages(ctx)
    finally:
        with engine.client() as client:
            client.delete(f"/images/{image}", params={"force": "1"})


def test_build_from_a_namespace_file_and_a_failing_build(tasks: Tasks, engine: Engine) -> None:
    image = f"legato-test/ns-{uuid.uuid4().hex[:8]}"
    tasks.storage.put(namespace_files.file_uri("company.team", "docker/Dockerfile"), b"FROM ubuntu:22.04\nRUN true\n")
    outputs, _ = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Build
namespaceFiles:
  enabled: true
dockerfile: docker/Dockerfile
pull: false
tags: ["{image}"]
""")
    with engine.client() as client:
        assert client.get(f"/images/{image}:latest/json").json()["Id"] == outputs["imageId"]
        client.delete(f"/images/{image}", params={"force": "1"})
    with pytest.raises(TaskFailed, match=r"the build failed: .*returned a non-zero code: 3"):
        tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Build
dockerfile: |
  FROM ubuntu:22.04
  RUN exit 3
tags: ["{image}:broken"]
""")


def test_tag_and_push_to_a_local_registry(tasks: Tasks, engine: Engine, local_registry: str) -> None:
    target = f"{local_registry}/legato/python:3.11-slim"
    _, ctx = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Tag
sourceImage: python:3.11-slim
targetImage: {target}
""")
    assert ("INFO", f"Tagging image python:3.11-slim as {local_registry}/legato/python:3.11-slim") in tasks.messages(ctx)
    try:
        tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Push
tags: ["https://{target}"]
""")
        listed = httpx.get(f"http://{local_registry}/v2/legato/python/tags/list").json()
        assert listed == {"name": "legato/python", "tags": ["3.11-slim"]}
        with engine.client() as client:
            client.delete(f"/images/{target}").raise_for_status()
        _, ctx = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Run
containerImage: {target}
pullPolicy: ALWAYS
commands: [python, -c, "print(40 + 2)"]
""")  # pulled back from the registry
        assert ("INFO", "42") in tasks.messages(ctx)
        assert not [m for level, m in tasks.messages(ctx) if level == "WARN"]
    finally:
        with engine.client() as client:
            client.delete(f"/images/{target}")
    with pytest.raises(TaskFailed, match=r"pushing .*legato/absent:1 failed|does not exist"):
        tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Push
tags: ["{local_registry}/legato/absent:1"]
""")


@pytest.mark.skipif(shutil.which("docker-compose") is None and shutil.which("docker") is None,
                    reason="neither docker-compose nor docker is installed")
def test_compose_up_and_down(tasks: Tasks, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    project = f"legato{uuid.uuid4().hex[:8]}"
    compose = """
  services:
    hello:
      image: alpine:latest
      command: ["sh", "-c", "echo hello from compose"]
"""
    with pytest.raises(TaskFailed, match="LEGATO_DOCKER_PRIVILEGED_ENABLED=true"):
        tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Compose
composeFile: |{compose}
composeArgs: [-p, {project}, up]
""")
    monkeypatch.setenv("LEGATO_DOCKER_PRIVILEGED_ENABLED", "true")
    _, ctx = tasks.run(f"""
id: task
type: io.kestra.plugin.docker.cli.Compose
warningOnStdErr: false
composeFile: |{compose}
composeArgs: [-p, {project}, up, --abort-on-container-exit]
""")
    logged = "\n".join(m for _, m in tasks.messages(ctx))
    assert "hello from compose" in logged
    assert engine.containers(com_docker_compose_project=project)
    tasks.run(f"""
id: task
type: io.kestra.plugin.docker.Compose
warningOnStdErr: false
composeFile: |{compose}
composeArgs: [-p, {project}, down]
""")
    assert engine.containers(com_docker_compose_project=project) == []
