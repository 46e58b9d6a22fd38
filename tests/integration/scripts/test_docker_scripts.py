"""Script tasks written for Kestra's Docker task runner run in real containers: outputs through the log protocol
and the Kestra helper, input and output files, env, Kestra's older forms, what the worker's settings allow, and
what a container can never see (the server's environment, the data dir)."""

from __future__ import annotations

import pytest
from tests.integration.scripts.conftest import Scripts

from legato.plugins.context import TaskFailed
from legato.storage import LocalStorage

DOCKER = "io.kestra.plugin.scripts.runner.docker.Docker"


def test_a_python_script_in_a_container(scripts: Scripts, docker_host: str) -> None:
    outputs, ctx = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
containerImage: python:3.11-slim
taskRunner:
  type: {DOCKER}
env:
  GREETING: "{{{{ 'hello' | upper }}}}"
inputFiles:
  data.csv: "a,b\\n1,2\\n"
outputFiles: ["*.txt"]
script: |
  import csv, os, sys
  from kestra import Kestra
  rows = list(csv.DictReader(open("data.csv")))
  open("result.txt", "w").write(os.environ["GREETING"] + " " + rows[0]["b"])
  print("::" + '{{"outputs": {{"python": "%d.%d"}}}}' % sys.version_info[:2] + "::")
  Kestra.outputs({{"rows": len(rows), "cwd": os.getcwd(), "wd": "{{{{ workingDir }}}}"}})
""")
    assert outputs["exitCode"] == 0
    assert outputs["vars"]["python"] == "3.11"  # the image's Python, not the worker's
    assert outputs["vars"]["rows"] == 1 and outputs["vars"]["cwd"] == outputs["vars"]["wd"]
    assert scripts.storage.get(outputs["outputFiles"]["result.txt"]) == b"HELLO 2"
    assert ctx.effects.extra["runner"] == "docker"


def test_kestras_older_forms_choose_docker_too(scripts: Scripts, docker_host: str) -> None:
    legacy, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.shell.Commands
runner: DOCKER
docker:
  image: ubuntu:22.04
commands:
  - cat /etc/debian_version > version.txt
  - echo '::{"outputs":{"shell":"'$0'"}}::'
outputFiles: [version.txt]
""")
    assert ctx.effects.extra["runner"] == "docker"
    assert scripts.storage.get(legacy["outputFiles"]["version.txt"]).strip()  # the stand-in image is Debian's
    assert legacy["vars"]["shell"] == "/bin/sh"


def test_a_failing_command_fails_the_task_with_its_last_lines(scripts: Scripts, docker_host: str) -> None:
    with pytest.raises(TaskFailed, match=r"exit code 4:\nsomething broke"):
        scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
containerImage: ubuntu:22.04
taskRunner: {{type: {DOCKER}}}
commands: ["echo something broke >&2; exit 4"]
""")


def test_a_missing_image_fails_naming_it(scripts: Scripts, docker_host: str) -> None:
    with pytest.raises(TaskFailed, match=r"image ghcr\.io/kestra-io/pydata:latest is not on the Docker engine"):
        scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
containerImage: ghcr.io/kestra-io/pydata:latest
taskRunner: {{type: {DOCKER}}}
script: print(1)
""")


def test_volumes_are_ignored_unless_an_administrator_allows_them(scripts: Scripts, docker_host: str, tmp_path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "note.txt").write_text("from the host")
    source = f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
containerImage: ubuntu:22.04
taskRunner:
  type: {DOCKER}
  volumes: ["{shared}:/shared:ro"]
commands: ["cat /shared/note.txt || echo not mounted"]
warningOnStdErr: false
"""
    _, ctx = scripts.run(source)
    messages = scripts.messages(ctx)
    assert ("INFO", "not mounted") in messages
    assert any(level == "WARN" and "LEGATO_DOCKER_VOLUMES_ENABLED=true" in m for level, m in messages)
    monkeypatch.setenv("LEGATO_DOCKER_VOLUMES_ENABLED", "true")
    _, ctx = scripts.run(source)
    assert ("INFO", "from the host") in scripts.messages(ctx)


def test_a_privileged_container_needs_the_administrators_consent(scripts: Scripts, docker_host: str) -> None:
    with pytest.raises(TaskFailed, match="LEGATO_DOCKER_PRIVILEGED_ENABLED=true"):
        scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
containerImage: ubuntu:22.04
taskRunner: {{type: {DOCKER}, privileged: true}}
commands: ["true"]
""")


@pytest.mark.parametrize("mode", ["host", "container:legato-server"])
def test_the_hosts_network_needs_the_administrators_consent(scripts: Scripts, docker_host: str, mode: str) -> None:
    # The host's loopback carries the server's API and database ports.
    with pytest.raises(TaskFailed, match=f"networkMode '{mode}'.*LEGATO_DOCKER_PRIVILEGED_ENABLED=true"):
        scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
containerImage: ubuntu:22.04
taskRunner: {{type: {DOCKER}, networkMode: "{mode}"}}
commands: ["true"]
""")


def test_a_container_never_sees_the_server_environment_or_the_data_dir(
        scripts: Scripts, storage: LocalStorage, docker_host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SECRET", "top-secret-value")
    monkeypatch.setenv("LEGATO_DATA_DIR", str(storage.root))  # the worker hides it from scripts
    monkeypatch.setenv("LEGATO_DOCKER_VOLUMES_ENABLED", "true")
    secret = storage.put("kestra:///other/flow/executions/e/tasks/t/r/secret.txt", b"someone else's data")
    outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
containerImage: python:3.11-slim
taskRunner: {{type: {DOCKER}}}
script: |
  import os
  from kestra import Kestra
  Kestra.outputs({{"env": dict(os.environ), "seen": os.path.exists("{storage.path_of(secret)}")}})
""")
    env = outputs["vars"]["env"]
    assert not [k for k in env if k.startswith("LEGATO_")] and "top-secret-value" not in repr(env)
    assert outputs["vars"]["seen"] is False
    with pytest.raises(TaskFailed, match="scripts must not see"):
        scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
containerImage: ubuntu:22.04
taskRunner: {{type: {DOCKER}, volumes: ["{storage.root}:/data"]}}
commands: ["ls /data"]
""")
