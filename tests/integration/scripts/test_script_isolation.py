"""What a script can reach, under the process and the sandbox runners: never the server's environment,
never the data dir (here: the storage root), and under the sandbox nothing outside its working dir."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from tests.integration.scripts.conftest import Scripts

from legato.runners import confine, isolation, landlock
from legato.runners.sandbox import bwrap_path
from legato.storage import LocalStorage

RUNNERS = [
    pytest.param("process", marks=pytest.mark.skipif(landlock.abi_version() == 0, reason="no Landlock in this kernel")),
    pytest.param("sandbox", marks=pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")),
    pytest.param("python-warm", marks=pytest.mark.skipif(landlock.abi_version() == 0, reason="no Landlock in this kernel")),
]


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_script_cannot_read_the_server_environment(scripts: Scripts, runner: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_SECRET", "top-secret-value")
    monkeypatch.setenv("LEGATO_DATABASE_URL", "postgresql://legato:pw@db/legato")
    outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
taskRunner:
  type: {runner}
script: |
  import os
  from kestra import Kestra
  Kestra.outputs({{"env": dict(os.environ)}})
""")
    env = outputs["vars"]["env"]
    assert not [k for k in env if k.startswith("LEGATO_")]
    assert "top-secret-value" not in repr(env)


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_script_cannot_read_the_data_dir(scripts: Scripts, storage: LocalStorage, runner: str) -> None:
    secret = storage.put("kestra:///other/flow/executions/e/tasks/t/r/secret.txt", b"someone else's data")
    path = storage.path_of(secret)
    _, ctx = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.shell.Commands
taskRunner:
  type: {runner}
warningOnStdErr: false
failFast: false
commands:
  - cat {path}
  - ls {storage.root}
  - echo done
""")
    logged = "\n".join(m for _, m in scripts.messages(ctx))
    assert "someone else's data" not in logged
    assert "other" not in [m for _, m in scripts.messages(ctx)]  # the root's listing did not show
    assert ("INFO", "done") in scripts.messages(ctx)


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
def test_a_sandboxed_script_cannot_write_outside_its_working_dir(scripts: Scripts) -> None:
    host_dir = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
taskRunner:
  type: sandbox
outputFiles: ["ok.txt"]
script: |
  from kestra import Kestra
  results = {{}}
  for target in ["{host_dir}/evil.txt", "/etc/evil.txt", "ok.txt"]:
      try:
          open(target, "w").write("x")
          results[target] = "written"
      except OSError as exc:
          results[target] = type(exc).__name__
  Kestra.outputs(results)
""")
        assert outputs["vars"][f"{host_dir}/evil.txt"] == "OSError"
        assert outputs["vars"]["/etc/evil.txt"] == "OSError"
        assert outputs["vars"]["ok.txt"] == "written" and "ok.txt" in outputs["outputFiles"]
        assert not (host_dir / "evil.txt").exists() and not Path("/etc/evil.txt").exists()
    finally:
        host_dir.rmdir()


@pytest.mark.skipif(bwrap_path() is None, reason="bubblewrap is not installed")
def test_docker_without_an_engine_runs_in_the_sandbox_and_says_so(scripts: Scripts, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    outputs, ctx = scripts.run("""
id: task
type: io.kestra.plugin.scripts.python.Script
containerImage: ghcr.io/kestra-io/pydata:latest
taskRunner:
  type: io.kestra.plugin.scripts.runner.docker.Docker
  pullPolicy: IF_NOT_PRESENT
  memory:
    memory: 512Mb
script: |
  from kestra import Kestra
  Kestra.outputs({"ok": True})
""")
    assert outputs["vars"] == {"ok": True}
    notes = [m for level, m in scripts.messages(ctx) if level == "WARN"]
    assert any("sandbox runner instead of Docker" in m and "ghcr.io/kestra-io/pydata:latest" in m for m in notes)


@pytest.mark.skipif(landlock.abi_version() == 0, reason="no Landlock in this kernel")
def test_a_warm_python_script_cannot_read_the_data_dir(scripts: Scripts, storage: LocalStorage) -> None:
    secret = storage.put("kestra:///other/flow/executions/e/tasks/t/r/secret.txt", b"someone else's data")
    outputs, _ = scripts.run(f"""
id: task
type: io.kestra.plugin.scripts.python.Script
taskRunner:
  type: python-warm
script: |
  import os
  from kestra import Kestra
  try:
      seen = open("{storage.path_of(secret)}").read()
  except OSError as exc:
      seen = type(exc).__name__
  Kestra.outputs({{"seen": seen, "parent": os.getppid() != {__import__("os").getpid()}}})
""")
    # an isolated script's sandbox has no such file; the unisolated runner's Landlock refuses to read it
    assert outputs["vars"]["seen"] in ("FileNotFoundError", "PermissionError") and outputs["vars"]["parent"]


@pytest.mark.skipif(isolation.probe() is not None, reason=f"no sandbox here: {isolation.probe()}")
def test_the_default_runner_gives_the_run_a_user_name(scripts: Scripts) -> None:
    """Run as root, an isolated command gets a uid of its own; tools that look their user up (Hadoop's login
    in Spark, ssh, getpass) need it to have a name, with the working dir as its home."""
    outputs, _ = scripts.run("""
id: task
type: io.kestra.plugin.scripts.python.Script
script: |
  import grp, os, pwd
  from kestra import Kestra
  user = pwd.getpwuid(os.getuid())
  Kestra.outputs({"name": user.pw_name, "home": user.pw_dir, "group": grp.getgrgid(os.getgid()).gr_name,
                  "cwd": os.getcwd(), "root": os.getuid() == 0})
""")
    seen = outputs["vars"]
    assert not seen["root"]
    if os.geteuid() == 0:  # the server's own user otherwise, named already
        assert (seen["name"], seen["group"], seen["home"]) == (confine.USER, confine.USER, seen["cwd"])
